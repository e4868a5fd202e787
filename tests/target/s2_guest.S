/*
 * s2_guest.S - a guest for the stage-2 cases of the regime suite (regime_stage2.c): EL2
 * runs one of the routines below at EL1 and gets control back when the guest traps.
 *
 *   void s2_guest_run(uint64_t entry, uint64_t x0, uint64_t x1);
 *       At EL2 (HCR_EL2.E2H = 0): ERET to entry at EL1h, D, A, I, F masked, with x0 and x1
 *       (SPSR_EL2.M = 0b0101; Arm ARM DDI 0487, D19 "SPSR_EL2"). The guest runs until it
 *       traps to EL2 (its HVC, or an abort); the EL2 vectors' lower-EL handler records the
 *       trap and returns to s2_guest_back at EL2h (ELR_EL2 and SPSR_EL2 rewritten in the
 *       frame), which returns from s2_guest_run. SP_EL2 at the ERET is where the trap's
 *       frame goes, below what this function saved.
 *   s2_guest_load:  x0 = [x0]; HVC #0     (one load, then back to EL2)
 *   s2_guest_store: [x0] = x1; HVC #0     (one store, then back to EL2)
 *       The guest's code: no stack, no other register; an abort on the access traps
 *       with ELR_EL2 at the access, never resumed.
 */

#define SPSR_EL1H_MASKED 0x3c5

    .section .text.s2_guest, "ax"
    .balign 8
    .global s2_guest_run
    .type s2_guest_run, %function
s2_guest_run:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    msr     elr_el2, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    mov     x0, x1
    mov     x1, x2
    eret
    .global s2_guest_back
s2_guest_back:
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret
    .size s2_guest_run, . - s2_guest_run

    .global s2_guest_load
    .type s2_guest_load, %function
s2_guest_load:
    ldr     x0, [x0]
    hvc     #0
    .size s2_guest_load, . - s2_guest_load

    .global s2_guest_store
    .type s2_guest_store, %function
s2_guest_store:
    str     x1, [x0]
    hvc     #0
    .size s2_guest_store, . - s2_guest_store
