/*
 * hypervisor.c - a small EL2 hypervisor in C on the library's C ABI that runs an
 * unmodified arm64 Linux at EL1, on every core, on a stage-2 map the library built (make
 * run-hypervisor, qemu-virt with virtualization=on, -smp 2, -m 512).
 *
 * QEMU enters it at EL2 (built with -DBM_STAY_AT_ENTRY_EL), linked at HYPERVISOR_LOAD,
 * the top 2 MiB of RAM; the devicetree, the kernel's Image and the initramfs are where
 * run-linux has them (examples/c-bootloader/linux.c). The first core:
 *
 *   1. maps RAM, its own image and the UART in the EL2 regime and turns its MMU and
 *      caches on (linux_el2_mmu_on); they stay on: EL2's regime is its own;
 *   2. makes the devicetree's /memory end where the hypervisor starts, and builds the
 *      guest's stage-2 map of that RAM and its devices (guest_map.c): the hypervisor's
 *      image, tables and stacks are in no stage-2 entry, so the guest cannot reach them;
 *   3. places the kernel past the devicetree and cleans it, the initramfs and the
 *      devicetree to the point of coherency (linux_place_kernel): the guest starts with
 *      its MMU, and so its caches, off;
 *   4. sets EL2's traps, timer and debug registers, activates stage 2 and ERETs to the
 *      kernel at EL1h with x0 = the devicetree (vcpu.c).
 *
 * Then it runs only when the guest traps (traps.c): PSCI through SMC, CPU_ON bringing the
 * next core up through the hypervisor's own entry (vcpu.c). The guest powers off with
 * PSCI SYSTEM_OFF, which QEMU answers by exiting with status 0. Status 1: a failure
 * before the guest ran; 2: a trap the hypervisor does not handle.
 */
#include "board.h"
#include "hypervisor.h"

struct hyp hyp;

static uint32_t lock_word;

void hyp_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED))
            __asm__ volatile("yield");
}

void hyp_unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("\nhypervisor on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));
    if (entry_el != 2)
        linux_die("the hypervisor runs at EL2: run QEMU with -M virt,virtualization=on");

    struct linux_boot boot;
    linux_read_devicetree(&boot, (uint8_t *)(uintptr_t)BOARD_RAM_BASE);
    const struct range self = {"the hypervisor", (uintptr_t)__image_start, (uintptr_t)__image_end};
    if (self.start < boot.ram.start || self.end > boot.ram.end)
        linux_die("the hypervisor's image is not in RAM (QEMU's -m 512, HYPERVISOR_LOAD)");

    /* 1. EL2's own map, MMU and caches on; its register values kept for the other cores. */
    hyp.el2 = linux_el2_mmu_on(&boot.ram);
    linux_check(idmap_mmu_config(hyp.el2, BM_READ_SYSREG(id_aa64mmfr0_el1), &hyp.mmu), hyp.el2,
                "idmap_mmu_config");

    /* 2. The guest's RAM: below the hypervisor. */
    guest_shrink_memory(&boot, self.start);
    hyp.ram = boot.ram;
    hyp.vm = guest_map_new(&hyp.ram);
    linux_check(idmap_s2_vtcr(hyp.vm, BM_READ_SYSREG(id_aa64mmfr0_el1), BM_READ_SYSREG(id_aa64mmfr1_el1),
                              &hyp.vtcr),
                hyp.vm, "idmap_s2_vtcr");

    /* 3. The kernel, past the devicetree, and what it reads with its caches off. */
    linux_place_kernel(&boot, LINUX_IMAGE_LOAD, boot.dtb.end, &self, 1);

    /* 4. The guest. */
    bm_clean_inval_poc((uintptr_t)&hyp, sizeof hyp);
    bm_lower_el_handler = hyp_trap;
    bm_printf("entering Linux at 0x%llx at EL1, x0 = devicetree 0x%llx, VTCR_EL2 0x%llx\n\n",
              (unsigned long long)boot.kernel.start, (unsigned long long)boot.dtb.start,
              (unsigned long long)hyp.vtcr);
    vcpu_enter(boot.kernel.start, boot.dtb.start, (uintptr_t)__stack_top, 1);
}
