// The C ABI's budgets, over Mapping::tables_needed and worst_case_tables.
#include "aarch64_paging/budget.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::MemoryRegion;
using aarch64_paging::Status;
using idmap_capi::record;

extern "C" {

idmap_status_t idmap_tables_needed(const idmap_t* map, const idmap_region_t* range, uint64_t flags,
                                   uint32_t constraints, size_t* pages) {
    return idmap_tables_needed_to(map, range, idmap_capi::own_output_address(map, range), flags, constraints,
                                  pages);
}

// Never inlined into idmap_tables_needed, as idmap_map_range_to: one call site of the plan.
[[gnu::noinline]] idmap_status_t idmap_tables_needed_to(const idmap_t* map, const idmap_region_t* range,
                                                        uint64_t pa, uint64_t flags, uint32_t constraints,
                                                        size_t* pages) {
    if (map == nullptr) {
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    if (range == nullptr || pages == nullptr) {
        return record(map, Status::InvalidArgument);
    }
    const MemoryRegion region(range->start, range->end);
    // The map's own stage's bits, as idmap_map_range_to() takes them.
    return record(map, map->mapping.tables_needed_bits(region, aarch64_paging::PhysicalAddress(pa), flags,
                                                       aarch64_paging::Constraints(constraints), *pages));
}

size_t idmap_worst_case_tables(const idmap_region_t* regions, size_t count, unsigned root_level) {
    if ((regions == nullptr && count != 0) || root_level > aarch64_paging::Granule4K::leaf_level) {
        return 0;
    }
    size_t tables = 1;
    for (size_t i = 0; i < count; ++i) {
        const MemoryRegion region(regions[i].start, regions[i].end);
        tables += aarch64_paging::worst_case_tables(&region, 1, root_level) - 1;
    }
    return tables;
}

}  // extern "C"
