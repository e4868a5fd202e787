/*
 * entry_el.c - the entry EL's regime, registers, TLB and code pages (entry_el.h).
 */
#include "entry_el.h"

#include "bm.h"

const struct regime REGIME_EL2 = {IDMAP_REGIME_EL2, "EL2", 2, 0, IDMAP_ATTR_XN, 0, 0};
const struct regime REGIME_EL3 = {IDMAP_REGIME_EL3, "EL3", 3, 0, IDMAP_ATTR_XN, 0, 0};

const struct regime *regime_at_el(const struct regime *el1)
{
    switch (bm_current_el()) {
    case 1:
        return el1;
    case 2:
        return &REGIME_EL2;
    default:
        return &REGIME_EL3;
    }
}

struct regs read_regs(void)
{
    struct regs r = {0, 0, 0, 0, 0};
    switch (bm_current_el()) {
    case 1:
        r.sctlr = BM_READ_SYSREG(sctlr_el1);
        r.tcr = BM_READ_SYSREG(tcr_el1);
        r.mair = BM_READ_SYSREG(mair_el1);
        r.ttbr0 = BM_READ_SYSREG(ttbr0_el1);
        r.ttbr1 = BM_READ_SYSREG(ttbr1_el1);
        break;
    case 2:
        r.sctlr = BM_READ_SYSREG(sctlr_el2);
        r.tcr = BM_READ_SYSREG(tcr_el2);
        r.mair = BM_READ_SYSREG(mair_el2);
        r.ttbr0 = BM_READ_SYSREG(ttbr0_el2);
        if (BM_READ_SYSREG(hcr_el2) & HCR_E2H)
            __asm__ volatile("mrs %0, " TTBR1_EL2 : "=r"(r.ttbr1));
        break;
    default:
        r.sctlr = BM_READ_SYSREG(sctlr_el3);
        r.tcr = BM_READ_SYSREG(tcr_el3);
        r.mair = BM_READ_SYSREG(mair_el3);
        r.ttbr0 = BM_READ_SYSREG(ttbr0_el3);
        break;
    }
    return r;
}

void tlb_flush_local(void)
{
    switch (bm_current_el()) {
    case 1:
        __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
        break;
    case 2:
        __asm__ volatile("tlbi alle2\n\tdsb nsh\n\tisb" ::: "memory");
        break;
    default:
        __asm__ volatile("tlbi alle3\n\tdsb nsh\n\tisb" ::: "memory");
        break;
    }
}

#define INSN_MOV_X0_42 0xd2800540u
#define INSN_RET 0xd65f03c0u

typedef uint64_t (*code_fn)(void);

void write_code_pages(uint64_t base, unsigned pages)
{
    for (unsigned i = 0; i < pages; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(base + i * 0x1000ULL);
        p[0] = INSN_MOV_X0_42;
        p[1] = INSN_RET;
        bm_sync_icache((uintptr_t)p, 8);
    }
}

int call_code(uint64_t addr)
{
    bm_expect_fault();
    uint64_t r = ((code_fn)(uintptr_t)addr)();
    if (bm_fault_taken())
        return 0;
    return r == 42 ? 1 : -1;
}
