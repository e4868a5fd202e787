// void aarch64_paging_load_mmu_registers_el1(mair, tcr, ttbr0, ttbr1, sctlr, clean)  EL1&0
// void aarch64_paging_load_mmu_registers_el2(mair, tcr, ttbr0, ttbr1, sctlr, clean)  EL2 (E2H = 0)
// void aarch64_paging_load_mmu_registers_el2h(mair, tcr, ttbr0, ttbr1, sctlr, clean) EL2&0 (E2H = 1)
// void aarch64_paging_load_mmu_registers_el3(mair, tcr, ttbr0, ttbr1, sctlr, clean)  EL3
// clean: not 0 where the switch takes data accesses past the cache (arch::leaves_cache):
// the whole data cache is then cleaned and invalidated by set/way, with the MMU off.
//
// In assembly because nothing may touch memory between turning the MMU (and perhaps the
// data cache) off and loading the new values: with SCTLR_ELx.M clear, data accesses are
// Device-nGnRnE and would miss lines that are dirty in the cache (Arm ARM DDI 0487K.a,
// on stage 1 translation disabled, and on cache maintenance by set/way). The code runs from
// an identity-mapped page, so it goes on fetching the same instructions with the MMU off.
// Registers only; no stack; interrupts masked. ttbr1 is written only in the regimes that have TTBR1.

// CCSIDR_EL1 of the selected cache (ccsidr) into log2(line bytes) (line), associativity - 1
// (ways) and number of sets - 1 (sets), in the format ID_AA64MMFR2_EL1.CCIDX (ccidx, 0 or
// not) says (Arm ARM D19 "CCSIDR_EL1"): LineSize in bits 2:0 either way; without
// FEAT_CCIDX Associativity in 12:3 and NumSets in 27:13, with it 23:3 and 55:32.
.macro ccsidr_decode ccsidr, ccidx, line, ways, sets
    and     \line, \ccsidr, #7
    add     \line, \line, #4
    ubfx    \ways, \ccsidr, #3, #10
    ubfx    \sets, \ccsidr, #13, #15
    cbz     \ccidx, 1f
    ubfx    \ways, \ccsidr, #3, #21
    ubfx    \sets, \ccsidr, #32, #24
1:
.endm

    .text

// uint64_t aarch64_paging_ccsidr_geometry(uint64_t ccsidr, uint64_t ccidx): the decoding
// the clean below uses, for the target tests: log2(line bytes) | (associativity - 1) << 8
// | (sets - 1) << 32.
    .section .text.aarch64_paging_ccsidr_geometry, "ax", %progbits
    .balign 4
    .global aarch64_paging_ccsidr_geometry
    .type aarch64_paging_ccsidr_geometry, %function
aarch64_paging_ccsidr_geometry:
    ccsidr_decode x0, x1, x2, x3, x4
    orr     x0, x2, x3, lsl #8
    orr     x0, x0, x4, lsl #32
    ret
    .size aarch64_paging_ccsidr_geometry, . - aarch64_paging_ccsidr_geometry

    .text
// Cleans and invalidates every data or unified cache up to the level of coherency
// (CLIDR_EL1.LoC) by set/way. Uses x7-x17; returns through x30.
    .balign 4
    .type clean_invalidate_dcache_all, %function
clean_invalidate_dcache_all:
    mrs     x7, clidr_el1
    ubfx    x9, x7, #24, #3             // LoC
    cbz     x9, 6f
    mov     x8, #0                      // cache level
2:  add     x9, x8, x8, lsl #1          // 3 * level: that level's Ctype field
    lsr     x9, x7, x9
    and     x9, x9, #7
    cmp     x9, #2                      // 2 data, 3 separate, 4 unified
    b.lt    5f
    lsl     x10, x8, #1
    msr     csselr_el1, x10             // select the data or unified cache of this level
    isb
    mrs     x11, ccsidr_el1
    mrs     x9, s3_0_c0_c7_2            // ID_AA64MMFR2_EL1
    ubfx    x9, x9, #20, #4             // CCIDX: the 64-bit CCSIDR_EL1 format
    ccsidr_decode x11, x9, x12, x13, x14
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
    ubfx    x9, x7, #24, #3             // LoC
    cmp     x8, x9
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
    mrs     x6, daif
    msr     daifset, #0xf               // no exception while the MMU is off
    mrs     x7, sctlr_el\el
    bic     x7, x7, #1                  // M off
    tbnz    x4, #2, 1f                  // new SCTLR keeps the data cache: leave C
    bic     x7, x7, #(1 << 2)           // C off
1:  msr     sctlr_el\el, x7
    isb
    // Data accesses leave the cache (arch::leaves_cache): write it back and invalidate it.
    cbz     x5, 2f
    mov     x5, x30
    bl      clean_invalidate_dcache_all
    mov     x30, x5
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
    msr     daif, x6
    ret
    .size \name, . - \name
.endm

    load_mmu_registers aarch64_paging_load_mmu_registers_el1, 1, 1, vmalle1
    load_mmu_registers aarch64_paging_load_mmu_registers_el2, 2, 0, alle2
    load_mmu_registers aarch64_paging_load_mmu_registers_el2h, 2, 2, alle2
    load_mmu_registers aarch64_paging_load_mmu_registers_el3, 3, 0, alle3
