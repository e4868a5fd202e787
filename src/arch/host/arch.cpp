// The host fake: no system register is touched; the registers live in memory and every
// maintenance operation is counted and logged, so tests can check what the target would
// do.
#include "aarch64_paging/arch.hpp"

#include "arch/host/fake.hpp"

namespace aarch64_paging::arch {

namespace fake {
namespace {

constexpr uint64_t kSctlrReset = 0x30d00800;  // SCTLR_ELx RES1 bits, MMU and caches off
constexpr uint64_t kSctlrC = uint64_t{1} << 2;

constexpr Registers kReset = {0, 0, 0, kSctlrReset, 0x1124, 0, 0, 0, 0, 0, 0, kSctlrReset,
                              0, 0, 0, kSctlrReset, 1, 0, 0, 0, 0};

Registers g_registers = kReset;
Counters g_counters = {};

void log_once(Tlbi::Kind kind, TranslationRegime regime, uint64_t operand) {
    if (g_counters.log_count < Counters::LOG_SIZE) {
        g_counters.log[g_counters.log_count] = Tlbi{kind, regime, operand};
    }
    ++g_counters.log_count;
}

// A TLBI as the target issues it: repeated after a DSB ISH under errata::REPEAT_TLBI.
void log(Tlbi::Kind kind, TranslationRegime regime, uint64_t operand) {
    log_once(kind, regime, operand);
    if ((errata_in_force() & errata::REPEAT_TLBI) != 0) {
        ++g_counters.dsb_ish;
        log_once(kind, regime, operand);
    }
}

// The simulated registers of a regime (EL2&0 shares EL2's).
struct Bank {
    uint64_t* mair;
    uint64_t* tcr;
    uint64_t* ttbr0;
    uint64_t* ttbr1;  // nullptr where the regime has no TTBR1
    uint64_t* sctlr;
};

Bank bank(TranslationRegime regime) {
    Registers& r = g_registers;
    switch (regime) {
    case TranslationRegime::El2:
        return {&r.mair_el2, &r.tcr_el2, &r.ttbr0_el2, nullptr, &r.sctlr_el2};
    case TranslationRegime::El2And0:
        return {&r.mair_el2, &r.tcr_el2, &r.ttbr0_el2, &r.ttbr1_el2, &r.sctlr_el2};
    case TranslationRegime::El3:
        return {&r.mair_el3, &r.tcr_el3, &r.ttbr0_el3, nullptr, &r.sctlr_el3};
    case TranslationRegime::El1And0:
        break;
    }
    return {&r.mair_el1, &r.tcr_el1, &r.ttbr0_el1, &r.ttbr1_el1, &r.sctlr_el1};
}

uint64_t& ttbr(Regime where) {
    const Bank b = bank(where.regime);
    return where.range == VaRange::Upper && b.ttbr1 != nullptr ? *b.ttbr1 : *b.ttbr0;
}

}  // namespace

Registers& registers() { return g_registers; }
Counters& counters() { return g_counters; }
void reset() {
    g_registers = kReset;
    g_counters = Counters{};
}

}  // namespace fake

uint64_t swap_ttbr(Regime where, uint64_t ttbr) {
    ++fake::g_counters.dsb_ishst;
    const uint64_t old = fake::ttbr(where);
    fake::ttbr(where) = ttbr;
    ++fake::g_counters.isb;
    if (!has_two_privilege_levels(where.regime)) {
        invalidate_regime(where.regime);
        tlb_sync();
    }
    return old;
}

void restore_ttbr(Regime where, uint64_t ttbr, uint16_t asid) {
    fake::ttbr(where) = ttbr;
    ++fake::g_counters.isb;
    if (where.regime == TranslationRegime::El1And0) {
        ++fake::g_counters.tlbi_aside1;
        fake::g_counters.last_tlbi_asid = asid;
        fake::log(fake::Tlbi::Asid, where.regime, uint64_t{asid} << TTBR_ASID_SHIFT);
    } else {
        invalidate_regime(where.regime);
    }
    tlb_sync();
}

void table_store_barrier() { ++fake::g_counters.dsb_ishst; }

void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level) {
    ++fake::g_counters.tlbi_va;
    fake::log(last_level ? fake::Tlbi::VaLastLevel : fake::Tlbi::Va, regime, operand);
}

void invalidate_regime(TranslationRegime regime) {
    ++fake::g_counters.tlbi_regime;
    if (regime == TranslationRegime::El1And0) {
        ++fake::g_counters.tlbi_vmalle1;
    }
    fake::log(fake::Tlbi::Regime, regime, 0);
}

void tlb_sync() {
    ++fake::g_counters.dsb_ish;
    ++fake::g_counters.isb;
}

bool runs_in(TranslationRegime regime) {
    const fake::Registers& r = fake::g_registers;
    switch (regime) {
    case TranslationRegime::El1And0:
        return r.current_el == 1;
    case TranslationRegime::El3:
        return r.current_el == 3;
    case TranslationRegime::El2:
    case TranslationRegime::El2And0:
        break;
    }
    const bool e2h = ((r.hcr_el2 >> 34) & 1) != 0;
    return r.current_el == 2 && e2h == (regime == TranslationRegime::El2And0);
}

CpuState read_cpu_state(uint64_t) {
    const fake::Registers& r = fake::g_registers;
    return CpuState{r.pc, r.sp, r.vbar};
}

uint64_t read_id_aa64mmfr0_el1() { return fake::g_registers.id_aa64mmfr0_el1; }
uint64_t read_id_aa64mmfr2_el1() { return fake::g_registers.id_aa64mmfr2_el1; }

MmuRegisters read_mmu_registers(TranslationRegime regime) {
    const fake::Bank b = fake::bank(regime);
    return MmuRegisters{*b.mair, *b.tcr, *b.ttbr0, b.ttbr1 != nullptr ? *b.ttbr1 : 0, *b.sctlr};
}

void clean_invalidate_dcache_to_poc(uintptr_t, size_t size) {
    fake::g_counters.dcache_cleaned_bytes += size;
}

void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs) {
    const fake::Bank b = fake::bank(regime);
    if ((*b.sctlr & fake::kSctlrC) != 0 && (regs.sctlr & fake::kSctlrC) == 0) {
        ++fake::g_counters.dcache_set_way_flushes;
    }
    *b.mair = regs.mair;
    *b.tcr = regs.tcr;
    *b.ttbr0 = regs.ttbr0;
    if (b.ttbr1 != nullptr) {
        *b.ttbr1 = regs.ttbr1;
    }
    *b.sctlr = regs.sctlr;
    invalidate_regime(regime);
    ++fake::g_counters.dsb_ish;
    fake::g_counters.isb += 2;
}

}  // namespace aarch64_paging::arch
