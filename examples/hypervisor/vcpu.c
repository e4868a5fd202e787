/*
 * vcpu.c - a core's EL2 state for the guest, the ERET into it, and the guest's other
 * cores: PSCI CPU_ON started at the hypervisor's own entry, which sets up that core's
 * EL2 (its stage 1 and stage 2 through the library's per-core activation) first.
 *
 * One guest vCPU per physical core, the same MPIDR: a vCPU never moves.
 */
#include "hypervisor.h"

/* HCR_EL2 (Arm ARM DDI 0487, D19 "HCR_EL2") while the guest runs:
 *   VM (bit 0)       stage 2 on;
 *   SWIO (1)         the guest's data cache invalidation by set/way cleans too: what it
 *                    drops might be the hypervisor's dirty lines;
 *   FB (9)           its TLB and instruction cache maintenance broadcast to the inner
 *                    shareable domain, as KVM has it;
 *   BSU = 0b01 (11:10) its barriers at least inner shareable;
 *   TSC (19)         SMC traps to EL2, so that PSCI is the hypervisor's to answer;
 *   RW (31)          EL1 is AArch64.
 * IMO, FMO, AMO (4, 3, 5) clear: physical IRQs, FIQs and SErrors go to EL1 as they are,
 * the guest driving the GIC itself (no interrupt virtualisation). */
#define HCR_GUEST ((1ULL << 0) | (1ULL << 1) | (1ULL << 9) | (1ULL << 10) | (1ULL << 19) | (1ULL << 31))
/* CPTR_EL2 (D19 "CPTR_EL2", E2H = 0): its RES1 bits (13:12, 9:0), TFP (10) clear: FP/SIMD does not trap. */
#define CPTR_EL2_NO_TRAPS 0x33ffULL
/* CNTHCTL_EL2 (D19 "CNTHCTL_EL2", E2H = 0): EL1PCTEN (0), EL1PCEN (1): EL1 and EL0 reach the physical
 * counter and timer without trapping. CNTVOFF_EL2 0: virtual time is physical time. */
#define CNTHCTL_EL2_EL1_TIMERS 3ULL
/* MDCR_EL2 (D19 "MDCR_EL2"): HPMN (4:0) = PMCR_EL0.N (15:11), every counter the guest's; TPM, TPMCR, TDE,
 * TDA, TDOSA, TDRA clear: its PMU and debug accesses do not trap. */
#define PMCR_EL0_N(pmcr) (((pmcr) >> 11) & 0x1f)
/* SCTLR_EL1 (D19 "SCTLR_EL1"): its RES1 bits (29, 28, 23, 22, 20, 11); the MMU and caches off, as Linux's
 * booting.rst wants them at entry. */
#define SCTLR_EL1_OFF 0x30d00800ULL
/* SPSR_EL2 (D19 "SPSR_EL2") for the ERET: EL1h (M = 0b0101), D, A, I, F masked. */
#define SPSR_EL1H_MASKED 0x3c5ULL

void vcpu_enter(uint64_t entry, uint64_t x0, uint64_t stack_top, int first)
{
    BM_WRITE_SYSREG(cptr_el2, CPTR_EL2_NO_TRAPS);
    BM_WRITE_SYSREG(hstr_el2, 0);
    BM_WRITE_SYSREG(cnthctl_el2, CNTHCTL_EL2_EL1_TIMERS);
    BM_WRITE_SYSREG(cntvoff_el2, 0);
    /* EL1 reads MIDR_EL1 and MPIDR_EL1 through these (VPIDR_EL2, VMPIDR_EL2). */
    BM_WRITE_SYSREG(vpidr_el2, BM_READ_SYSREG(midr_el1));
    BM_WRITE_SYSREG(vmpidr_el2, BM_READ_SYSREG(mpidr_el1));
    BM_WRITE_SYSREG(mdcr_el2, PMCR_EL0_N(BM_READ_SYSREG(pmcr_el0)));
    BM_WRITE_SYSREG(sctlr_el1, SCTLR_EL1_OFF);

    /* Stage 2: the first core activates the map (VTCR_EL2, VTTBR_EL2, TLBI VMALLS12E1IS);
     * the others join it, which writes their VTCR_EL2 and VTTBR_EL2 and counts the core. */
    if (first) {
        linux_check(idmap_s2_activate(hyp.vm), hyp.vm, "idmap_s2_activate");
    } else {
        /* Under the lock: the other core may be changing the live map (dirty_log.c). */
        uint64_t previous;
        hyp_lock();
        linux_check(idmap_s2_activate_on_core(hyp.vm, &previous), hyp.vm, "idmap_s2_activate_on_core");
        hyp_unlock();
    }
    BM_WRITE_SYSREG(hcr_el2, HCR_GUEST);
    BM_ISB();

    /* SP_EL2 back at the top of this core's stack: the guest's traps start there. */
    register uint64_t r0 __asm__("x0") = x0;
    __asm__ volatile("mov sp, %1\n\t"
                     "msr elr_el2, %2\n\t"
                     "msr spsr_el2, %3\n\t"
                     "mov x1, xzr\n\t"
                     "mov x2, xzr\n\t"
                     "mov x3, xzr\n\t"
                     "eret"
                     :
                     : "r"(r0), "r"(stack_top), "r"(entry), "r"(SPSR_EL1H_MASKED)
                     : "x1", "x2", "x3", "memory");
    __builtin_unreachable();
}

/* ---- The other cores */

#define PSCI_INVALID_PARAMETERS (-2)
#define VCPU_STACK 16384

/* What a started core reads with its MMU off: a cache line of its own, cleaned. */
struct vcpu_start {
    uint64_t entry, context;
} __attribute__((aligned(64)));

static struct vcpu_start starts[BM_MAX_CORES];
static struct bm_secondary secondaries[BM_MAX_CORES];
static uint8_t stacks[BM_MAX_CORES][VCPU_STACK] __attribute__((aligned(64)));

/* Stage 1 of EL2 on with the primary's registers (idmap_mmu_config), from the MMU off:
 * MAIR_EL2, TCR_EL2, TTBR0_EL2, then this core's stale EL2 TLB entries and instruction
 * cache dropped, then SCTLR_EL2 (Arm ARM DDI 0487, D8 "The AArch64 Virtual Memory System
 * Architecture"; TLBI ALLE2). The code runs identity-mapped, so it goes on fetching the
 * next instruction. */
static void el2_mmu_on(const idmap_mmu_config_t *c)
{
    const uint64_t sctlr = (BM_READ_SYSREG(sctlr_el2) | c->sctlr_set) & ~c->sctlr_clear;
    __asm__ volatile("msr mair_el2, %0\n\t"
                     "msr tcr_el2, %1\n\t"
                     "msr ttbr0_el2, %2\n\t"
                     "isb\n\t"
                     "tlbi alle2\n\t"
                     "dsb nsh\n\t"
                     "ic iallu\n\t"
                     "dsb nsh\n\t"
                     "isb\n\t"
                     "msr sctlr_el2, %3\n\t"
                     "isb"
                     :
                     : "r"(c->mair), "r"(c->tcr), "r"(c->ttbr), "r"(sctlr)
                     : "memory");
}

/* A started core, at EL2 with its MMU off, on its stack (bm_secondary_entry). */
static void secondary_main(void *arg)
{
    const struct vcpu_start *s = arg;
    const unsigned core = bm_core();
    const uint64_t entry = s->entry, context = s->context;
    const uint64_t top = (uintptr_t)stacks[core] + VCPU_STACK;
    /* No stale line of the stack this core wrote past the cache may show once it is on. */
    bm_clean_inval_poc((uintptr_t)stacks[core], VCPU_STACK);
    el2_mmu_on(&hyp.mmu);
    /* The MMU on first: the library counts cores with atomics, which need cacheable
     * memory. Same TTBR0_EL2: this only counts the core (and switches to itself). */
    uint64_t previous;
    linux_check(idmap_activate_on_core(hyp.el2, &previous), hyp.el2, "idmap_activate_on_core (EL2)");
    vcpu_enter(entry, context, top, 0);
}

int64_t vcpu_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
    const unsigned core = (unsigned)(mpidr & 0xff);
    if ((mpidr & ~0xffULL) != 0 || core >= BM_MAX_CORES)
        return PSCI_INVALID_PARAMETERS;
    starts[core].entry = entry;
    starts[core].context = context;
    bm_clean_inval_poc((uintptr_t)&starts[core], sizeof starts[core]);
    secondaries[core].fn = secondary_main;
    secondaries[core].arg = &starts[core];
    secondaries[core].stack_top = (uintptr_t)stacks[core] + VCPU_STACK;
    return bm_start_secondary(core, &secondaries[core]);
}
