/// @file
/// Sizing a static page pool before anything runs: an upper bound on the table pages a
/// list of regions can take, for any output addresses and constraints. The exact count
/// for one call on a given mapping is Mapping::tables_needed.
#ifndef AARCH64_PAGING_BUDGET_HPP
#define AARCH64_PAGING_BUDGET_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/region.hpp"

namespace aarch64_paging {

/// The table pages, the root included, that mapping every region of @p regions into an
/// empty mapping with its root at @p root_level can take at most: below every entry a
/// region touches at a level above the leaf, one table (as with NO_BLOCK_MAPPINGS, or
/// output addresses aligned unlike the input). Regions that share a table count it once
/// each, so the bound is exact for one region mapped with pages only and never low.
/// Constant-evaluable: `static_assert(worst_case_tables(map, n, 1) <= POOL_PAGES)`.
/// Regions that are empty or backwards count nothing, but an end of 0 after a start that
/// is not stands for 2^64, the top of an upper range, as in map_range.
/// @p root_tables: the root's pages, 2 to 16 for a stage-2 root of concatenated tables
/// (Granule::stage2_root_tables), else 1.
template <class G = Granule4K>
constexpr size_t worst_case_tables(const MemoryRegion* regions, size_t count, unsigned root_level,
                                   unsigned root_tables = 1) {
    size_t tables = root_tables;
    for (size_t r = 0; r < count; ++r) {
        const uint64_t first = regions[r].start().value();
        const bool to_top = regions[r].end().value() == 0 && first != 0;
        if (regions[r].is_empty() && !to_top) {
            continue;
        }
        const uint64_t last = regions[r].end().value() - 1;  // 2^64 - 1 to the top
        for (unsigned level = root_level; level < G::leaf_level; ++level) {
            tables += static_cast<size_t>((last >> G::level_shift(level)) - (first >> G::level_shift(level)) + 1);
        }
    }
    return tables;
}

}  // namespace aarch64_paging

#endif
