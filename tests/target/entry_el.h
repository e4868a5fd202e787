/*
 * entry_el.h - what the suites that run at the EL QEMU enters (regime.c, guard.c,
 * stress.c: images built with -DBM_STAY_AT_ENTRY_EL) share: the regime of that EL, its
 * translation registers, its TLB, code pages to call, and the other cores' MMU switch.
 */
#ifndef TARGET_ENTRY_EL_H
#define TARGET_ENTRY_EL_H

#include <stdint.h>

#include "idmap.h"

/* HCR_EL2.E2H (FEAT_VHE: the EL2&0 regime, EL1's register layouts at EL2), and
 * TTBR1_EL2 by encoding (older assemblers lack the name) - Arm ARM D19.2. */
#define HCR_E2H (1ULL << 34)
#define TTBR1_EL2 "S3_4_C2_C0_1"

/* A stage-1 regime as the suite runs in it; each suite defines its own (their ASIDs). */
struct regime {
    idmap_regime_t id;
    const char *name;
    unsigned el;   /* the EL that runs in it */
    int two;       /* two privilege levels: ASIDs, nG, USER, PXN, the upper VA range */
    uint64_t xn;   /* execute-never for the EL that runs: PXN (and UXN), or XN */
    uint64_t ng;   /* NON_GLOBAL where there are ASIDs */
    uint64_t asid; /* the suite's first map's (0 without ASIDs) */
};

/* The regime running (defined by the suite). */
extern const struct regime *R;

/* The regimes with one privilege level (no ASID; XN), the same in every suite. */
extern const struct regime REGIME_EL2, REGIME_EL3;

/* The regime of the EL the suite runs at: el1 (the suite's own, with its ASID) at EL1,
 * else REGIME_EL2 or REGIME_EL3. */
const struct regime *regime_at_el(const struct regime *el1);

/* What the image needs mapped, in R's regime: code, rodata, data (and stack), devices. */
#define F_CODE (IDMAP_ATTR_NORMAL | IDMAP_ATTR_READ_ONLY | R->ng | IDMAP_ATTR_VALID)
#define F_RODATA (IDMAP_ATTR_NORMAL | IDMAP_ATTR_READ_ONLY | R->xn | R->ng | IDMAP_ATTR_VALID)
#define F_DATA (IDMAP_ATTR_NORMAL | R->xn | R->ng | IDMAP_ATTR_VALID)
#define F_DEVICE (IDMAP_ATTR_DEVICE_NGNRE | R->xn | R->ng | IDMAP_ATTR_VALID)

/* The translation registers of the running EL's regime; ttbr1 is read at EL1, and at
 * EL2 with HCR_EL2.E2H set (0 otherwise). */
struct regs {
    uint64_t sctlr, tcr, mair, ttbr0, ttbr1;
};
struct regs read_regs(void);

/* Invalidates this core's TLB entries of the regime (TLBI VMALLE1, ALLE2 or ALLE3).
 * Called before each check of the library's TLB maintenance by VA: QEMU's TLB keeps one
 * range covering every block mapping it holds, and a flush by VA that falls in that
 * range flushes the whole translation regime. With a 2 MiB block in the TLB (the UART's,
 * after a print) a TLBI aimed at a wrong address would go unnoticed; after this, until
 * the check, only page mappings are touched (code, stack, bss, the test pages). */
void tlb_flush_local(void);

/* A secondary core's own MMU switch onto the primary's map, and off again: regime_cpu.S
 * (linked by the suites that start other cores) says what each does. */
void rt_mmu_on(unsigned el, uint64_t mair, uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1,
               uint64_t sctlr);
void rt_mmu_off(unsigned el, uintptr_t lo, uintptr_t hi);

/* Writes "mov x0, #42; ret" at the start of each of the pages at base (MMU off, before
 * any map) and makes it visible to instruction fetch. */
void write_code_pages(uint64_t base, unsigned pages);
/* Calls the code at addr: 1 if it ran and returned 42, 0 if it took an exception
 * (recorded in bm_fault; the handler returns to the caller through the link register),
 * -1 for anything else. */
int call_code(uint64_t addr);

#endif
