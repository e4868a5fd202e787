// The C ABI's errata policy, over aarch64_paging::arch::set_errata.
#include "aarch64_paging/arch.hpp"
#include "idmap.h"

extern "C" {

idmap_status_t idmap_set_errata(uint32_t errata) {
    if ((errata & ~aarch64_paging::arch::errata::KNOWN) != 0) {
        return IDMAP_ERR_INVALID_FLAGS;
    }
    aarch64_paging::arch::set_errata(errata);
    return IDMAP_OK;
}

uint32_t idmap_errata(void) { return aarch64_paging::arch::errata_in_force(); }

}  // extern "C"
