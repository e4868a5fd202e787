// The pre-flight check (preflight.hpp): one walk_range per critical range, stopping at
// the first leaf that does not allow the use; the table pages one by one.
#include "aarch64_paging/preflight.hpp"

#include "aarch64_paging/access.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/mair.hpp"
#include "aarch64_paging/translation.hpp"

namespace aarch64_paging {

namespace {

// The AArch64 vector table: 16 entries of 0x80 bytes (VBAR_ELx is 2 KiB-aligned).
constexpr uint64_t VECTOR_TABLE_BYTES = 0x800;
// A push of a register pair; SP is 16-byte aligned at any AArch64 exception boundary.
constexpr uint64_t STACK_SLOT_BYTES = 16;
constexpr uint64_t INSTRUCTION_BYTES = 4;

// What a valid leaf lacks for use.
uint64_t lacks(uint64_t leaf, CriticalUse use, const PreflightOptions& options) {
    const Access a = leaf_access(leaf, options.regime);
    const bool normal = descriptor_memory_type(leaf, options.mair) != MemoryType::Device;
    uint64_t reasons = (leaf & (uint64_t{1} << 10)) == 0 ? preflight_reason::NO_ACCESS_FLAG : 0;
    switch (use) {
        case CriticalUse::Code:
        case CriticalUse::Vectors:
            reasons |= a.execute ? 0 : preflight_reason::NOT_EXECUTABLE;
            reasons |= normal ? 0 : preflight_reason::DEVICE;
            break;
        case CriticalUse::Stack:
            reasons |= a.write ? 0 : preflight_reason::NOT_WRITABLE;
            reasons |= normal ? 0 : preflight_reason::DEVICE;
            break;
        case CriticalUse::Table:
            reasons |= a.write ? 0 : preflight_reason::NOT_WRITABLE;
            break;
    }
    return reasons;
}

// Checks [start, start + size) (one byte for size 0) for use.
Result check(const Mapping<>& mapping, uint64_t start, uint64_t size, CriticalUse use,
             const PreflightOptions& options) {
    const uint64_t last = start + (size != 0 ? size - 1 : 0);
    // The range checked, as far as 2^64 can say it: an end of 0 is 2^64, as in an upper
    // map's regions; a range wrapping past 2^64 ends at UINT64_MAX.
    const MemoryRegion range(start, last < start ? UINT64_MAX : last + 1);
    // Offsets from the map's first address: the map covers [0, size()) of them.
    const uint64_t offset = start - mapping.va_base();
    if (offset >= mapping.size() || last - start >= mapping.size() - offset) {
        // Beyond the map (below an upper one, or on past its end): the first address that is.
        const uint64_t va = offset >= mapping.size() ? start : mapping.va_base() + mapping.size();
        return MapError::preflight(VirtualAddress(va), range, preflight_value(preflight_reason::NOT_MAPPED, use));
    }
    MapError failed;
    // walk_range fails only through the callback: that is the answer.
    (void)mapping.walk_range(range, indirect([&](const MemoryRegion& leaf, Descriptor d, unsigned) {
        const uint64_t va = leaf.start().value() > start ? leaf.start().value() : start;
        const uint64_t reasons = d.is_valid() ? lacks(d.bits(), use, options) : preflight_reason::NOT_MAPPED;
        if (reasons != 0) {
            failed = MapError::preflight(VirtualAddress(va), range, preflight_value(reasons, use));
            return false;
        }
        return true;
    }));
    return failed;
}

}  // namespace

Result preflight_check(const Mapping<>& mapping, const Preflight& p, const PreflightOptions& options) {
    if (!mapping.is_initialised() || (p.extra == nullptr && p.extra_count != 0)) {
        return Status::InvalidArgument;
    }
    for (size_t i = 0; i < p.extra_count; ++i) {
        if (p.extra[i].size != 0 && p.extra[i].start + (p.extra[i].size - 1) < p.extra[i].start) {
            return Status::InvalidArgument;
        }
    }
    if ((p.skip & preflight_skip::PC) == 0) {
        if (Result r = check(mapping, p.pc, INSTRUCTION_BYTES, CriticalUse::Code, options); !r) {
            return r;
        }
    }
    if ((p.skip & preflight_skip::SP) == 0) {
        if (Result r = check(mapping, p.sp - STACK_SLOT_BYTES, STACK_SLOT_BYTES, CriticalUse::Stack, options); !r) {
            return r;
        }
    }
    if ((p.skip & preflight_skip::VBAR) == 0) {
        if (Result r = check(mapping, p.vbar, VECTOR_TABLE_BYTES, CriticalUse::Vectors, options); !r) {
            return r;
        }
    }
    for (size_t i = 0; i < p.extra_count; ++i) {
        if (Result r = check(mapping, p.extra[i].start, p.extra[i].size, p.extra[i].use, options); !r) {
            return r;
        }
    }
    // A protected map's tables the library writes no more (protect_tables()): they need no
    // writable mapping, and the walks read them by physical address.
    if (!p.check_tables || mapping.tables_protected()) {
        return {};
    }
    Result first;
    mapping.for_each_table([&](const void* table) {
        if (first.is_ok()) {
            first = check(mapping, IdTranslation::physical(table).value(), Granule4K::page_size,
                          CriticalUse::Table, options);
        }
    });
    return first;
}

Result activate_checked(Mapping<>& mapping, const Preflight& preflight, const PreflightOptions& options) {
    if (preflight.skip != preflight_skip::ALL) {
        if (Result r = preflight_check(mapping, preflight, options); !r) {
            return r;
        }
    }
    return mapping.activate();
}

}  // namespace aarch64_paging
