// Errors: one status enum shared with the C ABI (same values as idmap_status_t), the
// detail that goes with each, and a [[nodiscard]] result type, since without exceptions
// an ignored error is the easiest bug to write.
#ifndef AARCH64_PAGING_ERROR_HPP
#define AARCH64_PAGING_ERROR_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/region.hpp"

namespace aarch64_paging {

enum class Status : int {
    Ok = 0,
    // An address outside what the table covers.
    AddressRange = 1,
    InvalidVirtualAddress = 2,
    // A region whose end is before its start.
    RegionBackwards = 3,
    // A modify or walk callback failed.
    PteUpdateFault = 4,
    // Flags the call does not accept.
    InvalidFlags = 5,
    // The change to a live table would need break-before-make.
    BreakBeforeMakeViolation = 6,
    // No page for a new table.
    OutOfMemory = 7,
    // A NULL pointer, a bad root level or ASID, ...
    InvalidArgument = 8,
    AlreadyActive = 9,
    NotActive = 10,
};

// A short description of status: "address out of range", ...
const char* status_str(Status status);

// What went wrong, with the detail that goes with the status:
//   AddressRange, InvalidVirtualAddress: va;   RegionBackwards, BreakBeforeMakeViolation:
//   region;   PteUpdateFault: value = the descriptor;   InvalidFlags: value = the bits.
struct MapError {
    Status status = Status::Ok;
    VirtualAddress va;
    MemoryRegion region;
    uint64_t value = 0;

    static constexpr MapError address_range(VirtualAddress va) {
        return MapError{Status::AddressRange, va, {}, 0};
    }
    static constexpr MapError invalid_virtual_address(VirtualAddress va) {
        return MapError{Status::InvalidVirtualAddress, va, {}, 0};
    }
    static constexpr MapError region_backwards(MemoryRegion region) {
        return MapError{Status::RegionBackwards, {}, region, 0};
    }
    static constexpr MapError pte_update_fault(uint64_t descriptor) {
        return MapError{Status::PteUpdateFault, {}, {}, descriptor};
    }
    static constexpr MapError invalid_flags(uint64_t bits) {
        return MapError{Status::InvalidFlags, {}, {}, bits};
    }
    static constexpr MapError break_before_make(MemoryRegion region) {
        return MapError{Status::BreakBeforeMakeViolation, {}, region, 0};
    }
    static constexpr MapError of(Status status) { return MapError{status, {}, {}, 0}; }

    // Writes the error as one line without a newline, as snprintf does: at most len - 1
    // characters and a NUL (nothing when len is 0). Returns the length of the whole line.
    size_t format(char* buf, size_t len) const;
};

// The outcome of a call: Ok, or a MapError.
class [[nodiscard]] Result {
public:
    constexpr Result() = default;
    constexpr Result(const MapError& error) : error_(error) {}  // NOLINT: implicit by design
    constexpr Result(Status status) : error_(MapError::of(status)) {}  // NOLINT

    constexpr bool is_ok() const { return error_.status == Status::Ok; }
    constexpr explicit operator bool() const { return is_ok(); }
    constexpr Status status() const { return error_.status; }
    constexpr const MapError& error() const { return error_; }

private:
    MapError error_;
};

}  // namespace aarch64_paging

#endif
