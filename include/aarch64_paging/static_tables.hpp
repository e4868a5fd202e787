/// @file
/// Tables built at compile time: the generic core (Mapping) run in constant evaluation,
/// with its pages in a TableImage, so that a C++ image declares its memory map and gets
/// finished tables as constant data, checked by static_assert.
///
/// @code
///   constexpr aarch64_paging::MapEntry kMap[] = {
///       {MemoryRegion(0x40000000, 0x48000000), Attributes::NORMAL | Attributes::VALID},
///       {MemoryRegion(0x09000000, 0x09001000), Attributes::DEVICE_NGNRE | Attributes::VALID |
///                                               Attributes::EXECUTE_NEVER},
///   };
///   alignas(4096) constexpr auto kTables = aarch64_paging::build_id_tables<4>(0x40080000, 1, kMap);
///   static_assert(kTables.result.is_ok() && kTables.used == 4);
///   // TTBR0_EL1 = kTables.base (the root is the first page), once the image is loaded so
///   // that kTables sits at physical address kTables.base.
/// @endcode
#ifndef AARCH64_PAGING_STATIC_TABLES_HPP
#define AARCH64_PAGING_STATIC_TABLES_HPP

#include <stddef.h>
#include <stdint.h>

#include "aarch64_paging/address.hpp"
#include "aarch64_paging/attributes.hpp"
#include "aarch64_paging/descriptor.hpp"
#include "aarch64_paging/error.hpp"
#include "aarch64_paging/granule.hpp"
#include "aarch64_paging/mapping.hpp"
#include "aarch64_paging/regime.hpp"
#include "aarch64_paging/region.hpp"
#include "aarch64_paging/tuning.hpp"

namespace aarch64_paging {
AARCH64_PAGING_BUILD_BEGIN

/// Pages table pages, finished: what build_id_tables answers. Page i is entries[i *
/// G::entries, (i + 1) * G::entries) and sits at physical address base + i * G::page_size
/// once loaded; the root is page 0.
template <size_t Pages, class G = Granule4K>
struct TableImage {
    /// The pages' descriptors, page after page.
    Descriptor entries[Pages * G::entries] = {};
    /// The physical address of page 0, the root table: the TTBR's address field.
    uint64_t base = 0;
    /// Pages the tables take; the rest of entries is zero.
    size_t used = 0;
    /// Ok, or what the first call that failed answered (OutOfMemory: Pages is too small).
    Result result;
    /// The ASID the tables were built for (their non-global entries' tag).
    uint16_t asid = 0;

    /// The TTBR value: the root (page 0) | ASID << 48.
    constexpr uint64_t ttbr() const { return base | (uint64_t{asid} << TTBR_ASID_SHIFT); }
};

/// The translation of a TableImage being built: pages come from the image in order, and
/// a page's physical address is where the image puts it.
template <size_t Pages, class G = Granule4K>
struct ImageTranslation {
    /// Pages come from the image, not from a PageAllocator.
    static constexpr bool allocates_pages = true;
    /// The image being filled.
    TableImage<Pages, G>* image = nullptr;

    /// The next unused page, or nullptr when all Pages are used.
    constexpr Descriptor* alloc_page() {
        return image->used < Pages ? image->entries + image->used++ * G::entries : nullptr;
    }
    /// Takes back the page handed out last (the only order in which a failed call gives
    /// pages back); any other is left in place.
    constexpr void free_page(Descriptor* page) {
        if (image->used != 0 && page == image->entries + (image->used - 1) * G::entries) {
            --image->used;
        }
    }
    /// Where the table at @p table will be.
    constexpr PhysicalAddress physical(const Descriptor* table) const {
        return PhysicalAddress(image->base + static_cast<uint64_t>(table - image->entries) * sizeof(Descriptor));
    }
    /// The table that will be at @p pa.
    constexpr Descriptor* virt(PhysicalAddress pa) const {
        return image->entries + (pa.value() - image->base) / sizeof(Descriptor);
    }
};

/// One region of a memory map: what map_range is given.
struct MapEntry {
    MemoryRegion region;                          ///< The addresses, mapped to themselves.
    Attributes flags;                             ///< As for map_range.
    Constraints constraints = Constraints::NONE;  ///< As for map_range.
};

/// The identity map of @p map (each entry a map_range, in order) for @p where, with its
/// root at @p root_level and ASID @p asid, built by the generic core in constant
/// evaluation when called in a constant expression: the same tables, bit for bit, as the
/// core builds at run time into pages handed out in order from @p base. Stops at the
/// first call that fails, with its error in result. @p contiguous_hint: the policy of
/// Mapping::set_contiguous_hint for the build.
template <size_t Pages, class G = Granule4K, size_t N>
constexpr TableImage<Pages, G> build_id_tables(uint64_t base, unsigned root_level, const MapEntry (&map)[N],
                                               Regime where = {}, uint64_t asid = 0, bool contiguous_hint = false) {
    TableImage<Pages, G> image{};
    image.base = base;
    image.asid = static_cast<uint16_t>(asid);
    Mapping<G, ImageTranslation<Pages, G>> mapping(ImageTranslation<Pages, G>{&image});
    image.result = mapping.init(asid, root_level, PageAllocator{}, 0, where);
    mapping.set_contiguous_hint(contiguous_hint);
    for (size_t i = 0; i < N && image.result.is_ok(); ++i) {
        image.result = mapping.map_range(map[i].region, PhysicalAddress(map[i].region.start().value()),
                                         map[i].flags, map[i].constraints);
    }
    return image;
}

AARCH64_PAGING_BUILD_END
}  // namespace aarch64_paging

#endif
