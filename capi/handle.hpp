// What an idmap_t is: the core mapping plus what the C ABI keeps beside it.
#ifndef IDMAP_CAPI_HANDLE_HPP
#define IDMAP_CAPI_HANDLE_HPP

#include "aarch64_paging/arch.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/mapping.hpp"
#include "idmap.h"

struct idmap {
    aarch64_paging::Mapping<> mapping;
    // walk_range records failures on a const map too.
    mutable idmap_error_t last_error{};
    // Set by idmap_enable_mmu: the registers to load back on idmap_disable_mmu.
    aarch64_paging::arch::MmuRegisters mmu_previous{};
    // Set by idmap_enable_mmu: how idmap_free turns the MMU off again (idmap_disable_mmu),
    // nullptr while not enabled. A pointer, so that a program that never enables the MMU
    // through the library does not link the MMU code.
    idmap_status_t (*mmu_disable)(idmap*) = nullptr;
    // idmap_enable_mmu_split: the upper map enabled with this one, and back.
    idmap* mmu_upper = nullptr;
    idmap* mmu_lower = nullptr;
    bool in_use = false;
};

namespace idmap_capi {

// A free handle, or nullptr (on a board: all IDMAP_MAX_MAPS in use; host: no memory).
idmap* acquire_handle();
// Why acquire_handle() answered nullptr.
aarch64_paging::MapError no_handle();
// The last construction that failed (idmap_new_error()): a constructor has no map to
// record it on. Beside the handles, not before the table pool, whose page alignment
// would pad it to a page.
extern idmap_error_t g_new_error;
void release_handle(idmap* map);

// A new map in a handle, or nullptr with the reason recorded for idmap_new_error()
// (capi/idmap.cpp).
idmap_t* new_map(uint64_t asid, unsigned root_level, const aarch64_paging::PageAllocator& allocator,
                 uint64_t pa_offset = 0, aarch64_paging::Regime where = {});
// Records error for idmap_new_error(); answers nullptr.
idmap_t* refuse(const aarch64_paging::MapError& error);

inline idmap_error_t to_c(const aarch64_paging::MapError& e) {
    return idmap_error_t{static_cast<idmap_status_t>(e.status), e.va.value(),
                         idmap_region_t{e.region.start().value(), e.region.end().value()}, e.value};
}

// A C caller may store any int in the status (C enums are ints); read it as one, since a
// value outside idmap_status_t's enumerators is not a valid C++ idmap_status_t.
static_assert(sizeof(idmap_status_t) == sizeof(int), "idmap_status_t is an int-sized enum");
inline aarch64_paging::MapError from_c(const idmap_error_t& e) {
    int status;
    __builtin_memcpy(&status, &e.status, sizeof status);
    return aarch64_paging::MapError{static_cast<aarch64_paging::Status>(status),
                                    aarch64_paging::VirtualAddress(e.va),
                                    aarch64_paging::MemoryRegion(e.region.start, e.region.end),
                                    e.value};
}

// The map's own output address for the start of range (as rounded to its page), which
// the calls that name none pass on to their _to form; 0 for a NULL map or range, which
// that form refuses.
inline uint64_t own_output_address(const idmap* map, const idmap_region_t* range) {
    if (map == nullptr || range == nullptr) {
        return 0;
    }
    const uint64_t start = range->start & ~(aarch64_paging::PAGE_SIZE - 1);
    return map->mapping.output_address(aarch64_paging::VirtualAddress(start)).value();
}

// Records a failure as the map's last error; gives the status back.
inline idmap_status_t record(const idmap* map, const aarch64_paging::Result& result) {
    if (!result.is_ok()) {
        map->last_error = to_c(result.error());
    }
    return static_cast<idmap_status_t>(result.status());
}

}  // namespace idmap_capi

#endif
