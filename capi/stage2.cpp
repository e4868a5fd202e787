// The C ABI's stage 2 (idmap.h, "Stage 2 (hypervisors)"), over Mapping with
// TranslationRegime::Stage2 and stage2.hpp. Its own file: a program that makes no stage-2
// map links none of it.
#include "aarch64_paging/budget.hpp"
#include "aarch64_paging/stage2.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::Granule4K;
using aarch64_paging::MemoryRegion;
using aarch64_paging::PageAllocator;
using aarch64_paging::Stage2Attributes;
using aarch64_paging::Status;
using idmap_capi::record;
namespace reason = aarch64_paging::argument_reason;

static_assert(IDMAP_REGIME_STAGE2 == static_cast<int>(aarch64_paging::TranslationRegime::Stage2),
              "the C and C++ regimes agree");
static_assert(IDMAP_S2_NORMAL == aarch64_paging::bits(Stage2Attributes::NORMAL) &&
                  IDMAP_S2_XN == aarch64_paging::bits(Stage2Attributes::XN) &&
                  IDMAP_S2_XN_EL1 == aarch64_paging::bits(Stage2Attributes::XN_EL1) &&
                  IDMAP_S2_XN_EL0 == aarch64_paging::bits(Stage2Attributes::XN_EL0) &&
                  IDMAP_S2_READ_WRITE == aarch64_paging::bits(Stage2Attributes::READ_WRITE) &&
                  IDMAP_S2_FWB_STAGE1 == aarch64_paging::bits(Stage2Attributes::FWB_STAGE1),
              "the C and C++ stage-2 attributes agree");
static_assert(IDMAP_ARG_IPA_SIZE == reason::IPA_SIZE && IDMAP_ARG_NO_XNX == reason::NO_XNX,
              "the C and C++ reasons agree");

extern "C" {

idmap_t* idmap_new_stage2(const idmap_stage2_config_t* config) {
    if (config == nullptr) {
        return idmap_capi::refuse(aarch64_paging::MapError::invalid_argument(reason::NULL_POINTER));
    }
    const idmap_allocator_t* alloc = config->allocator;
    const PageAllocator allocator =
        alloc != nullptr ? PageAllocator{alloc->alloc_page, alloc->free_page, alloc->ctx, config->alloc_root,
                                         config->free_root}
                         : aarch64_paging::default_page_allocator_contiguous();
    // Checked here: the core's fields are 8 bits wide.
    if (config->ipa_bits > 0xff) {
        return idmap_capi::refuse(aarch64_paging::MapError::invalid_argument(
            reason::IPA_SIZE, 0xffff, static_cast<uint16_t>(config->start_level < 0xffff ? config->start_level : 0xffff)));
    }
    const aarch64_paging::Stage2Options options{static_cast<uint8_t>(config->ipa_bits), config->xnx};
    idmap* map = idmap_capi::acquire_handle();
    if (map == nullptr) {
        return idmap_capi::refuse(idmap_capi::no_handle());
    }
    if (aarch64_paging::Result r = map->mapping.init_stage2(config->vmid, config->start_level, allocator,
                                                            static_cast<uint64_t>(config->pa_offset), options);
        !r) {
        idmap_capi::release_handle(map);
        return idmap_capi::refuse(r.error());
    }
    return map;
}

unsigned idmap_s2_root_tables(const idmap_t* map) { return map != nullptr ? map->mapping.root_tables() : 0; }

idmap_status_t idmap_s2_vtcr(const idmap_t* map, uint64_t id_aa64mmfr0, uint64_t id_aa64mmfr1, uint64_t* vtcr) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (vtcr == nullptr) {
        return record(map, aarch64_paging::MapError::invalid_argument(reason::NULL_POINTER));
    }
    return record(map, aarch64_paging::stage2_vtcr(map->mapping, id_aa64mmfr0, id_aa64mmfr1, *vtcr));
}

uint64_t idmap_s2_vttbr(const idmap_t* map) { return map != nullptr ? map->mapping.ttbr() : 0; }

idmap_status_t idmap_s2_activate(idmap_t* map) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    return record(map, aarch64_paging::stage2_activate(map->mapping));
}

idmap_status_t idmap_s2_activate_on_core(idmap_t* map, uint64_t* previous) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (previous == nullptr) {
        return record(map, aarch64_paging::MapError::invalid_argument(reason::NULL_POINTER));
    }
    return record(map, aarch64_paging::stage2_activate_on_core(map->mapping, *previous));
}

idmap_status_t idmap_s2_map_range_bbm(idmap_t* map, const idmap_region_t* range, uint64_t flags,
                                      uint32_t constraints) {
    return idmap_s2_map_range_bbm_to(map, range, idmap_capi::own_output_address(map, range), flags, constraints);
}

// Never inlined into idmap_s2_map_range_bbm, as idmap_map_range_to: one call site of the walk.
[[gnu::noinline]] idmap_status_t idmap_s2_map_range_bbm_to(idmap_t* map, const idmap_region_t* range, uint64_t pa,
                                                           uint64_t flags, uint32_t constraints) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    // The map's own stage's bits, as idmap_map_range_to() takes them.
    return record(map, map->mapping.map_range_bits_break_before_make(MemoryRegion(range->start, range->end),
                                                                     aarch64_paging::PhysicalAddress(pa), flags,
                                                                     aarch64_paging::Constraints(constraints)));
}

size_t idmap_s2_worst_case_tables(const idmap_region_t* regions, size_t count, unsigned start_level,
                                  unsigned ipa_bits) {
    if ((regions == nullptr && count != 0) || start_level < Granule4K::stage2_min_root_level ||
        start_level > Granule4K::stage2_max_root_level || ipa_bits < Granule4K::stage2_min_ipa_bits(start_level) ||
        ipa_bits > Granule4K::stage2_max_ipa_bits(start_level)) {
        return 0;
    }
    const unsigned roots = Granule4K::stage2_root_tables(start_level, ipa_bits);
    size_t tables = roots;
    for (size_t i = 0; i < count; ++i) {
        const MemoryRegion region(regions[i].start, regions[i].end);
        tables += aarch64_paging::worst_case_tables(&region, 1, start_level, roots) - roots;
    }
    return tables;
}

}  // extern "C"
