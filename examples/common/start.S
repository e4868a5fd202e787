/*
 * start.S - entry of the bare-metal images: park secondary cores, drop to EL1 from
 * whatever EL QEMU enters at (EL3, EL2 or EL1), set up the stack and the vector table,
 * clear .bss, call bm_main(entry_el) and exit QEMU with its return value.
 *
 * Built with -DBM_STAY_AT_ENTRY_EL (tests/target/regime-suite) it stays at the entry
 * EL instead: the vector table, SCTLR and trap registers of that EL are set up, and
 * bm_main runs there. Secondary cores then wait in their park loop for a release
 * through bm_secondary_mailbox (EL3 entry, where QEMU starts every core at _start), or
 * are started at bm_secondary_entry by PSCI CPU_ON (bm_start_secondary, runtime.c).
 *
 * Register values: Arm ARM DDI 0487, D19 (SCR_EL3, HCR_EL2, CPTR_EL2, CNTHCTL_EL2,
 * SCTLR_EL1, SCTLR_EL2, SCTLR_EL3, SPSR_ELx). Runs with the MMU off: no unaligned
 * accesses.
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
/* SCTLR_EL2 (HCR_EL2.E2H = 0) and SCTLR_EL3: the RES1 bits (29, 28, 23, 22, 18, 16, 11,
 * 5, 4); MMU, caches, alignment checks off. */
#define SCTLR_EL2_EL3_INIT 0x30c50830
/* Cores (MPIDR_EL1.Aff0) that bm_secondary_mailbox has a slot for (as bm.h). */
#define BM_MAX_CORES 4

/* EL1 ready to run C: FP/SIMD not trapped, SCTLR_EL1 (MMU, caches off), the vector
 * table; uses \tmp only. */
    .macro init_el1 tmp
    mov     \tmp, #CPACR_EL1_FPEN
    msr     cpacr_el1, \tmp
    ldr     \tmp, =SCTLR_EL1_INIT
    msr     sctlr_el1, \tmp
    ldr     \tmp, =bm_vectors
    msr     vbar_el1, \tmp
    .endm

    .section .text.boot, "ax"
    .global _start
    .type _start, %function
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    cbnz    x0, secondary_park          /* raspi3b starts all four cores here */

    mrs     x19, CurrentEL
    ubfx    x19, x19, #2, #2            /* x19 = entry EL, kept for bm_main */

#ifdef BM_STAY_AT_ENTRY_EL
    bl      stay_init
    b       main_entry
#else
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
    init_el1 x0
#endif /* BM_STAY_AT_ENTRY_EL */

main_entry:
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

#ifdef BM_STAY_AT_ENTRY_EL
/* The vector table, SCTLR and traps of the current EL, MMU and caches off (uses x0,
 * x1). EL2: HCR_EL2 = RW only (E2H = 0, TGE = 0: the EL2 regime, not EL2&0). */
stay_init:
    mrs     x0, CurrentEL
    ubfx    x0, x0, #2, #2
    cmp     x0, #3
    b.eq    3f
    cmp     x0, #2
    b.eq    2f
    init_el1 x1
    isb
    ret
2:  mov     x1, #HCR_EL2_RW
    msr     hcr_el2, x1
    isb
    mov     x1, #CPTR_EL2_RES1
    msr     cptr_el2, x1
    ldr     x1, =SCTLR_EL2_EL3_INIT
    msr     sctlr_el2, x1
    ldr     x1, =bm_vectors_el2
    msr     vbar_el2, x1
    isb
    ret
3:  msr     cptr_el3, xzr
    ldr     x1, =SCTLR_EL2_EL3_INIT
    msr     sctlr_el3, x1
    ldr     x1, =bm_vectors_el3
    msr     vbar_el3, x1
    isb
    ret

/* A secondary core parked at _start (x0 = its Aff0): says so in bm_secondary_parked,
 * then waits until bm_secondary_mailbox holds a struct bm_secondary for it. Both are
 * read and written with the MMU off (runtime.c cleans what the primary writes). */
secondary_park:
    cmp     x0, #BM_MAX_CORES
    b.hs    park
    ldr     x1, =bm_secondary_parked
    mov     x2, #1
    str     x2, [x1, x0, lsl #3]
    ldr     x1, =bm_secondary_mailbox
1:  ldr     x2, [x1, x0, lsl #3]
    cbnz    x2, 2f
    wfe
    b       1b
2:  mov     x0, x2
    /* fall through */

/* void bm_secondary_entry(struct bm_secondary *s): where a secondary core starts (PSCI
 * CPU_ON's entry point, context id = s), MMU off, at the EL the primary runs at. Sets
 * up that EL as the primary's start does, then s->fn(s->arg) on the stack s->stack_top;
 * parks for good when fn returns. */
    .global bm_secondary_entry
    .type bm_secondary_entry, %function
bm_secondary_entry:
    mov     x19, x0
    bl      stay_init
    ldr     x0, [x19, #16]
    mov     sp, x0
    ldr     x1, [x19, #0]
    ldr     x0, [x19, #8]
    blr     x1
    b       park
    .size bm_secondary_entry, . - bm_secondary_entry
#else
secondary_park:
#endif

park:
    wfe
    b       park
    .ltorg
    .size _start, . - _start

#ifdef BM_STAY_AT_ENTRY_EL
/* Each in a cache line of its own: the secondaries write the first with the MMU off,
 * the primary the second with its caches on (and cleans it to the point of coherency). */
    .section .data.bm_secondary, "aw"
    .balign 64
    .global bm_secondary_parked
bm_secondary_parked:
    .fill BM_MAX_CORES, 8, 0
    .balign 64
    .global bm_secondary_mailbox
bm_secondary_mailbox:
    .fill BM_MAX_CORES, 8, 0
    .balign 64
#endif
