/*
 * linux_boot.h - what a bare-metal program needs to start an arm64 Linux kernel that
 * QEMU's -device loader staged in RAM (examples/c-bootloader/linux.c at EL2,
 * examples/hypervisor/ at EL1 under stage 2): the devicetree's RAM and initramfs, the
 * program's own EL2 map, and the kernel placed as Linux's
 * Documentation/arch/arm64/booting.rst asks.
 *
 * Anything wrong is said on the console and ends the run with status 1.
 */
#ifndef LINUX_BOOT_H
#define LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "idmap.h"

/* [start, end), named for the messages. */
struct range {
    const char *what;
    uint64_t start, end;
};

struct linux_boot {
    uint8_t *fdt;        /* the devicetree QEMU put at the start of RAM */
    struct range ram;    /* its /memory (qemu-virt: one reg entry, 2 + 2 cells) */
    struct range dtb;    /* the blob itself */
    struct range initrd; /* bootargs' initrd=ADDR,SIZE (QEMU's -append) */
    struct range kernel; /* where linux_place_kernel() put the kernel */
};

void linux_die(const char *what) __attribute__((noreturn));
/* Dies with the map's last error unless @st is IDMAP_OK. */
void linux_check(idmap_status_t st, const idmap_t *map, const char *what);

/* The calling program's own map in the EL2 regime (HCR_EL2.E2H = 0), MMU and caches on
 * (idmap_enable_mmu_checked): @ram as Normal memory, execute-never, then the program's
 * image over it (only its code executable, only its data writable), then the board's
 * UART. */
idmap_t *linux_el2_mmu_on(const struct range *ram);

/* Fills @b from the devicetree at @fdt; dies where there is no devicetree, /memory or
 * initrd= in /chosen/bootargs. */
void linux_read_devicetree(struct linux_boot *b, uint8_t *fdt);

/* Checks the arm64 Image at @image_addr and copies its kernel to text_offset past the
 * first 2 MiB boundary at or above @lowest; the kernel, the initramfs and the Image as
 * staged must lie in b->ram, clear of the devicetree, of each other and of @others (at most
 * 4: the program's own memory). Then cleans the kernel, the initramfs and the devicetree
 * to the point of coherency: the kernel reads them with its MMU and caches off. */
void linux_place_kernel(struct linux_boot *b, uint64_t image_addr, uint64_t lowest,
                        const struct range *others, size_t n);

#endif
