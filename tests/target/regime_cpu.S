/*
 * regime_cpu.S - the other cores' own MMU switch for tests/target/regime.c and
 * stress.c: a core joins a map that the primary enabled through the library, with the
 * same register values (idmap_mmu_config), and leaves it again. Written here, not taken from the library, so
 * that the library's enable sequence is not what checks itself.
 *
 *   void rt_mmu_on(unsigned el, uint64_t mair, uint64_t tcr, uint64_t ttbr0,
 *                  uint64_t ttbr1, uint64_t sctlr);
 *       With the MMU off: MAIR_ELx, TCR_ELx, TTBR0_ELx (and TTBR1_ELx at EL1, and at EL2
 *       when HCR_EL2.E2H is 1), ISB, TLBI of the regime on this core, IC IALLU, DSB, ISB,
 *       then SCTLR_ELx = sctlr, ISB.
 *   void rt_mmu_off(unsigned el, uintptr_t lo, uintptr_t hi);
 *       Cleans and invalidates [lo, hi) to the point of coherency (DC CIVAC; what this
 *       core wrote with its caches on), DSB SY, then clears SCTLR_ELx.{M, C, I}, ISB,
 *       TLBI of the regime on this core, DSB, ISB. No memory access between the clean
 *       and the SCTLR write, so nothing is dirty in this core's cache afterwards.
 *
 * Arm ARM DDI 0487K.a: SCTLR_ELx.{M, C, I}, DC CIVAC, TLBI ALLE2/ALLE3/VMALLE1, D8.14
 * "TLB maintenance"; TTBR1_EL2 by encoding (S3_4_C2_C0_1) for assemblers without
 * FEAT_VHE's names.
 */

#define HCR_EL2_E2H_BIT 34
#define SCTLR_M_C_I 0x1005

/* After the registers of EL x0 are written: ISB, TLBI of that EL's regime on this core
 * (VMALLE1, ALLE2, ALLE3), DSB, IC IALLU, DSB, ISB. Uses no register but the flags. */
    .macro flush_local
    isb
    cmp     x0, #3
    b.eq    .Lflush_el3\@
    cmp     x0, #2
    b.eq    .Lflush_el2\@
    tlbi    vmalle1
    b       .Lflush_done\@
.Lflush_el2\@:
    tlbi    alle2
    b       .Lflush_done\@
.Lflush_el3\@:
    tlbi    alle3
.Lflush_done\@:
    dsb     nsh
    ic      iallu
    dsb     nsh
    isb
    .endm

    .text
    .balign 4
    .global rt_mmu_on
    .type rt_mmu_on, %function
rt_mmu_on:
    cmp     x0, #3
    b.eq    3f
    cmp     x0, #2
    b.eq    2f
    msr     mair_el1, x1
    msr     tcr_el1, x2
    msr     ttbr0_el1, x3
    msr     ttbr1_el1, x4
    b       9f
2:  msr     mair_el2, x1
    msr     tcr_el2, x2
    msr     ttbr0_el2, x3
    mrs     x6, hcr_el2
    tbz     x6, #HCR_EL2_E2H_BIT, 9f
    msr     S3_4_C2_C0_1, x4            /* TTBR1_EL2 */
    b       9f
3:  msr     mair_el3, x1
    msr     tcr_el3, x2
    msr     ttbr0_el3, x3
9:  flush_local
    cmp     x0, #3
    b.eq    33f
    cmp     x0, #2
    b.eq    22f
    msr     sctlr_el1, x5
    b       99f
22: msr     sctlr_el2, x5
    b       99f
33: msr     sctlr_el3, x5
99: isb
    ret
    .size rt_mmu_on, . - rt_mmu_on

    .balign 4
    .global rt_mmu_off
    .type rt_mmu_off, %function
rt_mmu_off:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4             /* DminLine: log2(words) */
    mov     x4, #4
    lsl     x4, x4, x3                  /* line size in bytes */
    sub     x5, x4, #1
    bic     x1, x1, x5
1:  cmp     x1, x2
    b.hs    2f
    dc      civac, x1
    add     x1, x1, x4
    b       1b
2:  dsb     sy
    mov     x7, #SCTLR_M_C_I
    cmp     x0, #3
    b.eq    3f
    cmp     x0, #2
    b.eq    4f
    mrs     x6, sctlr_el1
    bic     x6, x6, x7
    msr     sctlr_el1, x6
    b       9f
4:  mrs     x6, sctlr_el2
    bic     x6, x6, x7
    msr     sctlr_el2, x6
    b       9f
3:  mrs     x6, sctlr_el3
    bic     x6, x6, x7
    msr     sctlr_el3, x6
9:  flush_local
    ret
    .size rt_mmu_off, . - rt_mmu_off
