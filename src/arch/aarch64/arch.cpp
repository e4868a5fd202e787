// The arch layer on AArch64, for the EL1&0, EL2, EL2&0 and EL3 regimes. Barriers as the
// Arm ARM (DDI 0487K.a) requires for translation table updates and TLB maintenance
// (D8.13 "Translation Lookaside Buffers", D8.14 "TLB maintenance"): a DSB makes table
// stores visible to the walker and completes TLB invalidation, an ISB makes a system
// register write take effect. Each function runs at the regime's own exception level.
#include "aarch64_paging/arch.hpp"

extern "C" {
// load_mmu_registers.S; clean: arch::leaves_cache().
void aarch64_paging_load_mmu_registers_el1(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr, uint64_t clean);
void aarch64_paging_load_mmu_registers_el2(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr, uint64_t clean);
void aarch64_paging_load_mmu_registers_el2h(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                            uint64_t ttbr1, uint64_t sctlr, uint64_t clean);
void aarch64_paging_load_mmu_registers_el3(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
                                           uint64_t ttbr1, uint64_t sctlr, uint64_t clean);
// switch_ttbr.S: the switch through the MMU off, one routine per TTBR, each within one
// page.
void aarch64_paging_switch_ttbr0_el1(uint64_t ttbr, uint64_t repeat);
void aarch64_paging_switch_ttbr1_el1(uint64_t ttbr, uint64_t repeat);
void aarch64_paging_switch_ttbr0_el2(uint64_t ttbr, uint64_t repeat);
void aarch64_paging_switch_ttbr1_el2(uint64_t ttbr, uint64_t repeat);
void aarch64_paging_switch_ttbr0_el3(uint64_t ttbr, uint64_t repeat);
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
    case TranslationRegime::Stage2:  // switch_vttbr()
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
    case TranslationRegime::Stage2:  // switch_vttbr()
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
void tlbi_vaae1is(uint64_t operand) { TLBI("vaae1is", operand); }
void tlbi_vaale1is(uint64_t operand) { TLBI("vaale1is", operand); }
void tlbi_ipas2e1is(uint64_t operand) { TLBI("ipas2e1is", operand); }
void tlbi_ipas2le1is(uint64_t operand) { TLBI("ipas2le1is", operand); }

uint64_t read_sctlr(TranslationRegime regime) {
    uint64_t value = 0;
    switch (regime) {
    case TranslationRegime::El1And0:
        asm volatile("mrs %0, sctlr_el1" : "=r"(value));
        break;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
    case TranslationRegime::Stage2:  // EL2's own
        asm volatile("mrs %0, sctlr_el2" : "=r"(value));
        break;
    case TranslationRegime::El3:
        asm volatile("mrs %0, sctlr_el3" : "=r"(value));
        break;
    }
    return value;
}

// Whether the stage-1 translation of the running regime (the CPU runs at its EL) takes
// va to itself: AT S1ExR, PAR_EL1.F clear and PA[47:12] = va[47:12].
bool maps_to_itself(TranslationRegime regime, uint64_t va) {
    switch (regime) {
    case TranslationRegime::El1And0:
        asm volatile("at s1e1r, %0" : : "r"(va) : "memory");
        break;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
    case TranslationRegime::Stage2:  // never asked: a stage-2 switch is direct
        asm volatile("at s1e2r, %0" : : "r"(va) : "memory");
        break;
    case TranslationRegime::El3:
        asm volatile("at s1e3r, %0" : : "r"(va) : "memory");
        break;
    }
    uint64_t par;
    asm volatile("isb\n\tmrs %0, par_el1" : "=r"(par) : : "memory");
    constexpr uint64_t kPa = ((uint64_t{1} << 48) - 1) & ~uint64_t{0xfff};
    return (par & 1) == 0 && (par & kPa) == (va & kPa);
}

// Runs op (one DC by VA) on each data cache line of [start, start + size), then DSB SY,
// as Linux's dcache_by_line_op: the line is CTR_EL0.DminLine, log2 of the smallest data
// cache line in words, so that no line of a larger cache is stepped over.
template <class Op>
void by_dcache_line(uintptr_t start, size_t size, Op op) {
    uint64_t ctr;
    asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
    const uintptr_t line = uintptr_t{4} << ((ctr >> 16) & 0xf);
    for (uintptr_t va = start & ~(line - 1); va < start + size; va += line) {
        op(va);
    }
    asm volatile("dsb sy" ::: "memory");
}

// The routine that switches the TTBR of where through the MMU off.
using SwitchRoutine = void (*)(uint64_t, uint64_t);
SwitchRoutine switch_routine(Regime where) {
    const bool upper = where.range == VaRange::Upper;
    switch (where.regime) {
    case TranslationRegime::El1And0:
        return upper ? aarch64_paging_switch_ttbr1_el1 : aarch64_paging_switch_ttbr0_el1;
    case TranslationRegime::El2And0:
        return upper ? aarch64_paging_switch_ttbr1_el2 : aarch64_paging_switch_ttbr0_el2;
    case TranslationRegime::El2:
    case TranslationRegime::Stage2:  // never asked: a stage-2 switch is direct
        break;
    case TranslationRegime::El3:
        return aarch64_paging_switch_ttbr0_el3;
    }
    return aarch64_paging_switch_ttbr0_el2;
}

}  // namespace

bool switch_ttbr(Regime where, uint64_t ttbr, bool leaving, uint64_t& previous) {
    const uint64_t old = read_ttbr(where);
    table_store_barrier();
    const bool live = runs_in(where.regime) && (read_sctlr(where.regime) & 1) != 0;
    if (ttbr_switch(where, live, old, ttbr) == TtbrSwitch::ThroughMmuOff) {
        // The routine runs with the MMU off, fetching from its own address.
        const SwitchRoutine routine = switch_routine(where);
        const uint64_t code = reinterpret_cast<uintptr_t>(routine);
        if (!maps_to_itself(where.regime, code)) {
            previous = code;
            return false;
        }
        previous = old;
        routine(ttbr, errata_in_force() & errata::REPEAT_TLBI);
        return true;
    }
    previous = old;
    write_ttbr(where, ttbr);
    switch (after_direct_switch(where, leaving)) {
    case AfterSwitch::Nothing:
        return true;
    case AfterSwitch::OldAsid:
        TLBI("aside1is", old & (MAX_ASID << TTBR_ASID_SHIFT));
        break;
    case AfterSwitch::Regime:
        invalidate_regime(where.regime);
        break;
    }
    tlb_sync();
    return true;
}

void table_store_barrier() { asm volatile("dsb ishst" ::: "memory"); }

void tables_published() {
    asm volatile(
        "dsb ishst\n"
        "isb" ::: "memory");
}

void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level, bool all_asids) {
    switch (regime) {
    case TranslationRegime::El1And0:
        if (all_asids) {
            return last_level ? tlbi_vaale1is(operand) : tlbi_vaae1is(operand);
        }
        return last_level ? tlbi_vale1is(operand) : tlbi_vae1is(operand);
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        // With HCR_EL2.E2H = 1 these take the ASID in bits 63:48 and act on EL2&0.
        return last_level ? tlbi_vale2is(operand) : tlbi_vae2is(operand);
    case TranslationRegime::El3:
        return last_level ? tlbi_vale3is(operand) : tlbi_vae3is(operand);
    case TranslationRegime::Stage2:  // invalidate_ipa()
        break;
    }
}

namespace {

// One range TLBI, given by its SYS encoding (assemblers before Armv8.4 lack the names):
// never repeated for errata::REPEAT_TLBI, whose cores (Falkor, Cortex-A76 r0-r3) predate
// FEAT_TLBIRANGE.
#define TLBI_RANGE(encoding, operand) asm volatile("sys " encoding ", %0" : : "r"(operand) : "memory")

// invalidate_va_range's range operation: SYS #op1, C8, C2, #op2; RVA(L)E1IS op1 0, op2 1
// (5); RVAA(L)E1IS op2 3 (7); RVA(L)E2IS op1 4; RVA(L)E3IS op1 6.
void tlbi_va_range(TranslationRegime regime, uint64_t operand, bool last_level, bool all_asids) {
    switch (regime) {
    case TranslationRegime::El1And0:
        if (all_asids && last_level) {
            TLBI_RANGE("#0, c8, c2, #7", operand);
        } else if (all_asids) {
            TLBI_RANGE("#0, c8, c2, #3", operand);
        } else if (last_level) {
            TLBI_RANGE("#0, c8, c2, #5", operand);
        } else {
            TLBI_RANGE("#0, c8, c2, #1", operand);
        }
        break;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        if (last_level) {
            TLBI_RANGE("#4, c8, c2, #5", operand);
        } else {
            TLBI_RANGE("#4, c8, c2, #1", operand);
        }
        break;
    case TranslationRegime::El3:
        if (last_level) {
            TLBI_RANGE("#6, c8, c2, #5", operand);
        } else {
            TLBI_RANGE("#6, c8, c2, #1", operand);
        }
        break;
    case TranslationRegime::Stage2:  // invalidate_ipa_range()
        break;
    }
}

}  // namespace

void invalidate_va_range(TranslationRegime regime, uint64_t tag, uint64_t address, uint64_t pages,
                         unsigned page_shift, bool last_level, bool all_asids) {
    for_each_range(tag, address, pages, page_shift, [&](uint64_t operand, bool range) {
        if (range) {
            tlbi_va_range(regime, operand, last_level, all_asids);
        } else {
            invalidate_va(regime, operand, last_level, all_asids);
        }
    });
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
    case TranslationRegime::Stage2:  // invalidate_vmid()
        break;
    }
}

void tlb_sync() {
    asm volatile(
        "dsb ish\n"
        "isb" ::: "memory");
}

void tlb_barrier() { asm volatile("dsb ish" ::: "memory"); }

void switch_vttbr(uint64_t vttbr, bool leaving, uint64_t& previous) {
    table_store_barrier();
    if (leaving) {
        invalidate_vmid();  // the leaving VMID, still VTTBR_EL2's
        tlb_barrier();
    }
    asm volatile("mrs %0, vttbr_el2" : "=r"(previous));
    asm volatile("msr vttbr_el2, %0\n\tisb" : : "r"(vttbr) : "memory");
    invalidate_vmid();
    tlb_sync();
}

void invalidate_ipa(uint64_t operand, bool last_level) {
    return last_level ? tlbi_ipas2le1is(operand) : tlbi_ipas2e1is(operand);
}

void invalidate_ipa_range(uint64_t address, uint64_t pages, unsigned page_shift, bool last_level) {
    // RIPAS2LE1IS, RIPAS2E1IS: SYS #4, C8, C0, #6 (#2).
    for_each_range(0, address, pages, page_shift, [&](uint64_t operand, bool range) {
        if (!range) {
            invalidate_ipa(operand, last_level);
        } else if (last_level) {
            TLBI_RANGE("#4, c8, c0, #6", operand);
        } else {
            TLBI_RANGE("#4, c8, c0, #2", operand);
        }
    });
}

void invalidate_vmid() { TLBI_ALL("vmalls12e1is"); }

uint64_t enter_vmid(uint64_t vttbr) {
    uint64_t previous;
    asm volatile("mrs %0, vttbr_el2" : "=r"(previous));
    if (((previous ^ vttbr) >> TTBR_ASID_SHIFT) != 0) {
        asm volatile("msr vttbr_el2, %0\n\tisb" : : "r"(vttbr) : "memory");
    }
    return previous;
}

void leave_vmid(uint64_t previous, uint64_t vttbr) {
    if (((previous ^ vttbr) >> TTBR_ASID_SHIFT) != 0) {
        asm volatile("msr vttbr_el2, %0\n\tisb" : : "r"(previous) : "memory");
    }
}

void write_vtcr(uint64_t vtcr) { asm volatile("msr vtcr_el2, %0" : : "r"(vtcr) : "memory"); }

uint64_t read_vtcr() {
    uint64_t value;
    asm volatile("mrs %0, vtcr_el2" : "=r"(value));
    return value;
}

TranslationRegime current_regime() {
    uint64_t current_el;
    asm volatile("mrs %0, CurrentEL" : "=r"(current_el));
    switch ((current_el >> 2) & 3) {
    case 2: {
        uint64_t hcr;  // HCR_EL2 is not even readable below EL2
        asm volatile("mrs %0, hcr_el2" : "=r"(hcr));
        return ((hcr >> 34) & 1) != 0 ? TranslationRegime::El2And0 : TranslationRegime::El2;  // E2H, bit 34
    }
    case 3:
        return TranslationRegime::El3;
    default:
        return TranslationRegime::El1And0;  // EL1 (CurrentEL is not readable at EL0)
    }
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

uint16_t el2_upper_range_asid() {
    uint64_t tcr;
    uint64_t ttbr;
    asm volatile("mrs %0, tcr_el2" : "=r"(tcr));
    if ((tcr & (uint64_t{1} << 22)) != 0) {  // A1
        asm volatile("mrs %0, " TTBR1_EL2 : "=r"(ttbr));
    } else {
        asm volatile("mrs %0, ttbr0_el2" : "=r"(ttbr));
    }
    return static_cast<uint16_t>(ttbr >> TTBR_ASID_SHIFT);
}

uint64_t read_id_aa64mmfr0_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(value));
    return value;
}

uint64_t read_id_aa64mmfr1_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64mmfr1_el1" : "=r"(value));
    return value;
}

uint64_t read_id_aa64isar0_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64isar0_el1" : "=r"(value));
    return value;
}

uint64_t read_id_aa64pfr1_el1() {
    uint64_t value;
    asm volatile("mrs %0, id_aa64pfr1_el1" : "=r"(value));
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
    case TranslationRegime::Stage2:  // VTCR_EL2 in tcr, VTTBR_EL2 in ttbr0, EL2's SCTLR
        asm volatile("mrs %0, vtcr_el2" : "=r"(r.tcr));
        asm volatile("mrs %0, sctlr_el2" : "=r"(r.sctlr));
        break;
    }
    r.ttbr0 = read_ttbr(Regime{regime, VaRange::Lower});
    if (has_two_privilege_levels(regime)) {
        r.ttbr1 = read_ttbr(Regime{regime, VaRange::Upper});
    }
    return r;
}

void clean_dcache_to_poc(uintptr_t start, size_t size) {
    by_dcache_line(start, size, [](uintptr_t va) { asm volatile("dc cvac, %0" : : "r"(va) : "memory"); });
}

void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size) {
    by_dcache_line(start, size, [](uintptr_t va) { asm volatile("dc civac, %0" : : "r"(va) : "memory"); });
}

void prepare_table_page(void* page, size_t size) {
    uint64_t current_el;
    asm volatile("mrs %0, CurrentEL" : "=r"(current_el));
    const unsigned el = (current_el >> 2) & 3;
    const uint64_t sctlr = read_sctlr(el == 3   ? TranslationRegime::El3
                                      : el == 2 ? TranslationRegime::El2
                                                : TranslationRegime::El1And0);
    if ((sctlr & SCTLR_DATA_CACHED) == SCTLR_DATA_CACHED) {
        return;
    }
    by_dcache_line(reinterpret_cast<uintptr_t>(page), size,
                   [](uintptr_t va) { asm volatile("dc ivac, %0" : : "r"(va) : "memory"); });
}

void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs) {
    const uint64_t clean = leaves_cache(read_sctlr(regime), regs.sctlr) ? 1 : 0;
    switch (regime) {
    case TranslationRegime::El1And0:
        aarch64_paging_load_mmu_registers_el1(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr, clean);
        break;
    case TranslationRegime::El2:
        aarch64_paging_load_mmu_registers_el2(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr, clean);
        break;
    case TranslationRegime::El2And0:
        aarch64_paging_load_mmu_registers_el2h(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr, clean);
        break;
    case TranslationRegime::El3:
        aarch64_paging_load_mmu_registers_el3(regs.mair, regs.tcr, regs.ttbr0, regs.ttbr1, regs.sctlr, clean);
        break;
    case TranslationRegime::Stage2:  // no stage-1 MMU: stage 2 is activated (stage2.hpp)
        break;
    }
}

}  // namespace aarch64_paging::arch
