// void aarch64_paging_load_mmu_registers_el1(mair, tcr, ttbr0, ttbr1, sctlr)  EL1&0
// void aarch64_paging_load_mmu_registers_el2(mair, tcr, ttbr0, ttbr1, sctlr)  EL2 (E2H = 0)
// void aarch64_paging_load_mmu_registers_el2h(mair, tcr, ttbr0, ttbr1, sctlr) EL2&0 (E2H = 1)
// void aarch64_paging_load_mmu_registers_el3(mair, tcr, ttbr0, ttbr1, sctlr)  EL3
//
// In assembly because nothing may touch memory between turning the MMU (and perhaps the
// data cache) off and loading the new values: with SCTLR_ELx.M clear, data accesses are
// Device-nGnRnE and would miss lines that are dirty in the cache (Arm ARM DDI 0487K.a,
// on stage 1 translation disabled, and on cache maintenance by set/way). The code runs from
// an identity-mapped page, so it goes on fetching the same instructions with the MMU off.
// Registers only; no stack. ttbr1 is written only in the regimes that have TTBR1.

    .text

// Cleans and invalidates every data or unified cache up to the level of coherency
// (CLIDR_EL1.LoC) by set/way. Uses x6-x17; returns through x30.
    .balign 4
    .type clean_invalidate_dcache_all, %function
clean_invalidate_dcache_all:
    mrs     x6, clidr_el1
    ubfx    x7, x6, #24, #3             // LoC
    cbz     x7, 6f
    mov     x8, #0                      // cache level
2:  add     x9, x8, x8, lsl #1          // 3 * level: that level's Ctype field
    lsr     x9, x6, x9
    and     x9, x9, #7
    cmp     x9, #2                      // 2 data, 3 separate, 4 unified
    b.lt    5f
    lsl     x10, x8, #1
    msr     csselr_el1, x10             // select the data or unified cache of this level
    isb
    mrs     x11, ccsidr_el1
    and     x12, x11, #7
    add     x12, x12, #4                // log2(line size in bytes)
    ubfx    x13, x11, #3, #10           // ways - 1
    ubfx    x14, x11, #13, #15          // sets - 1
    clz     w15, w13                    // way field position: 32 - log2(ways)
3:  mov     x16, x13                    // for each way
4:  lsl     x17, x16, x15
    orr     x17, x17, x10
    lsl     x9, x14, x12
    orr     x17, x17, x9
    dc      cisw, x17
    subs    x16, x16, #1
    b.ge    4b
    subs    x14, x14, #1                // for each set
    b.ge    3b
5:  add     x8, x8, #1
    cmp     x8, x7
    b.lt    2b
    dsb     sy
    isb
6:  ret
    .size clean_invalidate_dcache_all, . - clean_invalidate_dcache_all

// name: the function; el: 1, 2 or 3; ttbr1: 1 (TTBR1_EL1) or 2 (TTBR1_EL2) where the regime has TTBR1_ELx (named by
// its encoding, for assemblers without FEAT_VHE's TTBR1_EL2); tlbi: the TLBI operation
// that invalidates the regime on this core.
.macro load_mmu_registers name, el, ttbr1, tlbi
    .balign 4
    .global \name
    .type \name, %function
\name:
    dsb     ish                         // table stores complete before any walk of them
    mov     x5, x30
    mrs     x6, sctlr_el\el
    bic     x7, x6, #1                  // M off
    tbnz    x4, #2, 1f                  // new SCTLR keeps the data cache: leave C
    bic     x7, x7, #(1 << 2)           // C off
1:  msr     sctlr_el\el, x7
    isb
    // The data cache goes from on to off: write it back and invalidate it all.
    tbz     x6, #2, 2f
    tbnz    x4, #2, 2f
    bl      clean_invalidate_dcache_all
2:  msr     mair_el\el, x0
    msr     tcr_el\el, x1
    msr     ttbr0_el\el, x2
.if \ttbr1 == 1
    msr     s3_0_c2_c0_1, x3            // TTBR1_EL1
.elseif \ttbr1 == 2
    msr     s3_4_c2_c0_1, x3            // TTBR1_EL2
.endif
    isb
    tlbi    \tlbi
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el\el, x4
    isb
    ret     x5
    .size \name, . - \name
.endm

    load_mmu_registers aarch64_paging_load_mmu_registers_el1, 1, 1, vmalle1
    load_mmu_registers aarch64_paging_load_mmu_registers_el2, 2, 0, alle2
    load_mmu_registers aarch64_paging_load_mmu_registers_el2h, 2, 2, alle2
    load_mmu_registers aarch64_paging_load_mmu_registers_el3, 3, 0, alle3
