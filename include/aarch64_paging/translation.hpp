// How the library reaches its own table pages: a table's physical address (what goes in a
// table descriptor and in TTBR) against the pointer the code uses. In an identity map,
// and on the host where the "physical" address is the pointer, they are the same.
#ifndef AARCH64_PAGING_TRANSLATION_HPP
#define AARCH64_PAGING_TRANSLATION_HPP

#include <stdint.h>

#include "aarch64_paging/address.hpp"

namespace aarch64_paging {

struct IdTranslation {
    static PhysicalAddress physical(const void* table) {
        return PhysicalAddress(reinterpret_cast<uintptr_t>(table));
    }
    static void* virt(PhysicalAddress pa) {
        return reinterpret_cast<void*>(static_cast<uintptr_t>(pa.value()));
    }
};

}  // namespace aarch64_paging

#endif
