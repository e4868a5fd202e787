/// @file
/// IdMap: an identity map (every virtual address maps to the same physical address) over
/// the generic core, owning its tables for its lifetime. The crate's IdMap, in C++: a
/// LinearMap whose offset is 0.
///
/// @code
///   aarch64_paging::IdMap map(1, 1);           // ASID 1, root level 1: 512 GiB
///   if (!map.is_valid()) return 1;             // no page for the root table (init_result())
///   Result r = map.map_range(MemoryRegion(0x80200000, 0x80400000),
///                            Attributes::NORMAL | Attributes::NON_GLOBAL | Attributes::VALID);
///   aarch64_paging::IdMap el3_map(TranslationRegime::El3, 0, 1);  // for TTBR0_EL3
/// @endcode
#ifndef AARCH64_PAGING_IDMAP_HPP
#define AARCH64_PAGING_IDMAP_HPP

#include "aarch64_paging/linear_map.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// An identity map: every address it maps, it maps to itself (the crate's IdMap), in the
/// lower VA range of its regime.
class IdMap : public LinearMap {
public:
    /// An EL1&0 identity map: LinearMap's constructor with offset 0.
    IdMap(uint64_t asid, unsigned root_level, const PageAllocator& allocator = default_page_allocator())
        : LinearMap(Regime{}, asid, root_level, 0, allocator) {}
    /// An identity map for the lower VA range of @p regime (ASID 0 in EL2 and EL3).
    IdMap(TranslationRegime regime, uint64_t asid, unsigned root_level,
          const PageAllocator& allocator = default_page_allocator())
        : LinearMap(Regime{regime, VaRange::Lower}, asid, root_level, 0, allocator) {}
};

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
