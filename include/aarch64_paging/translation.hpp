/// @file
/// How the library reaches its own table pages: a table's physical address (what goes in a
/// table descriptor and in TTBR) against the pointer the code uses. In an identity map,
/// and on the host where the "physical" address is the pointer, they are the same.
#ifndef AARCH64_PAGING_TRANSLATION_HPP
#define AARCH64_PAGING_TRANSLATION_HPP

#include <stdint.h>

#include "aarch64_paging/address.hpp"

namespace aarch64_paging {

/// The identity translation of table pages (the crate's IdTranslation): a page's
/// physical address is its pointer, and back.
struct IdTranslation {
    /// Table pages come from the mapping's PageAllocator, not from the translation.
    static constexpr bool allocates_pages = false;
    /// The physical address of the table page at @p table.
    static PhysicalAddress physical(const void* table) {
        return PhysicalAddress(reinterpret_cast<uintptr_t>(table));
    }
    /// The pointer through which the code reaches the table page at @p pa.
    static void* virt(PhysicalAddress pa) {
        return reinterpret_cast<void*>(static_cast<uintptr_t>(pa.value()));
    }
};

}  // namespace aarch64_paging

#endif
