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

struct bm_fault_record bm_faults[BM_MAX_CORES];

void bm_expect_fault(void)
{
    struct bm_fault_record *f = &bm_fault;
    f->taken = 0;
    f->esr = f->far = f->elr = 0;
    f->armed = 1;
    __asm__ volatile("" ::: "memory");
}

int bm_fault_taken(void)
{
    __asm__ volatile("" ::: "memory");
    struct bm_fault_record *f = &bm_fault;
    f->armed = 0;
    f->resume = 0;
    return f->taken;
}

static const char *const kind_names[16] = {
    "synchronous (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
    "synchronous",          "IRQ",          "FIQ",          "SError",
    "synchronous (lower EL)", "IRQ (lower EL)", "FIQ (lower EL)", "SError (lower EL)",
    "synchronous (AArch32)", "IRQ (AArch32)", "FIQ (AArch32)", "SError (AArch32)",
};

void bm_exception(unsigned kind, struct bm_frame *frame);

int (*bm_lower_el_handler)(unsigned kind, struct bm_frame *frame);

void bm_exception(unsigned kind, struct bm_frame *frame)
{
    if (kind >= 8 && bm_lower_el_handler && bm_lower_el_handler(kind, frame))
        return;
    uint64_t esr = frame->esr;
    uint64_t far = frame->far;
    struct bm_fault_record *f = &bm_fault;
    if (kind == 4 && f->armed) {
        f->armed = 0;
        f->esr = esr;
        f->far = far;
        f->elr = frame->elr;
        f->taken = 1;
        unsigned ec = BM_ESR_EC(esr);
        if (f->resume)
            frame->elr = f->resume;
        else if (ec == BM_EC_IABORT_SAME_EL || ec == 0x20 || ec == BM_EC_BRANCH_TARGET)
            frame->elr = frame->x[30];
        else
            frame->elr += 4;
        return;
    }
    unsigned el = bm_current_el();
    bm_printf("\nunexpected exception: %s, ESR_EL%u %016llx (EC 0x%02x) FAR_EL%u %016llx "
              "ELR_EL%u %016llx SPSR_EL%u %016llx\n",
              kind < 16 ? kind_names[kind] : "?", el, (unsigned long long)esr,
              (unsigned)BM_ESR_EC(esr), el, (unsigned long long)far, el,
              (unsigned long long)frame->elr, el, (unsigned long long)frame->spsr);
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
#ifdef BM_STAY_AT_ENTRY_EL
    switch (el) {
    case 1:
        return "EL1, running at EL1";
    case 2:
        return "EL2, running at EL2";
    case 3:
        return "EL3, running at EL3 (secure)";
    default:
        return "EL?";
    }
#endif
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

#ifdef BM_STAY_AT_ENTRY_EL
/* start.S: the park loop's flags, and where PSCI starts a core. */
extern volatile uint64_t bm_secondary_parked[];
extern volatile uint64_t bm_secondary_mailbox[];
void bm_secondary_entry(struct bm_secondary *s);

void bm_clean_inval_poc(uintptr_t start, size_t len)
{
    /* CTR_EL0.DminLine: log2 of the smallest data cache line, in words. */
    uint64_t line = 4ULL << ((BM_READ_SYSREG(ctr_el0) >> 16) & 0xf);
    for (uintptr_t p = start & ~(uintptr_t)(line - 1); p < start + len; p += line)
        __asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
    BM_DSB_SY();
}

uint64_t bm_time_us(void)
{
    uint64_t freq = BM_READ_SYSREG(cntfrq_el0);
    BM_ISB();
    uint64_t count = BM_READ_SYSREG(cntpct_el0);
    return freq ? count / (freq / 1000000 ? freq / 1000000 : 1) : count;
}

/* PSCI (Arm DEN 0022) CPU_ON, SMC64 function id; SMC Calling Convention: x0 = function,
 * x1-x3 arguments, result in x0, x4-x17 may be clobbered. */
#define PSCI_CPU_ON_64 0xc4000003ULL
#define PSCI_INVALID_PARAMETERS (-2)

/* conduit 1: HVC, 2: SMC */
static int64_t psci_cpu_on(unsigned conduit, uint64_t mpidr, uint64_t entry, uint64_t context)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
    register uint64_t x1 __asm__("x1") = mpidr;
    register uint64_t x2 __asm__("x2") = entry;
    register uint64_t x3 __asm__("x3") = context;
    if (conduit == 2)
        __asm__ volatile("smc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                           "x14", "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("hvc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                           "x14", "x15", "x16", "x17", "memory");
    return (int64_t)x0;
}

int bm_start_secondary(unsigned core, struct bm_secondary *s)
{
    if (core == 0 || core >= BM_MAX_CORES || !s)
        return PSCI_INVALID_PARAMETERS;
    bm_clean_inval_poc((uintptr_t)s, sizeof *s);
    unsigned el = bm_current_el();
    if (el == 2)
        return (int)psci_cpu_on(2, core, (uint64_t)(uintptr_t)bm_secondary_entry,
                                (uint64_t)(uintptr_t)s);
    if (el == 1) {
        /* The conduit is the board's: HVC on virt, SMC on xlnx-zcu102. The one that is
         * not there is an undefined instruction (EC 0), stepped over. */
        for (unsigned conduit = 1; conduit <= 2; conduit++) {
            bm_expect_fault();
            int64_t rc = psci_cpu_on(conduit, core, (uint64_t)(uintptr_t)bm_secondary_entry,
                                     (uint64_t)(uintptr_t)s);
            if (!bm_fault_taken())
                return (int)rc;
        }
        return PSCI_INVALID_PARAMETERS;
    }
    /* EL3: the core parks at _start; it may not have got there yet. */
    uint64_t t0 = bm_time_us();
    for (;;) {
        bm_clean_inval_poc((uintptr_t)&bm_secondary_parked[core], 8);
        if (bm_secondary_parked[core])
            break;
        if (bm_time_us() - t0 > 100000)
            return PSCI_INVALID_PARAMETERS;
    }
    bm_secondary_mailbox[core] = (uint64_t)(uintptr_t)s;
    bm_clean_inval_poc((uintptr_t)&bm_secondary_mailbox[core], 8);
    __asm__ volatile("sev" ::: "memory");
    return 0;
}
#endif
