// The C ABI of shared/spec/c-abi.md: each function converts its arguments, forwards to
// the core (aarch64_paging::Mapping) and records a failure as the map's last error.
#include "idmap.h"

#include "aarch64_paging/allocator.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/mmu.hpp"
#include "aarch64_paging/text.hpp"
#include "handle.hpp"

using aarch64_paging::Attributes;
using aarch64_paging::Constraints;
using aarch64_paging::Descriptor;
using aarch64_paging::MapError;
using aarch64_paging::MemoryRegion;
using aarch64_paging::PageAllocator;
using aarch64_paging::PhysicalAddress;
using aarch64_paging::Status;
using aarch64_paging::indirect;
using idmap_capi::record;
namespace reason = aarch64_paging::argument_reason;

namespace {

MemoryRegion region_of(const idmap_region_t* range) { return MemoryRegion(range->start, range->end); }

idmap_region_t to_c(const MemoryRegion& region) {
    return idmap_region_t{region.start().value(), region.end().value()};
}

}  // namespace

namespace idmap_capi {

// A construction that failed: recorded where idmap_new_error() finds it.
idmap_t* refuse(const aarch64_paging::MapError& error) {
    g_new_error = to_c(error);
    return nullptr;
}

idmap_t* new_map(uint64_t asid, unsigned root_level, const PageAllocator& allocator, uint64_t pa_offset,
                 aarch64_paging::Regime where) {
    idmap* map = acquire_handle();
    if (map == nullptr) {
        return refuse(no_handle());
    }
    if (aarch64_paging::Result r = map->mapping.init(asid, root_level, allocator, pa_offset, where); !r) {
        release_handle(map);
        return refuse(r.error());
    }
    return map;
}

}  // namespace idmap_capi

namespace {

using idmap_capi::new_map;
using idmap_capi::refuse;

}  // namespace

extern "C" {

idmap_region_t idmap_region(uint64_t start, uint64_t end) { return to_c(MemoryRegion(start, end)); }

idmap_t* idmap_new(size_t asid, unsigned root_level) {
    return new_map(asid, root_level, aarch64_paging::default_page_allocator());
}

idmap_t* idmap_new_with_allocator(size_t asid, unsigned root_level, const idmap_allocator_t* alloc) {
    if (alloc == nullptr) {
        return refuse(MapError::invalid_argument(reason::NULL_POINTER));
    }
    return new_map(asid, root_level, PageAllocator{alloc->alloc_page, alloc->free_page, alloc->ctx});
}

idmap_t* idmap_new_with_config(const idmap_config_t* config) {
    if (config == nullptr) {
        return refuse(MapError::invalid_argument(reason::NULL_POINTER));
    }
    const idmap_allocator_t* alloc = config->allocator;
    const PageAllocator allocator = alloc != nullptr
                                        ? PageAllocator{alloc->alloc_page, alloc->free_page, alloc->ctx}
                                        : aarch64_paging::default_page_allocator();
    // Read as ints: a C caller may store any value in an enum.
    int regime;
    int range;
    __builtin_memcpy(&regime, &config->regime, sizeof regime);
    __builtin_memcpy(&range, &config->va_range, sizeof range);
    // Checked here, as ints: the core's enums are 8 bits wide.
    if (regime < IDMAP_REGIME_EL1_0 || regime > IDMAP_REGIME_EL3) {
        return refuse(MapError::invalid_argument(reason::REGIME, static_cast<uint16_t>(regime)));
    }
    if (range < IDMAP_VA_RANGE_LOWER || range > IDMAP_VA_RANGE_UPPER) {
        return refuse(MapError::invalid_argument(reason::VA_RANGE, static_cast<uint16_t>(range)));
    }
    const aarch64_paging::Regime where{static_cast<aarch64_paging::TranslationRegime>(regime),
                                       static_cast<aarch64_paging::VaRange>(range)};
    return new_map(config->asid, config->root_level, allocator, static_cast<uint64_t>(config->pa_offset), where);
}

const idmap_error_t* idmap_new_error(void) { return &idmap_capi::g_new_error; }

void idmap_free(idmap_t* map) {
    if (map == nullptr) {
        return;
    }
    // A map the MMU runs on goes out of use as idmap_disable_mmu takes it: an upper map
    // through the lower map it was enabled with, which turns off both.
    idmap* enabled = map->mmu_lower != nullptr ? map->mmu_lower : map;
    if (enabled->mmu_disable != nullptr) {
        (void)enabled->mmu_disable(enabled);
    }
    map->mapping.release();
    idmap_capi::release_handle(map);
}

idmap_status_t idmap_activate(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.activate());
}

idmap_status_t idmap_deactivate(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.deactivate());
}

bool idmap_is_active(const idmap_t* map) { return map != nullptr && map->mapping.is_active(); }

idmap_status_t idmap_activate_on_core(idmap_t* map, uint64_t* previous_ttbr) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (previous_ttbr == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, map->mapping.activate_on_core(*previous_ttbr));
}

idmap_status_t idmap_deactivate_on_core(idmap_t* map, uint64_t previous_ttbr) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.deactivate_on_core(previous_ttbr));
}

unsigned idmap_active_cores(const idmap_t* map) { return map != nullptr ? map->mapping.active_cores() : 0; }

idmap_regime_t idmap_regime(const idmap_t* map) {
    return map != nullptr ? static_cast<idmap_regime_t>(map->mapping.regime().regime) : IDMAP_REGIME_EL1_0;
}

idmap_va_range_t idmap_va_range(const idmap_t* map) {
    return map != nullptr ? static_cast<idmap_va_range_t>(map->mapping.regime().range) : IDMAP_VA_RANGE_LOWER;
}

idmap_status_t idmap_seal(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (!map->mapping.is_initialised()) {
        return record(map, Status::InvalidArgument);
    }
    map->mapping.seal();
    return IDMAP_OK;
}

idmap_status_t idmap_set_contiguous_hint(idmap_t* map, bool on) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    map->mapping.set_contiguous_hint(on);
    return IDMAP_OK;
}

bool idmap_contiguous_hint(const idmap_t* map) { return map != nullptr && map->mapping.contiguous_hint(); }

idmap_status_t idmap_set_guarded_code(idmap_t* map, bool on) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.set_guarded_code(on));
}

bool idmap_guarded_code(const idmap_t* map) { return map != nullptr && map->mapping.guarded_code(); }

idmap_status_t idmap_set_hardware_updates(idmap_t* map, unsigned updates) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.set_hardware_updates(updates));
}

unsigned idmap_hardware_updates(const idmap_t* map) { return map != nullptr ? map->mapping.hardware_updates() : 0; }

idmap_status_t idmap_protect_tables(idmap_t* map, idmap_t* in) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.protect_tables(in != nullptr ? &in->mapping : nullptr));
}

idmap_status_t idmap_unprotect_tables(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.unprotect_tables());
}

bool idmap_tables_protected(const idmap_t* map) { return map != nullptr && map->mapping.tables_protected(); }

idmap_status_t idmap_set_common_not_private(idmap_t* map, bool on) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.set_common_not_private(on));
}

bool idmap_common_not_private(const idmap_t* map) {
    return map != nullptr && map->mapping.common_not_private();
}

idmap_status_t idmap_set_live_splits(idmap_t* map, bool on) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, map->mapping.set_live_splits(on));
}

bool idmap_live_splits(const idmap_t* map) { return map != nullptr && map->mapping.live_splits(); }

bool idmap_is_sealed(const idmap_t* map) { return map != nullptr && map->mapping.is_sealed(); }

uint64_t idmap_va_start(const idmap_t* map) { return map != nullptr ? map->mapping.va_base() : 0; }

idmap_status_t idmap_map_range(idmap_t* map, const idmap_region_t* range, uint64_t flags) {
    return idmap_map_range_with_constraints(map, range, flags, 0);
}

idmap_status_t idmap_map_range_with_constraints(idmap_t* map, const idmap_region_t* range,
                                                uint64_t flags, uint32_t constraints) {
    return idmap_map_range_to(map, range, idmap_capi::own_output_address(map, range), flags, constraints);
}

// Never inlined into the calls that forward here: the walk's one call site stays one, and
// inlined into it (in each of them, GCC would take the walk out of line: +100
// instructions a call).
[[gnu::noinline]] idmap_status_t idmap_map_range_to(idmap_t* map, const idmap_region_t* range, uint64_t pa,
                                                    uint64_t flags, uint32_t constraints) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    // The map's own stage's bits: IDMAP_ATTR_*, or a stage-2 map's IDMAP_S2_*.
    return record(map, map->mapping.map_range_bits(region_of(range), PhysicalAddress(pa), flags,
                                                   Constraints(constraints)));
}

idmap_status_t idmap_modify_range(idmap_t* map, const idmap_region_t* range, idmap_modify_fn fn,
                                  void* ctx) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr || fn == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    // In the size build, a leaf loop of its own (not indirect(), as idmap_walk_range's): the
    // shared one pays three calls an entry here, where the speed build pays the C call
    // alone (W5 at 2.0x the speed build's time, not 1.0x; 0.5 KiB of .text).
    return record(map, map->mapping.modify_range(region_of(range), [fn, ctx](const MemoryRegion& region,
                                                                             Descriptor& entry,
                                                                             unsigned level) {
        const idmap_region_t c_region = to_c(region);
        idmap_descriptor_t c_entry{entry.bits()};
        const int rc = fn(&c_region, &c_entry, level, ctx);
        entry = Descriptor(c_entry.bits);
        return rc == 0;
    }));
}

idmap_status_t idmap_walk_range(const idmap_t* map, const idmap_region_t* range, idmap_walk_fn fn,
                                void* ctx) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr || fn == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    // Through the size build's shared leaf loop (indirect.hpp): W6 at 1.5x the speed
    // build's time, a C call an entry either way.
    return record(map, map->mapping.walk_range(region_of(range), indirect([fn, ctx](const MemoryRegion& region,
                                                                                    Descriptor entry,
                                                                                    unsigned level) {
        const idmap_region_t c_region = to_c(region);
        const idmap_descriptor_t c_entry{entry.bits()};
        return fn(&c_region, &c_entry, level, ctx) == 0;
    })));
}

idmap_status_t idmap_change_attributes(idmap_t* map, const idmap_region_t* range, uint64_t set, uint64_t clear) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, map->mapping.change_attributes(region_of(range), Attributes(set), Attributes(clear)));
}

idmap_status_t idmap_collect_dirty(idmap_t* map, const idmap_region_t* range, uint64_t* bitmap, size_t words) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, map->mapping.collect_dirty(region_of(range), bitmap, words));
}

idmap_status_t idmap_walk_runs(const idmap_t* map, const idmap_region_t* range, idmap_run_fn fn, void* ctx) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr || fn == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, map->mapping.walk_runs(region_of(range), [fn, ctx](const MemoryRegion& run,
                                                                          Descriptor first, unsigned level) {
        const idmap_region_t c_run = to_c(run);
        const idmap_descriptor_t c_first{first.bits()};
        return fn(&c_run, &c_first, level, ctx) == 0;
    }));
}

idmap_status_t idmap_unmap_range(idmap_t* map, const idmap_region_t* range) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    return record(map, map->mapping.unmap_range(region_of(range)));
}

size_t idmap_coalesce_subtables(idmap_t* map) { return map != nullptr ? map->mapping.coalesce_subtables() : 0; }

size_t idmap_compact_subtables(idmap_t* map) { return map != nullptr ? map->mapping.compact_subtables() : 0; }

uint64_t idmap_root_address(const idmap_t* map) {
    return map != nullptr ? map->mapping.root_address().value() : 0;
}

uint64_t idmap_size(const idmap_t* map) { return map != nullptr ? map->mapping.size() : 0; }

size_t idmap_table_count(const idmap_t* map) { return map != nullptr ? map->mapping.table_count() : 0; }

const idmap_error_t* idmap_last_error(const idmap_t* map) {
    return map != nullptr ? &map->last_error : nullptr;
}

void idmap_dump(const idmap_t* map, idmap_write_fn write, void* ctx) {
    if (map == nullptr || write == nullptr) {
        return;
    }
    aarch64_paging::TextWriter out(write, ctx);
    map->mapping.dump(out);
}

}  // extern "C"
