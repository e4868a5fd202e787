// The host fake: no system register is touched; the registers live in memory and every
// maintenance operation is counted and logged, so tests can check what the target would
// do. The decisions (arch::ttbr_switch, after_direct_switch, leaves_cache) are the
// target's own.
#include "aarch64_paging/arch.hpp"

#include "arch/host/fake.hpp"

namespace aarch64_paging::arch {

namespace fake {
namespace {

constexpr uint64_t kSctlrReset = 0x30d00800;  // SCTLR_ELx RES1 bits, MMU and caches off
constexpr uint64_t kSctlrM = uint64_t{1} << 0;

constexpr Registers kReset = {0, 0, 0, kSctlrReset, 0x1124, 0, 0, 0, 0, 0, 0, kSctlrReset,
                              0, 0, 0, kSctlrReset, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

Registers g_registers = kReset;
Counters g_counters = {};
Events g_events = {};

void event(Event::Kind kind, TranslationRegime regime = TranslationRegime::El1And0, uint64_t value = 0,
           uint64_t size = 0) {
    const Event e{kind, regime, value, size};
    if (g_events.count < Events::SIZE) {
        g_events.log[g_events.count] = e;
    }
    ++g_events.count;
    if (g_events.hook != nullptr) {
        g_events.hook(e, g_events.hook_ctx);
    }
}

void dsb_ish() {
    ++g_counters.dsb_ish;
    event(Event::DsbIsh);
}

void isb() {
    ++g_counters.isb;
    event(Event::Isb);
}

void log_once(Tlbi::Kind kind, TranslationRegime regime, uint64_t operand) {
    if (g_counters.log_count < Counters::LOG_SIZE) {
        g_counters.log[g_counters.log_count] = Tlbi{kind, regime, operand};
    }
    event(Event::Tlbi, regime, g_counters.log_count);
    ++g_counters.log_count;
}

// A TLBI as the target issues it: repeated after a DSB ISH under errata::REPEAT_TLBI.
void log(Tlbi::Kind kind, TranslationRegime regime, uint64_t operand) {
    log_once(kind, regime, operand);
    if ((errata_in_force() & errata::REPEAT_TLBI) != 0) {
        dsb_ish();
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
    case TranslationRegime::Stage2:
        // VTCR_EL2 and VTTBR_EL2; no MAIR of its own, and EL2's SCTLR.
        return {&r.mair_el2, &r.vtcr_el2, &r.vttbr_el2, nullptr, &r.sctlr_el2};
    case TranslationRegime::El1And0:
        break;
    }
    return {&r.mair_el1, &r.tcr_el1, &r.ttbr0_el1, &r.ttbr1_el1, &r.sctlr_el1};
}

uint64_t& ttbr(Regime where) {
    const Bank b = bank(where.regime);
    return where.range == VaRange::Upper && b.ttbr1 != nullptr ? *b.ttbr1 : *b.ttbr0;
}

void write_sctlr(TranslationRegime regime, uint64_t value) {
    *bank(regime).sctlr = value;
    event(Event::SctlrWrite, regime, value);
}

// The SCTLR that governs this core's own data accesses: its current EL's.
uint64_t current_sctlr() {
    switch (g_registers.current_el) {
    case 3:
        return g_registers.sctlr_el3;
    case 2:
        return g_registers.sctlr_el2;
    default:
        return g_registers.sctlr_el1;
    }
}

}  // namespace

Registers& registers() { return g_registers; }
Counters& counters() { return g_counters; }
Events& events() { return g_events; }
void reset() {
    g_registers = kReset;
    g_counters = Counters{};
    g_events = Events{};
}

}  // namespace fake

bool switch_ttbr(Regime where, uint64_t ttbr, bool leaving, uint64_t& previous) {
    uint64_t& reg = fake::ttbr(where);
    const uint64_t sctlr = *fake::bank(where.regime).sctlr;
    table_store_barrier();
    const bool live = runs_in(where.regime) && (sctlr & fake::kSctlrM) != 0;
    if (ttbr_switch(where, live, reg, ttbr) == TtbrSwitch::ThroughMmuOff) {
        if (fake::g_registers.unmapped_switch_code != 0) {
            previous = fake::g_registers.unmapped_switch_code;
            return false;
        }
        // As src/arch/aarch64/switch_ttbr.S does it.
        previous = reg;
        fake::write_sctlr(where.regime, sctlr & ~fake::kSctlrM);
        fake::isb();
        reg = ttbr;
        fake::event(fake::Event::TtbrWrite, where.regime, ttbr);
        invalidate_regime(where.regime);
        fake::dsb_ish();
        fake::write_sctlr(where.regime, sctlr);
        fake::isb();
        return true;
    }
    previous = reg;
    reg = ttbr;
    fake::event(fake::Event::TtbrWrite, where.regime, ttbr);
    fake::isb();
    switch (after_direct_switch(where, leaving)) {
    case AfterSwitch::Nothing:
        return true;
    case AfterSwitch::OldAsid:
        ++fake::g_counters.tlbi_aside1;
        fake::g_counters.last_tlbi_asid = static_cast<uint16_t>(previous >> TTBR_ASID_SHIFT);
        fake::log(fake::Tlbi::Asid, where.regime, previous & (MAX_ASID << TTBR_ASID_SHIFT));
        break;
    case AfterSwitch::Regime:
        invalidate_regime(where.regime);
        break;
    }
    tlb_sync();
    return true;
}

void table_store_barrier() {
    ++fake::g_counters.dsb_ishst;
    fake::event(fake::Event::DsbIshst);
}

void tables_published() {
    table_store_barrier();
    fake::isb();
}

void invalidate_va(TranslationRegime regime, uint64_t operand, bool last_level, bool all_asids) {
    ++fake::g_counters.tlbi_va;
    using fake::Tlbi;
    const Tlbi::Kind kind = all_asids ? (last_level ? Tlbi::VaLastLevelAllAsids : Tlbi::VaAllAsids)
                                      : (last_level ? Tlbi::VaLastLevel : Tlbi::Va);
    fake::log(kind, regime, operand);
}

void invalidate_va_range(TranslationRegime regime, uint64_t tag, uint64_t address, uint64_t pages,
                         unsigned page_shift, bool last_level, bool all_asids) {
    using fake::Tlbi;
    const Tlbi::Kind kind = all_asids ? (last_level ? Tlbi::RangeLastLevelAllAsids : Tlbi::RangeAllAsids)
                                      : (last_level ? Tlbi::RangeLastLevel : Tlbi::Range);
    for_each_range(tag, address, pages, page_shift, [&](uint64_t operand, bool range) {
        if (range) {
            ++fake::g_counters.tlbi_range;
            fake::log(kind, regime, operand);
        } else {
            invalidate_va(regime, operand, last_level, all_asids);  // invalidate_ipa's too
        }
    });
}

void invalidate_regime(TranslationRegime regime) {
    ++fake::g_counters.tlbi_regime;
    if (regime == TranslationRegime::El1And0) {
        ++fake::g_counters.tlbi_vmalle1;
    }
    fake::log(fake::Tlbi::Regime, regime, 0);
}

void tlb_sync() {
    fake::dsb_ish();
    fake::isb();
}

void tlb_barrier() { fake::dsb_ish(); }

void switch_vttbr(uint64_t vttbr, bool leaving, uint64_t& previous) {
    table_store_barrier();
    if (leaving) {
        invalidate_vmid();  // the leaving VMID, still VTTBR_EL2's
        tlb_barrier();
    }
    uint64_t& reg = fake::g_registers.vttbr_el2;
    previous = reg;
    reg = vttbr;
    fake::event(fake::Event::TtbrWrite, TranslationRegime::Stage2, vttbr);
    fake::isb();
    invalidate_vmid();
    tlb_sync();
}

void invalidate_ipa(uint64_t operand, bool last_level) {
    invalidate_va(TranslationRegime::Stage2, operand, last_level, false);
}

void invalidate_ipa_range(uint64_t address, uint64_t pages, unsigned page_shift, bool last_level) {
    invalidate_va_range(TranslationRegime::Stage2, 0, address, pages, page_shift, last_level, false);
}

void invalidate_vmid() { invalidate_regime(TranslationRegime::Stage2); }

uint64_t enter_vmid(uint64_t vttbr) {
    uint64_t& reg = fake::g_registers.vttbr_el2;
    const uint64_t previous = reg;
    if (((previous ^ vttbr) >> TTBR_ASID_SHIFT) != 0) {
        reg = vttbr;
        fake::event(fake::Event::TtbrWrite, TranslationRegime::Stage2, vttbr);
        fake::isb();
    }
    return previous;
}

void leave_vmid(uint64_t previous, uint64_t vttbr) {
    if (((previous ^ vttbr) >> TTBR_ASID_SHIFT) != 0) {
        fake::g_registers.vttbr_el2 = previous;
        fake::event(fake::Event::TtbrWrite, TranslationRegime::Stage2, previous);
        fake::isb();
    }
}

void write_vtcr(uint64_t vtcr) {
    fake::g_registers.vtcr_el2 = vtcr;
    fake::event(fake::Event::VtcrWrite, TranslationRegime::Stage2, vtcr);
}

uint64_t read_vtcr() { return fake::g_registers.vtcr_el2; }

TranslationRegime current_regime() {
    const fake::Registers& r = fake::g_registers;
    switch (r.current_el) {
    case 2:
        return ((r.hcr_el2 >> 34) & 1) != 0 ? TranslationRegime::El2And0 : TranslationRegime::El2;
    case 3:
        return TranslationRegime::El3;
    default:
        return TranslationRegime::El1And0;
    }
}

CpuState read_cpu_state(uint64_t) {
    const fake::Registers& r = fake::g_registers;
    return CpuState{r.pc, r.sp, r.vbar};
}

uint16_t el2_upper_range_asid() {
    const fake::Registers& r = fake::g_registers;
    const uint64_t ttbr = (r.tcr_el2 & (uint64_t{1} << 22)) != 0 ? r.ttbr1_el2 : r.ttbr0_el2;
    return static_cast<uint16_t>(ttbr >> TTBR_ASID_SHIFT);
}

uint64_t read_id_aa64mmfr0_el1() { return fake::g_registers.id_aa64mmfr0_el1; }
uint64_t read_id_aa64mmfr2_el1() { return fake::g_registers.id_aa64mmfr2_el1; }
uint64_t read_id_aa64mmfr1_el1() { return fake::g_registers.id_aa64mmfr1_el1; }
uint64_t read_id_aa64pfr1_el1() { return fake::g_registers.id_aa64pfr1_el1; }
uint64_t read_id_aa64isar0_el1() { return fake::g_registers.id_aa64isar0_el1; }

MmuRegisters read_mmu_registers(TranslationRegime regime) {
    const fake::Bank b = fake::bank(regime);
    return MmuRegisters{*b.mair, *b.tcr, *b.ttbr0, b.ttbr1 != nullptr ? *b.ttbr1 : 0, *b.sctlr};
}

void clean_dcache_to_poc(uintptr_t start, size_t size) {
    fake::event(fake::Event::CleanToPoc, TranslationRegime::El1And0, start, size);
}

void clean_invalidate_dcache_to_poc(uintptr_t start, size_t size) {
    fake::g_counters.dcache_cleaned_bytes += size;
    fake::event(fake::Event::CleanInvalidateToPoc, TranslationRegime::El1And0, start, size);
}

void prepare_table_page(void* page, size_t size) {
    if ((fake::current_sctlr() & SCTLR_DATA_CACHED) != SCTLR_DATA_CACHED) {
        fake::g_counters.dcache_invalidated_bytes += size;
        fake::event(fake::Event::InvalidateToPoc, TranslationRegime::El1And0, reinterpret_cast<uintptr_t>(page), size);
    }
}

void load_mmu_registers(TranslationRegime regime, const MmuRegisters& regs) {
    const fake::Bank b = fake::bank(regime);
    if (leaves_cache(*b.sctlr, regs.sctlr)) {
        ++fake::g_counters.dcache_set_way_flushes;
        fake::event(fake::Event::SetWayClean);
    }
    *b.mair = regs.mair;
    *b.tcr = regs.tcr;
    *b.ttbr0 = regs.ttbr0;
    fake::event(fake::Event::TtbrWrite, regime, regs.ttbr0);
    if (b.ttbr1 != nullptr) {
        *b.ttbr1 = regs.ttbr1;
    }
    invalidate_regime(regime);
    ++fake::g_counters.dsb_ish;
    fake::g_counters.isb += 2;
    fake::write_sctlr(regime, regs.sctlr);
}

}  // namespace aarch64_paging::arch
