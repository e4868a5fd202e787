// Virtual and physical addresses as distinct types: even in an identity map the two are
// different things, and the compiler should say so when one is passed for the other.
#ifndef AARCH64_PAGING_ADDRESS_HPP
#define AARCH64_PAGING_ADDRESS_HPP

#include <stdint.h>

namespace aarch64_paging {

template <class Tag>
class Address {
public:
    constexpr Address() = default;
    constexpr explicit Address(uint64_t value) : value_(value) {}

    constexpr uint64_t value() const { return value_; }

    constexpr Address operator+(uint64_t offset) const { return Address(value_ + offset); }
    constexpr Address operator-(uint64_t offset) const { return Address(value_ - offset); }
    constexpr uint64_t operator-(Address other) const { return value_ - other.value_; }

    constexpr bool operator==(Address other) const { return value_ == other.value_; }
    constexpr bool operator!=(Address other) const { return value_ != other.value_; }
    constexpr bool operator<(Address other) const { return value_ < other.value_; }
    constexpr bool operator<=(Address other) const { return value_ <= other.value_; }
    constexpr bool operator>(Address other) const { return value_ > other.value_; }
    constexpr bool operator>=(Address other) const { return value_ >= other.value_; }

private:
    uint64_t value_ = 0;
};

struct VirtualAddressTag;
struct PhysicalAddressTag;

// An address in the translation regime's input (virtual) address space.
using VirtualAddress = Address<VirtualAddressTag>;
// An output address of the translation, as the MMU puts it on the bus.
using PhysicalAddress = Address<PhysicalAddressTag>;

}  // namespace aarch64_paging

#endif
