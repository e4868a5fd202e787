// void aarch64_paging_load_mmu_registers(uint64_t mair, uint64_t tcr, uint64_t ttbr0,
//                                        uint64_t sctlr)
//
// In assembly because nothing may touch memory between turning the MMU (and perhaps the
// data cache) off and loading the new values: with SCTLR_EL1.M clear, data accesses are
// Device-nGnRnE and would miss lines that are dirty in the cache (Arm ARM DDI 0487K.a,
// on stage 1 translation disabled, and on cache maintenance by set/way). The code runs from
// an identity-mapped page, so it goes on fetching the same instructions with the MMU off.
// Registers only; no stack.

    .text
    .balign 4
    .global aarch64_paging_load_mmu_registers
    .type aarch64_paging_load_mmu_registers, %function
aarch64_paging_load_mmu_registers:
    dsb     ish                         // table stores complete before any walk of them
    mrs     x4, sctlr_el1
    bic     x5, x4, #1                  // M off
    tbnz    x3, #2, 1f                  // new SCTLR keeps the data cache: leave C
    bic     x5, x5, #(1 << 2)           // C off
1:  msr     sctlr_el1, x5
    isb
    // The data cache goes from on to off: write back and invalidate it all, by set/way,
    // up to the level of coherency (CLIDR_EL1.LoC).
    tbz     x4, #2, 6f
    tbnz    x3, #2, 6f
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
6:  msr     mair_el1, x0
    msr     tcr_el1, x1
    msr     ttbr0_el1, x2
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el1, x3
    isb
    ret
    .size aarch64_paging_load_mmu_registers, . - aarch64_paging_load_mmu_registers
