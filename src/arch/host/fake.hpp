// The host fake of the arch layer: simulated EL1 registers and a count of every
// barrier and TLB maintenance operation, for tests to inspect.
#ifndef AARCH64_PAGING_ARCH_HOST_FAKE_HPP
#define AARCH64_PAGING_ARCH_HOST_FAKE_HPP

#include <stdint.h>

namespace aarch64_paging::arch::fake {

struct Registers {
    uint64_t ttbr0_el1;
    uint64_t mair_el1;
    uint64_t tcr_el1;
    uint64_t sctlr_el1;
    uint64_t id_aa64mmfr0_el1;  // reset: 0x1124, PARange 44 bits, 16-bit ASIDs (Cortex-A57)
    uint64_t id_aa64mmfr2_el1;  // reset: 0, no FEAT_TTST
};

struct Counters {
    unsigned isb;
    unsigned dsb_ish;
    unsigned dsb_ishst;
    unsigned tlbi_aside1;
    uint16_t last_tlbi_asid;
    unsigned tlbi_vmalle1;
    uint64_t dcache_cleaned_bytes;
    unsigned dcache_set_way_flushes;
};

Registers& registers();
Counters& counters();
// Registers to their reset values (MMU off), counters to zero.
void reset();

}  // namespace aarch64_paging::arch::fake

#endif
