/*
 * vectors.S - the vector table of EL1 (VBAR_EL1), and with -DBM_STAY_AT_ENTRY_EL those
 * of EL2 and EL3 too, and a few instructions the C code needs in a known shape (probe
 * loads and stores that a fault handler can step over).
 *
 * Every vector saves x0-x30, ELR_ELx, SPSR_ELx, ESR_ELx and FAR_ELx of its own EL in a
 * struct bm_frame (bm.h) on the stack and calls bm_exception(kind, frame); the C handler
 * may change frame->elr to resume elsewhere. Arm ARM D1.10.2 "Exception vectors". The
 * EL2 table serves HCR_EL2.E2H = 0 and 1 alike: the _EL2 names reach the EL2 registers
 * either way.
 */

#define FRAME_SIZE (36 * 8)

.macro ventry kind, el
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common_el\el
.endm

.macro vector_table name, el
    .section .text.vectors, "ax"
    .balign 2048                        /* VBAR_ELx bits 10:0 are RES0 */
    .global \name
\name:
    ventry 0, \el   /* current EL, SP_EL0: synchronous */
    ventry 1, \el   /* IRQ */
    ventry 2, \el   /* FIQ */
    ventry 3, \el   /* SError */
    ventry 4, \el   /* current EL, SP_ELx: synchronous */
    ventry 5, \el
    ventry 6, \el
    ventry 7, \el
    ventry 8, \el   /* lower EL, AArch64 */
    ventry 9, \el
    ventry 10, \el
    ventry 11, \el
    ventry 12, \el  /* lower EL, AArch32 */
    ventry 13, \el
    ventry 14, \el
    ventry 15, \el

exception_common_el\el:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, elr_el\el
    stp     x30, x1, [sp, #240]
    mrs     x1, spsr_el\el
    mrs     x2, esr_el\el
    stp     x1, x2, [sp, #256]
    mrs     x1, far_el\el
    str     x1, [sp, #272]
    mov     x1, sp
    bl      bm_exception
    ldp     x30, x1, [sp, #240]
    msr     elr_el\el, x1
    ldr     x1, [sp, #256]
    msr     spsr_el\el, x1
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret
.endm

    vector_table bm_vectors, 1
#ifdef BM_STAY_AT_ENTRY_EL
    vector_table bm_vectors_el2, 2
    vector_table bm_vectors_el3, 3
#endif

/*
 * uint64_t bm_probe_read(uint64_t addr, uint64_t if_faulted);
 * void bm_probe_write(uint64_t addr, uint64_t value);
 * One access each, at a known instruction: a handler that expects the fault steps over
 * it (ELR + 4), so bm_probe_read then returns if_faulted.
 */
    .section .text.bm_probe, "ax"
    .global bm_probe_read
    .type bm_probe_read, %function
bm_probe_read:
    mov     x2, x0
    mov     x0, x1
    ldr     x0, [x2]
    ret
    .size bm_probe_read, . - bm_probe_read

    .global bm_probe_write
    .type bm_probe_write, %function
bm_probe_write:
    str     x1, [x0]
    ret
    .size bm_probe_write, . - bm_probe_write
