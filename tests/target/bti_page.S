/*
 * bti_page.S - branch targets for the guarded-code cases of the guard suite (guard.c): a
 * 4 KiB page of code alone, so that a map can make it a guarded page (GP, FEAT_BTI)
 * while the suite's own code, built without landing pads, stays unguarded. Each routine
 * is called (BLR) by call_code and returns 42 in x0; only PC-relative addresses, so that
 * they run alike through an alias of the page at another VA.
 *
 *   bti_c, bti_j      BTI c (HINT #34), BTI j (HINT #36), then the return
 *   bti_pac           PACIASP (HINT #25): as BTI c where SCTLR_ELx.BT is set, as BTI jc
 *                     where not (Arm ARM, SCTLR_EL1.BT1); AUTIASP (HINT #29) before the
 *                     return pairs it where FEAT_PAuth signs the link register
 *   bti_none          no landing pad
 *   bti_br_<x>        BTI c, then BR X9 to bti_<x>: PSTATE.BTYPE 0b11 where this page is
 *                     guarded, 0b01 where not; bti_<x> returns to call_code
 *
 * The hints are written as HINT #n so that every assembler takes them.
 */

    .section .text.bti_page, "ax"
    .balign 4096
    .global bti_page
bti_page:

.macro target name, first, before_ret
    .global bti_\name
    .type bti_\name, %function
bti_\name:
    \first
    mov     x0, #42
    \before_ret
    ret
    .size bti_\name, . - bti_\name
.endm

    target c, "hint #34"
    target j, "hint #36"
    target pac, "hint #25", "hint #29"
    target none

.macro br_to name
    .global bti_br_\name
    .type bti_br_\name, %function
bti_br_\name:
    hint    #34
    adr     x9, bti_\name
    br      x9
    .size bti_br_\name, . - bti_br_\name
.endm

    br_to c
    br_to j
    br_to pac
    br_to none

    .balign 4096                        /* nothing else in the page gets its GP */
