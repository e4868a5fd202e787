// void aarch64_paging_switch_ttbr0_el1(uint64_t ttbr, uint64_t repeat)  TTBR0_EL1, TLBI VMALLE1IS
// void aarch64_paging_switch_ttbr1_el1(uint64_t ttbr, uint64_t repeat)  TTBR1_EL1, TLBI VMALLE1IS
// void aarch64_paging_switch_ttbr0_el2(uint64_t ttbr, uint64_t repeat)  TTBR0_EL2, TLBI ALLE2IS
// void aarch64_paging_switch_ttbr1_el2(uint64_t ttbr, uint64_t repeat)  TTBR1_EL2 (FEAT_VHE), ALLE2IS
// void aarch64_paging_switch_ttbr0_el3(uint64_t ttbr, uint64_t repeat)  TTBR0_EL3, TLBI ALLE3IS
// repeat: not 0 under arch::errata::REPEAT_TLBI (the TLBI again after a DSB ISH).
//
// A switch of tables with a break between them (arch::TtbrSwitch::ThroughMmuOff), for the
// running regime with its MMU on where nothing keeps the two trees' TLB entries apart
// (Arm ARM DDI 0487K.a D8.16.1 on break-before-make and TLB conflicts): with SCTLR_ELx.M
// clear no translation is looked up, so the old tree's entries are invalidated before the
// new tree can be walked. Linux's __pkvm_init_switch_pgd switches TTBR0_EL2 the same way.
// The routine runs with the MMU off, so it must be mapped to itself (arch::switch_ttbr
// checks with AT); it touches no memory and masks interrupts meanwhile, since with M
// clear data accesses are Device-nGnRnE and the vectors may be elsewhere.
//
// Each is 64-byte aligned and shorter than 64 bytes, so that no page boundary crosses it:
// switch_ttbr checks its first address only.

.macro switch_ttbr name, sctlr, ttbr, tlbi
    .balign 64
    .global \name
    .type \name, %function
\name:
    mrs     x5, daif
    msr     daifset, #0xf
    mrs     x2, \sctlr
    bic     x3, x2, #1                  // M off
    msr     \sctlr, x3
    isb                                 // no walk from here on: nothing can refill the TLB
    msr     \ttbr, x0
    tlbi    \tlbi                       // no entry of the old tree is left, on any core
    cbz     x1, 1f
    dsb     ish                         // the erratum workaround: the TLBI once more
    tlbi    \tlbi
1:  dsb     ish
    msr     \sctlr, x2                  // M on, walking the new tree only
    isb
    msr     daif, x5
    ret
    .size \name, . - \name
    .if . - \name > 64
    .error "a switch routine must fit in 64 bytes"
    .endif
.endm

    .section .text.aarch64_paging_switch_ttbr, "ax", %progbits
    switch_ttbr aarch64_paging_switch_ttbr0_el1, sctlr_el1, ttbr0_el1, vmalle1is
    switch_ttbr aarch64_paging_switch_ttbr1_el1, sctlr_el1, ttbr1_el1, vmalle1is
    switch_ttbr aarch64_paging_switch_ttbr0_el2, sctlr_el2, ttbr0_el2, alle2is
    switch_ttbr aarch64_paging_switch_ttbr1_el2, sctlr_el2, s3_4_c2_c0_1, alle2is
    switch_ttbr aarch64_paging_switch_ttbr0_el3, sctlr_el3, ttbr0_el3, alle3is
