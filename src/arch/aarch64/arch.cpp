// The arch layer on AArch64, for the EL1&0, EL2, EL2&0 and EL3 regimes. Barriers as the
// Arm ARM (DDI 0487K.a) requires for translation table updates and TLB maintenance
// (D8.13 "Translation Lookaside Buffers", D8.14 "TLB maintenance"): a DSB makes table
// stores visible to the walker and completes TLB invalidation, an ISB makes a system
// register write take effect. Each function runs at the regime's own exception level.
#include "aarch64_paging/arch.hpp"

extern "C" {
void aarch64_paging_load_mmu_registers_el1(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr);
void aarch64_paging_load_mmu_registers_el2(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr);
void aarch64_paging_load_mmu_registers_el2h(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                            uint64_t ttbr1, uint64_t sctlr);
void aarch64_paging_load_mmu_registers_el3(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr);
}

// A TLBI by operand, or of a whole regime; where the errata policy says so, followed by
// DSB ISH and issued again (arch::errata::REPEAT_TLBI).
#define TLBI(op, operand)                                                                  \
    do {                                                                                   \
        asm volatile("tlbi " op ", %0" : : "r"(operand) : "memory");                       \
        if ((errata_in_force() & errata::REPEAT_TLBI) != 0) {                              \
            asm volatile("dsb ish\n\ttlbi " op ", %0" : : "r"(operand) : "memory");        \
        }                                                                                  \
    } while (0)
#define TLBI_ALL(op)                                                                       \
    do {                                                                                   \
        asm volatile("tlbi " op ::: "memory");                                             \
        if ((errata_in_force() & errata::REPEAT_TLBI) != 0) {                              \
            asm volatile("dsb ish\n\ttlbi " op ::: "memory");                              \
        }                                                                                  \
    } while (0)

// System registers by encoding where older assemblers lack the name (FEAT_VHE's
// TTBR1_EL2).
#define TTBR1_EL2 "s3_4_c2_c0_1"

namespace aarch64_paging::arch {

namespace {

uint64_t read_ttbr(Regime where) {
    uint64_t value = 0;
    const bool upper = where.range == VaRange::Upper;
    switch (where.regime) {
    case TranslationRegime::El1And0:
        if (upper) {
            asm volatile("mrs %0, ttbr1_el1" : "=r"(value));
        } else {
            asm volatile("mrs %0, ttbr0_el1" : "=r"(value));
        }
        break;
    case TranslationRegime::El2And0:
        if (upper) {
            asm volatile("mrs %0, " TTBR1_EL2 : "=r"(value));
            break;
        }
        [[fallthrough]];
    case TranslationRegime::El2:
        asm volatile("mrs %0, ttbr0_el2" : "=r"(value));
        break;
    case TranslationRegime::El3:
        asm volatile("mrs %0, ttbr0_el3" : "=r"(value));
        break;
    }
    return value;
}

// Writes the TTBR, then ISB.
void write_ttbr(Regime where, uint64_t value) {
    const bool upper = where.range == VaRange::Upper;
    switch (where.regime) {
    case TranslationRegime::El1And0:
        if (upper) {
            asm volatile("msr ttbr1_el1, %0" : : "r"(value) : "memory");
        } else {
            asm volatile("msr ttbr0_el1, %0" : : "r"(value) : "memory");
        }
        break;
    case TranslationRegime::El2And0:
        if (upper) {
            asm volatile("msr " TTBR1_EL2 ", %0" : : "r"(value) : "memory");
            break;
        }
        [[fallthrough]];
    case TranslationRegime::El2:
        asm volatile("msr ttbr0_el2, %0" : : "r"(value) : "memory");
        break;
    case TranslationRegime::El3:
        asm volatile("msr ttbr0_el3, %0" : : "r"(value) : "memory");
        break;
    }
    asm volatile("isb" ::: "memory");
}

// One function per TLBI by VA, so that invalidate_va reads as a table.
void tlbi_vae1is(uint64_t operand) { TLBI("vae1is", operand); }
void tlbi_vale1is(uint64_t operand) { TLBI("vale1is", operand); }
void tlbi_vae2is(uint64_t operand) { TLBI("vae2is", operand); }
void tlbi_vale2is(uint64_t operand) { TLBI("vale2is", operand); }
void tlbi_vae3is(uint64_t operand) { TLBI("vae3is", operand); }
void tlbi_vale3is(uint64_t operand) { TLBI("vale3is", operand); }

}  // namespace

uint64_t swap_ttbr(Regime where, uint64_t ttbr) {
    const uint64_t old = read_ttbr(where);
    table_store_barrier();
    write_ttbr(where, ttbr);
    // Without ASIDs the TLB cannot tell the old table's entries from the new one's.
    if (!has_two_privilege_levels(where.regime)) {
        invalidate_regime(where.regime);
        tlb_sync();
    }
    return old;
}

void restore_ttbr(Regime where, uint64_t ttbr, uint16_t asid) {
    // The old table is out of the TTBR before its entries are flushed, so no walk refills
    // the TLB with them afterwards.
    write_ttbr(where, ttbr);
    if (where.regime == TranslationRegime::El1And0) {
        TLBI("aside1is", uint64_t{asid} << TTBR_ASID_SHIFT);
    } else {
        invalidate_regime(where.regime);
    }
    tlb_sync();
}

void table_store_barrier() { asm volatile("dsb ishst" ::: "memory"); }

void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level) {
    switch (regime) {
    case TranslationRegime::El1And0:
        return last_level ? tlbi_vale1is(operand) : tlbi_vae1is(operand);
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        // With HCR_EL2.E2H = 1 these take the ASID in bits 63:48 and act on EL2&0.
        return last_level ? tlbi_vale2is(operand) : tlbi_vae2is(operand);
    case TranslationRegime::El3:
        return last_level ? tlbi_vale3is(operand) : tlbi_vae3is(operand);
    }
}

void invalidate_regime(TranslationRegime regime) {
    switch (regime) {
    case TranslationRegime::El1And0:
        TLBI_ALL("vmalle1is");
        break;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        TLBI_ALL("alle2is");
        break;
    case TranslationRegime::El3:
        TLBI_ALL("alle3is");
        break;
    }
}

void tlb_sync() {
    asm volatile(
        "dsb ish\n"
        "isb" ::: "memory");
}

bool runs_in(TranslationRegime regime) {
    uint64_t current_el;
    asm volatile("mrs %0, CurrentEL" : "=r"(current_el));
    current_el = (current_el >> 2) & 3;
    switch (regime) {
    case TranslationRegime::El1And0:
        return current_el == 1;
    case TranslationRegime::El3:
        return current_el == 3;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        break;
    }
    if (current_el != 2) {
        return false;  // HCR_EL2 is not even readable below EL2
    }
    uint64_t hcr;
    asm volatile("mrs %0, hcr_el2" : "=r"(hcr));
    const bool e2h = ((hcr >> 34) & 1) != 0;  // HCR_EL2.E2H, bit 34
    return e2h == (regime == TranslationRegime::El2And0);
}

CpuState read_cpu_state(uint64_t return_address) {
    CpuState state{return_address, 0, 0};
    uint64_t current_el;
    asm volatile("mov %0, sp" : "=r"(state.sp));
    asm volatile("mrs %0, CurrentEL" : "=r"(current_el));
    switch ((current_el >> 2) & 3) {
    case 3:
        asm volatile("mrs %0, vbar_el3" : "=r"(state.vbar));
        break;
    case 2:
        asm volatile("mrs %0, vbar_el2" : "=r"(state.vbar));
        break;
    default:
        asm volatile("mrs %0, vbar_el1" : "=r"(state.vbar));
        break;
    }
    return state;
}

uint64_t read_id_aa64mmfr0_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(value));
    return value;
}

uint64_t read_id_aa64mmfr2_el1() {
    uint64_t value;
    // ID_AA64MMFR2_EL1 by encoding, for assemblers that predate the name.
    asm volatile("mrs %0, s3_0_c0_c7_2" : "=r"(value));
    return value;
}

MmuRegisters read_mmu_registers(TranslationRegime regime) {
    MmuRegisters r{};
    switch (regime) {
    case TranslationRegime::El1And0:
        asm volatile("mrs %0, mair_el1" : "=r"(r.mair));
        asm volatile("mrs %0, tcr_el1" : "=r"(r.tcr));
        asm volatile("mrs %0, sctlr_el1" : "=r"(r.sctlr));
        break;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        asm volatile("mrs %0, mair_el2" : "=r"(r.mair));
        asm volatile("mrs %0, tcr_el2" : "=r"(r.tcr));
        asm volatile("mrs %0, sctlr_el2" : "=r"(r.sctlr));
        break;
    case TranslationRegime::El3:
        asm volatile("mrs %0, mair_el3" : "=r"(r.mair));
        asm volatile("mrs %0, tcr_el3" : "=r"(r.tcr));
        asm volatile("mrs %0, sctlr_el3" : "=r"(r.sctlr));
        break;
    }
    r.ttbr0 = read_ttbr(Regime{regime, VaRange::Lower});
    if (has_two_privilege_levels(regime)) {
        r.ttbr1 = read_ttbr(Regime{regime, VaRange::Upper});
    }
    return r;
}

void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size) {
    uint64_t ctr;
    asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
    // CTR_EL0.DminLine: log2 of the smallest data cache line, in words.
    const uintptr_t line = uintptr_t{4} << ((ctr >> 16) & 0xf);
    for (uintptr_t va = start & ~(line - 1); va < start + size; va += line) {
        asm volatile("dc civac, %0" : : "r"(va) : "memory");
    }
    asm volatile("dsb sy" ::: "memory");
}

void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs) {
    switch (regime) {
    case TranslationRegime::El1And0:
        aarch64_paging_load_mmu_registers_el1(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr);
        break;
    case TranslationRegime::El2:
        aarch64_paging_load_mmu_registers_el2(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr);
        break;
    case TranslationRegime::El2And0:
        aarch64_paging_load_mmu_registers_el2h(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr);
        break;
    case TranslationRegime::El3:
        aarch64_paging_load_mmu_registers_el3(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr);
        break;
    }
}

}  // namespace aarch64_paging::arch
