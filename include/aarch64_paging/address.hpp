/// @file
/// Virtual and physical addresses as distinct types: even in an identity map the two are
/// different things, and the compiler should say so when one is passed for the other.
#ifndef AARCH64_PAGING_ADDRESS_HPP
#define AARCH64_PAGING_ADDRESS_HPP

#include <stdint.h>

namespace aarch64_paging {

/// A 64-bit address of the kind Tag names; VirtualAddress and PhysicalAddress are the two
/// kinds, and one never converts to the other implicitly. Arithmetic wraps as uint64_t's.
/// @tparam Tag an incomplete type that names the kind.
template <class Tag>
class Address {
public:
    /// Address 0.
    constexpr Address() = default;
    /// The address @p value.
    constexpr explicit Address(uint64_t value) : value_(value) {}

    /// The address as a number.
    constexpr uint64_t value() const { return value_; }

    /// The address @p offset bytes above this one.
    constexpr Address operator+(uint64_t offset) const { return Address(value_ + offset); }
    /// The address @p offset bytes below this one.
    constexpr Address operator-(uint64_t offset) const { return Address(value_ - offset); }
    /// The distance in bytes from @p other up to this address.
    constexpr uint64_t operator-(Address other) const { return value_ - other.value_; }

    /// Same address.
    constexpr bool operator==(Address other) const { return value_ == other.value_; }
    /// Different addresses.
    constexpr bool operator!=(Address other) const { return value_ != other.value_; }
    /// Lower than @p other.
    constexpr bool operator<(Address other) const { return value_ < other.value_; }
    /// Lower than or equal to @p other.
    constexpr bool operator<=(Address other) const { return value_ <= other.value_; }
    /// Higher than @p other.
    constexpr bool operator>(Address other) const { return value_ > other.value_; }
    /// Higher than or equal to @p other.
    constexpr bool operator>=(Address other) const { return value_ >= other.value_; }

private:
    uint64_t value_ = 0;
};

struct VirtualAddressTag;
struct PhysicalAddressTag;

/// An address in the translation regime's input (virtual) address space.
using VirtualAddress = Address<VirtualAddressTag>;
/// An output address of the translation, as the MMU puts it on the bus.
using PhysicalAddress = Address<PhysicalAddressTag>;

}  // namespace aarch64_paging

#endif
