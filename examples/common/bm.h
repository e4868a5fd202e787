/*
 * bm.h - the small bare-metal runtime shared by the C examples and the target tests:
 * console (the board's UART), formatted output, exit through semihosting, exception
 * capture, and the system registers the programs read.
 *
 * The runtime starts in start.S at whatever EL QEMU enters, drops to EL1 and calls
 * bm_main(entry_el); the value bm_main returns is the QEMU exit status.
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

/* What vectors.S saves; x[30] is the link register. */
struct bm_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t pad;
};

/* One expected synchronous exception. bm_expect_fault() arms it; the next synchronous
 * exception is recorded here instead of stopping the program, and execution resumes:
 * at `resume` if it is non-zero; else, for an instruction abort, at the link register
 * (the fault was a call into a page that cannot execute); else after the faulting
 * instruction (ELR + 4). Any exception while not armed prints ESR/FAR/ELR and exits
 * with status 3. */
struct bm_fault {
    volatile int armed;
    volatile int taken;
    volatile uint64_t esr, far, elr, resume;
};
extern struct bm_fault bm_fault;

void bm_expect_fault(void);
/* Disarms; returns 1 if a fault was taken since bm_expect_fault(). */
int bm_fault_taken(void);

#define BM_ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define BM_ESR_FSC(esr) ((esr) & 0x3f) /* DFSC / IFSC */
#define BM_ESR_WNR(esr) (((esr) >> 6) & 1)
#define BM_EC_IABORT_SAME_EL 0x21
#define BM_EC_DABORT_SAME_EL 0x25
#define BM_FSC_TRANSLATION(level) (0x04 + (level))
#define BM_FSC_ACCESS_FLAG(level) (0x08 + (level))
#define BM_FSC_PERMISSION(level) (0x0c + (level))

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

/* AT S1E1R / AT S1E1W, then PAR_EL1 (Arm ARM D19.2 "PAR_EL1"). */
static inline uint64_t bm_at_s1e1r(uint64_t va)
{
    uint64_t par;
    __asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return par;
}
static inline uint64_t bm_at_s1e1w(uint64_t va)
{
    uint64_t par;
    __asm__ volatile("at s1e1w, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return par;
}

#define BM_PAR_F ((uint64_t)1)
#define BM_PAR_FST(par) (((par) >> 1) & 0x3f)
#define BM_PAR_PA(par) ((par) & 0x0000fffffffff000ULL)
#define BM_PAR_ATTR(par) (((par) >> 56) & 0xff)
#define BM_PAR_SH(par) (((par) >> 7) & 3)

/* Makes instructions written at [start, start + len) visible to instruction fetch. */
void bm_sync_icache(uintptr_t start, size_t len);

/* "EL1", "EL2 (virtualization=on)"... : how the program was entered. */
const char *bm_el_name(unsigned el);

#endif
