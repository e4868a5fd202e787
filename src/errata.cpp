// The CPU errata policy: one word, set at run time (the C ABI's idmap_set_errata) and read
// by the arch layer where it issues TLB maintenance.
#include "aarch64_paging/arch.hpp"

namespace aarch64_paging::arch {

namespace {
uint32_t g_errata = 0;
}  // namespace

void set_errata(uint32_t workarounds) { __atomic_store_n(&g_errata, workarounds, __ATOMIC_RELAXED); }

uint32_t errata_in_force() { return __atomic_load_n(&g_errata, __ATOMIC_RELAXED); }

}  // namespace aarch64_paging::arch
