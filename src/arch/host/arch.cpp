// The host fake: no system register is touched; the registers live in memory and every
// maintenance operation is counted, so tests can check what the target would do.
#include "aarch64_paging/arch.hpp"

#include "arch/host/fake.hpp"

namespace aarch64_paging::arch {

namespace fake {
namespace {

constexpr uint64_t kSctlrReset = 0x30d00800;  // SCTLR_EL1 RES1 bits, MMU and caches off
constexpr uint64_t kSctlrC = uint64_t{1} << 2;

constexpr Registers kReset = {0, 0, 0, kSctlrReset, 0x1124, 0};

Registers g_registers = kReset;
Counters g_counters = {};

}  // namespace

Registers& registers() { return g_registers; }
Counters& counters() { return g_counters; }
void reset() {
    g_registers = kReset;
    g_counters = Counters{};
}

}  // namespace fake

uint64_t swap_ttbr0_el1(uint64_t ttbr) {
    ++fake::g_counters.dsb_ishst;
    const uint64_t old = fake::g_registers.ttbr0_el1;
    fake::g_registers.ttbr0_el1 = ttbr;
    ++fake::g_counters.isb;
    return old;
}

void restore_ttbr0_el1(uint64_t ttbr, uint16_t asid) {
    fake::g_registers.ttbr0_el1 = ttbr;
    ++fake::g_counters.isb;
    ++fake::g_counters.tlbi_aside1;
    fake::g_counters.last_tlbi_asid = asid;
    ++fake::g_counters.dsb_ish;
    ++fake::g_counters.isb;
}

void table_store_barrier() { ++fake::g_counters.dsb_ishst; }

void invalidate_tlb_after_unmap() {
    ++fake::g_counters.dsb_ishst;
    ++fake::g_counters.tlbi_vmalle1;
    ++fake::g_counters.dsb_ish;
    ++fake::g_counters.isb;
}

uint64_t read_id_aa64mmfr0_el1() { return fake::g_registers.id_aa64mmfr0_el1; }
uint64_t read_id_aa64mmfr2_el1() { return fake::g_registers.id_aa64mmfr2_el1; }

MmuRegisters read_mmu_registers() {
    const fake::Registers& r = fake::g_registers;
    return MmuRegisters{r.mair_el1, r.tcr_el1, r.ttbr0_el1, r.sctlr_el1};
}

void clean_invalidate_dcache_to_poc(uintptr_t, size_t size) {
    fake::g_counters.dcache_cleaned_bytes += size;
}

void load_mmu_registers(const MmuRegisters& regs) {
    fake::Registers& r = fake::g_registers;
    if ((r.sctlr_el1 & fake::kSctlrC) != 0 && (regs.sctlr & fake::kSctlrC) == 0) {
        ++fake::g_counters.dcache_set_way_flushes;
    }
    r.mair_el1 = regs.mair;
    r.tcr_el1 = regs.tcr;
    r.ttbr0_el1 = regs.ttbr0;
    r.sctlr_el1 = regs.sctlr;
    ++fake::g_counters.tlbi_vmalle1;
    ++fake::g_counters.dsb_ish;
    fake::g_counters.isb += 2;
}

}  // namespace aarch64_paging::arch
