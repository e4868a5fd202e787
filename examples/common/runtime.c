/*
 * runtime.c - exit through semihosting, the synchronous exception handler with its
 * expected-fault capture, and cache maintenance for code written at run time.
 */
#include "bm.h"

/* Semihosting (Arm IHI 0098): HLT #0xF000 with the operation in w0 and its parameter
 * block in x1. SYS_EXIT (0x18) takes {reason, subcode}; QEMU exits with subcode for
 * ADP_Stopped_ApplicationExit. */
#define SEMIHOSTING_SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

void bm_exit(int status)
{
    static volatile uint64_t block[2];
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint64_t)(int64_t)status;
    register uint64_t x0 __asm__("x0") = SEMIHOSTING_SYS_EXIT;
    register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    for (;;)
        __asm__ volatile("wfe");
}

struct bm_fault bm_fault;

void bm_expect_fault(void)
{
    bm_fault.taken = 0;
    bm_fault.esr = bm_fault.far = bm_fault.elr = 0;
    bm_fault.armed = 1;
    __asm__ volatile("" ::: "memory");
}

int bm_fault_taken(void)
{
    __asm__ volatile("" ::: "memory");
    bm_fault.armed = 0;
    bm_fault.resume = 0;
    return bm_fault.taken;
}

static const char *const kind_names[16] = {
    "synchronous (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
    "synchronous",          "IRQ",          "FIQ",          "SError",
    "synchronous (lower EL)", "IRQ (lower EL)", "FIQ (lower EL)", "SError (lower EL)",
    "synchronous (AArch32)", "IRQ (AArch32)", "FIQ (AArch32)", "SError (AArch32)",
};

void bm_exception(unsigned kind, struct bm_frame *frame);

void bm_exception(unsigned kind, struct bm_frame *frame)
{
    uint64_t esr = BM_READ_SYSREG(esr_el1);
    uint64_t far = BM_READ_SYSREG(far_el1);
    if (kind == 4 && bm_fault.armed) {
        bm_fault.armed = 0;
        bm_fault.esr = esr;
        bm_fault.far = far;
        bm_fault.elr = frame->elr;
        bm_fault.taken = 1;
        unsigned ec = BM_ESR_EC(esr);
        if (bm_fault.resume)
            frame->elr = bm_fault.resume;
        else if (ec == BM_EC_IABORT_SAME_EL || ec == 0x20)
            frame->elr = frame->x[30];
        else
            frame->elr += 4;
        return;
    }
    bm_printf("\nunexpected exception: %s, ESR_EL1 %016llx (EC 0x%02x) FAR_EL1 %016llx "
              "ELR_EL1 %016llx SPSR_EL1 %016llx\n",
              kind < 16 ? kind_names[kind] : "?", (unsigned long long)esr,
              (unsigned)BM_ESR_EC(esr), (unsigned long long)far,
              (unsigned long long)frame->elr, (unsigned long long)frame->spsr);
    bm_printf("x30 (LR) %016llx SP %016llx\n", (unsigned long long)frame->x[30],
              (unsigned long long)(uintptr_t)(frame + 1));
    bm_exit(3);
}

void bm_sync_icache(uintptr_t start, size_t len)
{
    /* Arm ARM B2.4.4 "Concurrent modification and execution of instructions":
     * clean the data cache to the point of unification, then invalidate the
     * instruction cache, with barriers between. 64-byte lines is the smallest
     * line of the cores used here (CTR_EL0 could say more). */
    uintptr_t end = start + len;
    for (uintptr_t p = start & ~(uintptr_t)63; p < end; p += 64)
        __asm__ volatile("dc cvau, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
    for (uintptr_t p = start & ~(uintptr_t)63; p < end; p += 64)
        __asm__ volatile("ic ivau, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

const char *bm_el_name(unsigned el)
{
    switch (el) {
    case 1:
        return "EL1";
    case 2:
        return "EL2, dropped to EL1";
    case 3:
        return "EL3, dropped to non-secure EL1";
    default:
        return "EL?";
    }
}
