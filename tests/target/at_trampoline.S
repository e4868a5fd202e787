/*
 * at_trampoline.S - AT S1E1R and AT S1E1W under a map that cannot hold the image.
 *
 * On qemu-virt RAM starts at 1 GiB, so a map with root level 2 (1 GiB of address space)
 * or 3 (2 MiB) cannot map the code that tests it. This code is linked into a page of
 * the board's flash (LOWTEXT_A_ADDR, LOWTEXT_B_ADDR: see target.mk), which such a map
 * can map, and touches no memory while the map is live: it switches TCR_EL1 and
 * TTBR0_EL1 to the values idmap_mmu_config() gave for the map, translates one address
 * both ways, and switches back. The caller's map (the home map, which maps this page
 * executable too) must be enabled, with the same MAIR_EL1.
 *
 * The switch is made with the MMU off for a moment (this code is identity-mapped, so it
 * goes on at the same address): TCR_EL1 and TTBR0_EL1 cannot be written together, and
 * QEMU applies the first write at once, so a fetch between the two would walk the old
 * table with the new T0SZ (seen: a translation fault at the second msr). With the MMU
 * off no fetch is translated until both are in place. Only instruction fetches (from
 * read-only flash) happen while the MMU is off, so the caches need no maintenance.
 *
 *   struct tt_par2 { uint64_t read, write; };
 *   struct tt_par2 tt_at_trampoline_a(uint64_t tcr, uint64_t ttbr, uint64_t va);
 *   (and _b): PAR_EL1 after AT S1E1R, then after AT S1E1W, in x0 and x1.
 */

.macro at_trampoline name, section
    .section \section, "ax"
    .global \name
    .type \name, %function
\name:
    mrs     x3, tcr_el1
    mrs     x4, ttbr0_el1
    mrs     x7, sctlr_el1
    bic     x8, x7, #1                  /* SCTLR_EL1.M = 0 */
    msr     sctlr_el1, x8
    isb
    msr     tcr_el1, x0
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1                     /* nothing cached under the old TCR is used */
    dsb     nsh
    isb
    msr     sctlr_el1, x7               /* MMU on, under the map being tested */
    isb
    at      s1e1r, x2
    isb
    mrs     x5, par_el1
    at      s1e1w, x2
    isb
    mrs     x6, par_el1
    msr     sctlr_el1, x8
    isb
    msr     ttbr0_el1, x4
    msr     tcr_el1, x3
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    msr     sctlr_el1, x7               /* MMU on, under the caller's map again */
    isb
    mov     x0, x5
    mov     x1, x6
    ret
    .size \name, . - \name
.endm

#ifdef LOWTEXT_A_ADDR
    at_trampoline tt_at_trampoline_a, .lowtext.a
#endif
#ifdef LOWTEXT_B_ADDR
    at_trampoline tt_at_trampoline_b, .lowtext.b
#endif
