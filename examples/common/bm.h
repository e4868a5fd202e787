/*
 * bm.h - the small bare-metal runtime shared by the C examples and the target tests:
 * console (the board's UART), formatted output, exit through semihosting, exception
 * capture, and the system registers the programs read.
 *
 * The runtime starts in start.S at whatever EL QEMU enters, drops to EL1 and calls
 * bm_main(entry_el); the value bm_main returns is the QEMU exit status. Images built
 * with -DBM_STAY_AT_ENTRY_EL run bm_main at the entry EL instead (EL1, EL2 or EL3, with
 * that EL's vector table), and can start a second core (bm_start_secondary).
 */
#ifndef BM_H
#define BM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Provided by the program */

int bm_main(unsigned entry_el);

/* ---- Image layout (the linker script); every boundary is 4 KiB aligned */

extern char __image_start[]; /* first byte: .text (read-only, executable) */
extern char __text_end[];    /* then .rodata (read-only, execute-never) */
extern char __rodata_end[];  /* then .data, .bss, the library's pool, the stack */
extern char __image_end[];
extern char __stack_bottom[], __stack_top[];

/* ---- Console */

void bm_uart_init(void);
void bm_putc(char c);
void bm_write(const char *text, size_t len);
void bm_puts(const char *text); /* no newline added */
/* %s %c %d %u %x %p, with l/ll/z, a width and 0 padding: "%016llx", "%4u". */
void bm_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bm_vprintf(const char *fmt, va_list ap);
/* Like snprintf: at most len - 1 characters and a NUL; returns the full length. */
size_t bm_snprintf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t bm_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
/* An idmap_write_fn that prints to the console (ctx unused). */
void bm_console_write(void *ctx, const char *text, size_t len);

/* ---- Exit: semihosting SYS_EXIT (QEMU runs with -semihosting) */

void bm_exit(int status) __attribute__((noreturn));

/* ---- Exceptions */

/* What vectors.S saves, the registers of the EL the exception was taken to; x[30] is
 * the link register. */
struct bm_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
    uint64_t pad;
};

/* The cores the runtime serves: MPIDR_EL1.Aff0 below this (start.S parks the others). */
#define BM_MAX_CORES 4

/* The calling core's number, MPIDR_EL1.Aff0. */
static inline unsigned bm_core(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return (unsigned)v & 0xff;
}

/* One expected synchronous exception, per core. bm_expect_fault() arms the calling
 * core's; its next synchronous exception is recorded there instead of stopping the
 * program, and execution resumes: at `resume` if it is non-zero; else, for an
 * instruction abort or a Branch Target exception, at the link register (the fault was a
 * call into a page that cannot execute, or onto no landing pad of a guarded page, where
 * ELR + 4, with PSTATE.BTYPE restored, would fault again); else after the faulting
 * instruction (ELR + 4). Any exception while not armed
 * prints ESR/FAR/ELR and exits with status 3. The registers are those of the EL the
 * exception was taken to (ESR_EL2 at EL2, ...). A cache line each: the cores arm theirs
 * at the same time. */
struct bm_fault_record {
    volatile int armed;
    volatile int taken;
    volatile uint64_t esr, far, elr, resume;
} __attribute__((aligned(64)));
extern struct bm_fault_record bm_faults[BM_MAX_CORES];
/* The calling core's record. */
#define bm_fault (bm_faults[bm_core() & (BM_MAX_CORES - 1)])

void bm_expect_fault(void);
/* Disarms; returns 1 if a fault was taken since bm_expect_fault(). */
int bm_fault_taken(void);

#define BM_ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define BM_ESR_FSC(esr) ((esr) & 0x3f) /* DFSC / IFSC */
#define BM_ESR_WNR(esr) (((esr) >> 6) & 1)
#define BM_EC_BRANCH_TARGET 0x0d /* FEAT_BTI; ISS bits 1:0: PSTATE.BTYPE */
#define BM_EC_IABORT_SAME_EL 0x21
#define BM_EC_DABORT_SAME_EL 0x25
#define BM_FSC_TRANSLATION(level) (0x04 + (level))
#define BM_FSC_ACCESS_FLAG(level) (0x08 + (level))
#define BM_FSC_PERMISSION(level) (0x0c + (level))

/* Exceptions taken from a lower EL (vector kinds 8-15: a hypervisor's traps) go to this
 * handler where it is set, with the frame, from which x0-x30, ELR and SPSR are restored
 * on return; it answers non-zero when it handled the exception. Unset, or answering 0,
 * they are unexpected exceptions as any other. */
extern int (*bm_lower_el_handler)(unsigned kind, struct bm_frame *frame);

/* Loads or stores 8 bytes at addr with one instruction; after an expected fault,
 * bm_probe_read returns if_faulted. */
uint64_t bm_probe_read(uint64_t addr, uint64_t if_faulted);
void bm_probe_write(uint64_t addr, uint64_t value);

/* ---- System registers */

#define BM_READ_SYSREG(name)                                 \
    ({                                                       \
        uint64_t v_;                                         \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));       \
        v_;                                                  \
    })
#define BM_WRITE_SYSREG(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define BM_ISB() __asm__ volatile("isb" ::: "memory")
#define BM_DSB_SY() __asm__ volatile("dsb sy" ::: "memory")

/* ID_AA64MMFR2_EL1 by encoding (older assemblers lack the name). */
static inline uint64_t bm_read_id_aa64mmfr2(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, S3_0_C0_C7_2" : "=r"(v));
    return v;
}

/* The EL the code runs at (CurrentEL.EL). */
static inline unsigned bm_current_el(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(v));
    return (unsigned)(v >> 2) & 3;
}

/* AT <op> on va, then PAR_EL1 (Arm ARM D19.2 "PAR_EL1"): op is "s1e1r", "s1e2w"... */
#define BM_AT(op, va)                                               \
    ({                                                              \
        uint64_t par_;                                              \
        __asm__ volatile("at " op ", %1\n\tisb\n\tmrs %0, par_el1"  \
                         : "=r"(par_) : "r"(va) : "memory");        \
        par_;                                                       \
    })

/* AT S1E1R / AT S1E1W; AT S1E2R / AT S1E2W (at EL2: the EL2 regime, or EL2&0 when
 * HCR_EL2.E2H is 1) and AT S1E3R / AT S1E3W (at EL3); the result is in PAR_EL1 at every
 * EL (Arm ARM DDI 0487, PAR_EL1 and the AT instructions). */
static inline uint64_t bm_at_s1e1r(uint64_t va) { return BM_AT("s1e1r", va); }
static inline uint64_t bm_at_s1e1w(uint64_t va) { return BM_AT("s1e1w", va); }
static inline uint64_t bm_at_s1e2r(uint64_t va) { return BM_AT("s1e2r", va); }
static inline uint64_t bm_at_s1e2w(uint64_t va) { return BM_AT("s1e2w", va); }
static inline uint64_t bm_at_s1e3r(uint64_t va) { return BM_AT("s1e3r", va); }
static inline uint64_t bm_at_s1e3w(uint64_t va) { return BM_AT("s1e3w", va); }

/* AT S1ExR / S1ExW for the stage 1 regime of the current EL x. */
static inline uint64_t bm_at_read(uint64_t va)
{
    unsigned el = bm_current_el();
    return el == 3 ? bm_at_s1e3r(va) : el == 2 ? bm_at_s1e2r(va) : bm_at_s1e1r(va);
}
static inline uint64_t bm_at_write(uint64_t va)
{
    unsigned el = bm_current_el();
    return el == 3 ? bm_at_s1e3w(va) : el == 2 ? bm_at_s1e2w(va) : bm_at_s1e1w(va);
}

#define BM_PAR_F ((uint64_t)1)
#define BM_PAR_FST(par) (((par) >> 1) & 0x3f)
#define BM_PAR_PA(par) ((par) & 0x0000fffffffff000ULL)
#define BM_PAR_ATTR(par) (((par) >> 56) & 0xff)
#define BM_PAR_SH(par) (((par) >> 7) & 3)
#define BM_PAR_NS(par) (((par) >> 9) & 1)

/* Makes instructions written at [start, start + len) visible to instruction fetch. */
void bm_sync_icache(uintptr_t start, size_t len);

/* "EL1", "EL2 (virtualization=on)"... : how the program was entered. */
const char *bm_el_name(unsigned el);

#ifdef BM_STAY_AT_ENTRY_EL
/* ---- A second core (images built with -DBM_STAY_AT_ENTRY_EL) */

/* What a secondary core runs: fn(arg) on the stack that ends at stack_top (16-byte
 * aligned), at the primary's EL, MMU and caches off, its vector table set up as the
 * primary's. When fn returns the core parks for good. */
struct bm_secondary {
    void (*fn)(void *arg);
    void *arg;
    uint64_t stack_top;
};

/* Starts core @core (MPIDR_EL1.Aff0; Aff1-3 zero) on @s, which must stay in place
 * until the core has read it. At EL1 or EL2: PSCI CPU_ON, which QEMU's boards answer in
 * place of firmware, starting the core at the caller's EL (SMC at EL2; at EL1 HVC on
 * virt, SMC on xlnx-zcu102: the one that is undefined there is stepped over, through
 * bm_expect_fault). At EL3, where QEMU starts every core at _start (virt with
 * secure=on, raspi3b): releases the core from its park loop once it has been seen
 * there (within about 100 ms). The structure and the release are
 * cleaned to the point of coherency, since the core reads them with its MMU off.
 * Returns 0 (started), or a PSCI error: -2 INVALID_PARAMETERS (no such core, or none
 * parked at EL3), -4 ALREADY_ON, ... */
int bm_start_secondary(unsigned core, struct bm_secondary *s);

/* Cleans and invalidates [start, start + len) to the point of coherency (DC CIVAC),
 * then DSB SY: for data shared with a core whose MMU (and so data cache) is off. */
void bm_clean_inval_poc(uintptr_t start, size_t len);

/* CNTPCT_EL0 in microseconds (CNTFRQ_EL0), for timeouts. */
uint64_t bm_time_us(void);
#endif

#endif
