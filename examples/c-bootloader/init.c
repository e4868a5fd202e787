/*
 * init.c - the initramfs's /init for make run-linux: a static AArch64 Linux program with
 * no C library. It says on the console that Linux runs, then powers the machine off:
 * reboot(2) with LINUX_REBOOT_CMD_POWER_OFF, which Linux carries out with PSCI
 * SYSTEM_OFF, on which QEMU exits with status 0. tests/target/run-linux.sh looks for the
 * line.
 *
 * The kernel starts it with fds 0, 1 and 2 open on /dev/console (the archive has the
 * node), and sp 16-byte aligned, as _start needs.
 */

/* System call numbers of the generic table that arm64 uses (include/uapi/asm-generic/unistd.h). */
#define SYS_WRITE 64
#define SYS_EXIT 93
#define SYS_REBOOT 142

/* reboot(2)'s magic numbers and command (include/uapi/linux/reboot.h). */
#define LINUX_REBOOT_MAGIC1 0xfee1deadL
#define LINUX_REBOOT_MAGIC2 672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

/* SVC #0 with the number in x8 and the arguments in x0-x2; the result is x0. */
static long syscall3(long number, long a, long b, long c)
{
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

void _start(void) __attribute__((noreturn));

void _start(void)
{
    static const char line[] = "idmap: Linux is running on tables built by the library\n";
    syscall3(SYS_WRITE, 1, (long)line, sizeof line - 1);
    syscall3(SYS_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF);
    /* Not powered off: exiting makes the kernel panic ("Attempted to kill init"), which the
     * run reports as a timeout. */
    for (;;)
        syscall3(SYS_EXIT, 1, 0, 0);
}
