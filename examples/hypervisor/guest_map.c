/*
 * guest_map.c - the guest's memory: its stage-2 map, and its devicetree's /memory made to
 * match.
 */
#include "fdt.h"
#include "hypervisor.h"

/* The devices of QEMU's virt machine (hw/arm/virt.c, QEMU 7.2, GICv2, highmem) that the
 * guest drives itself: no interrupt virtualisation (HCR_EL2.IMO/FMO clear), so the GIC
 * distributor and CPU interface are its own. Not the GIC's hypervisor interface and
 * virtual CPU interface (0x08030000, 0x08040000): EL2's. */
static const struct range devices[] = {
    {"GIC distributor, CPU interface", 0x08000000, 0x08020000},
    {"GICv2m MSI frame", 0x08020000, 0x08021000},
    {"PL011 UART", 0x09000000, 0x09001000},
    {"PL031 RTC", 0x09010000, 0x09011000},
    {"PL061 GPIO (the power button)", 0x09030000, 0x09031000},
    {"PCIe MMIO window", 0x10000000, 0x3eff0000},
    {"PCIe I/O window", 0x3eff0000, 0x3f000000},
    {"PCIe ECAM (high)", 0x4010000000ULL, 0x4020000000ULL},
    {"PCIe MMIO window (high)", 0x8000000000ULL, 0x10000000000ULL},
};

/* A 40-bit IPA space from level 1: two concatenated root tables (8 KiB), VMID 1; tables
 * from the library's static pool, which lies in the hypervisor's image. */
static const idmap_stage2_config_t vm_config = {40, 1, 1, false, 0, NULL, NULL, NULL};

idmap_t *guest_map_new(const struct range *ram)
{
    idmap_t *vm = idmap_new_stage2(&vm_config);
    if (!vm)
        linux_die("idmap_new_stage2 answered NULL");
    const idmap_region_t r = idmap_region(ram->start, ram->end);
    linux_check(idmap_map_range(vm, &r, GUEST_RAM_S2), vm, "stage 2: guest RAM");
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        const idmap_region_t d = idmap_region(devices[i].start, devices[i].end);
        linux_check(idmap_map_range(vm, &d, IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE |
                                                IDMAP_S2_READ_WRITE | IDMAP_S2_XN),
                    vm, devices[i].what);
    }
    bm_printf("stage 2: RAM [0x%llx, 0x%llx) and %zu device windows, %zu table pages "
              "(%u concatenated root tables), VTTBR 0x%llx\n",
              (unsigned long long)ram->start, (unsigned long long)ram->end,
              sizeof devices / sizeof devices[0], idmap_table_count(vm), idmap_s2_root_tables(vm),
              (unsigned long long)idmap_s2_vttbr(vm));
    return vm;
}

/* Why: Linux takes all of /memory as its own and allocates from its top at once, where
 * the hypervisor lives; stage 2 does not map that, so the guest would take a stage-2
 * fault there. The devicetree is where the guest learns its RAM: /memory's reg (one
 * entry; qemu-virt's root has #address-cells = #size-cells = 2) gets a smaller size, in
 * place. */
void guest_shrink_memory(struct linux_boot *b, uint64_t end)
{
    uint32_t len;
    uint8_t *reg = fdt_property(b->fdt, "memory", "reg", &len);
    if (!reg || len != 16)
        linux_die("the devicetree's /memory has not one reg entry of 2 + 2 cells");
    if (end <= b->ram.start || end > b->ram.end)
        linux_die("the hypervisor is not at the top of RAM");
    fdt_put_be64(reg + 8, end - b->ram.start);
    bm_printf("devicetree: /memory [0x%llx, 0x%llx) shrunk to [0x%llx, 0x%llx)\n",
              (unsigned long long)b->ram.start, (unsigned long long)b->ram.end,
              (unsigned long long)b->ram.start, (unsigned long long)end);
    b->ram.end = end;
}
