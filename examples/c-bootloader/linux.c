/*
 * linux.c - a C bootloader that starts an unmodified arm64 Linux kernel on tables the
 * library built (make run-linux, qemu-virt only).
 *
 * QEMU (-M virt,virtualization=on) enters it at EL2, where it stays (built with
 * -DBM_STAY_AT_ENTRY_EL), so that Linux too starts at EL2 and brings KVM up. QEMU has put
 * the devicetree at the start of RAM, with -append in /chosen/bootargs; the kernel's
 * Image at LINUX_IMAGE_LOAD and the initramfs where bootargs' initrd=ADDR,SIZE says (two
 * -device loader). The loader:
 *
 *   1. maps RAM (the devicetree's /memory), its own image and the UART in the EL2 regime
 *      and turns the MMU and caches on (idmap_enable_mmu_checked);
 *   2. checks the Image header and places the kernel as Linux's
 *      Documentation/arch/arm64/booting.rst asks: text_offset above a 2 MiB boundary (the
 *      first past this loader), image_size bytes free there, clear of the devicetree,
 *      the loader and the initramfs; it copies the Image there with the caches on (the
 *      initramfs stays where bootargs tells Linux it is) (examples/common/linux_boot.c,
 *      which examples/hypervisor/ shares);
 *   3. cleans the kernel, the initramfs and the devicetree to the point of coherency
 *      (idmap_clean_to_poc): Linux reads them with its MMU and caches off;
 *   4. turns the MMU off (idmap_disable_mmu) and enters the kernel at EL2, interrupts
 *      masked, with x0 = the devicetree and x1 = x2 = x3 = 0.
 *
 * Anything wrong is said on the console and ends the run with status 1.
 */
#include "bm.h"
#include "board.h"
#include "idmap.h"
#include "linux_boot.h"

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("\nLinux loader on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));
    if (entry_el != 2)
        linux_die("Linux is started at EL2 here: run QEMU with -M virt,virtualization=on");

    struct linux_boot boot;
    linux_read_devicetree(&boot, (uint8_t *)(uintptr_t)BOARD_RAM_BASE);
    const struct range loader = {"this loader", (uintptr_t)__image_start, (uintptr_t)__image_end};

    /* 1. The MMU on: RAM, the loader's image, the UART. */
    idmap_t *map = linux_el2_mmu_on(&boot.ram);

    /* 2-3. The kernel, text_offset above the first 2 MiB boundary past the loader, and it,
     * the initramfs and the devicetree in memory for a kernel that starts with its caches
     * off. */
    linux_place_kernel(&boot, LINUX_IMAGE_LOAD, loader.end, &loader, 1);

    /* 4. The MMU off, and Linux. */
    linux_check(idmap_disable_mmu(map), map, "idmap_disable_mmu");
    bm_printf("MMU off; entering Linux at 0x%llx at EL2, x0 = devicetree 0x%llx\n\n",
              (unsigned long long)boot.kernel.start, (unsigned long long)boot.dtb.start);
    void (*entry)(uint64_t, uint64_t, uint64_t, uint64_t) =
        (void (*)(uint64_t, uint64_t, uint64_t, uint64_t))(uintptr_t)boot.kernel.start;
    entry(boot.dtb.start, 0, 0, 0);
    linux_die("the kernel returned");
}
