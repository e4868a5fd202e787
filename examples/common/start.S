/*
 * start.S - entry of the bare-metal images: park secondary cores, drop to EL1 from
 * whatever EL QEMU enters at (EL3, EL2 or EL1), set up the stack and the vector table,
 * clear .bss, call bm_main(entry_el) and exit QEMU with its return value.
 *
 * Register values: Arm ARM DDI 0487, D19 (SCR_EL3, HCR_EL2, CPTR_EL2, CNTHCTL_EL2,
 * SCTLR_EL1, SPSR_ELx). Runs with the MMU off: no unaligned accesses.
 */

#define SCR_EL3_NS (1 << 0)
#define SCR_EL3_RES1 (3 << 4)
#define SCR_EL3_RW (1 << 10)       /* EL2 (or EL1 without EL2) is AArch64 */
#define SCR_EL3_APK_API (3 << 16)  /* pointer authentication does not trap */
#define HCR_EL2_RW (1 << 31)       /* EL1 is AArch64 */
#define HCR_EL2_APK_API_HI 3       /* bits 41:40, shifted by 40 below */
#define CPTR_EL2_RES1 0x33ff       /* and TFP = 0: FP/SIMD does not trap */
#define CNTHCTL_EL2_EL1PCEN_PCTEN 3
#define CPACR_EL1_FPEN (3 << 20)
/* SCTLR_EL1: the RES1 bits (29, 28, 23, 22, 20, 11); MMU, caches, alignment checks off. */
#define SCTLR_EL1_INIT 0x30d00800
/* SPSR: EL1h (SP_EL1), D, A, I, F masked. */
#define SPSR_EL1H_MASKED 0x3c5

    .section .text.boot, "ax"
    .global _start
    .type _start, %function
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    cbnz    x0, park                    /* raspi3b starts all four cores here */

    mrs     x19, CurrentEL
    ubfx    x19, x19, #2, #2            /* x19 = entry EL, kept for bm_main */

    /* x20 = non-zero when pointer authentication is implemented (APA, API, APA3). */
    mrs     x20, id_aa64isar1_el1
    and     x20, x20, #0xff0
    mrs     x0, S3_0_C0_C6_2            /* ID_AA64ISAR2_EL1 */
    and     x0, x0, #0xf000
    orr     x20, x20, x0

    cmp     x19, #3
    b.eq    from_el3
    cmp     x19, #2
    b.eq    from_el2
    b       el1_entry

from_el3:
    msr     cptr_el3, xzr               /* no FP/SIMD/SVE traps to EL3 */
    mov     x0, #(SCR_EL3_RW | SCR_EL3_RES1 | SCR_EL3_NS)
    cbz     x20, 1f
    orr     x0, x0, #SCR_EL3_APK_API
1:  msr     scr_el3, x0
    /* With EL2 implemented, HCR_EL2.RW decides EL1's width even when entered from EL3. */
    mrs     x0, id_aa64pfr0_el1
    ubfx    x0, x0, #8, #4
    cbz     x0, 2f
    bl      init_el2_regs
2:  ldr     x0, =SCTLR_EL1_INIT
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el3, x0
    adr     x0, el1_entry
    msr     elr_el3, x0
    isb
    eret

from_el2:
    bl      init_el2_regs
    ldr     x0, =SCTLR_EL1_INIT
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    adr     x0, el1_entry
    msr     elr_el2, x0
    isb
    eret

/* EL2 state for a non-virtualised EL1 (callable from EL3 or EL2; uses x0 only). */
init_el2_regs:
    mov     x0, #HCR_EL2_RW
    cbz     x20, 1f
    orr     x0, x0, #(HCR_EL2_APK_API_HI << 40)
1:  msr     hcr_el2, x0
    mov     x0, #CPTR_EL2_RES1
    msr     cptr_el2, x0
    mov     x0, #CNTHCTL_EL2_EL1PCEN_PCTEN
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    msr     vttbr_el2, xzr
    msr     hstr_el2, xzr
    /* EL1 reads MIDR/MPIDR through these when EL2 is implemented. */
    mrs     x0, midr_el1
    msr     vpidr_el2, x0
    mrs     x0, mpidr_el1
    msr     vmpidr_el2, x0
    ret

el1_entry:
    mov     x0, #CPACR_EL1_FPEN
    msr     cpacr_el1, x0
    ldr     x0, =SCTLR_EL1_INIT
    msr     sctlr_el1, x0
    ldr     x0, =bm_vectors
    msr     vbar_el1, x0
    ldr     x0, =__stack_top
    mov     sp, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
3:  cmp     x0, x1
    b.hs    4f
    stp     xzr, xzr, [x0], #16
    b       3b
4:  mov     x0, x19
    bl      bm_main
    bl      bm_exit
    b       park

park:
    wfe
    b       park
    .ltorg
    .size _start, . - _start
