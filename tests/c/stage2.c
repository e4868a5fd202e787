/*
 * stage2.c - a hypervisor's stage-2 map through the C ABI, compiled as C99: a VM's RAM
 * and a device, IPA to PA with an offset, VTCR_EL2 for the CPU, a live change by
 * break-before-make (include/idmap.h, "Stage 2 (hypervisors)").
 */
#include <idmap.h>
#include <string.h>

#include "check.h"

#define GIB ((uint64_t)1 << 30)

int main(void)
{
    idmap_stage2_config_t config;
    idmap_t *vm;
    idmap_region_t ram, uart, page;
    uint64_t vtcr = 0;

    memset(&config, 0, sizeof config);
    config.ipa_bits = 40; /* from level 1: two concatenated root tables */
    config.start_level = 1;
    config.vmid = 1;
    config.pa_offset = (int64_t)(8 * GIB); /* guest RAM at IPA 1 GiB is PA 9 GiB */
    vm = idmap_new_stage2(&config);
    REQUIRE(vm != NULL);
    CHECK(idmap_s2_root_tables(vm) == 2);

    ram = idmap_region(GIB, 2 * GIB);
    uart = idmap_region(0x09000000, 0x09001000);
    REQUIRE_OK(vm, idmap_map_range(vm, &ram, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ_WRITE));
    REQUIRE_OK(vm, idmap_map_range(vm, &uart, IDMAP_S2_VALID | IDMAP_S2_DEVICE_NGNRE | IDMAP_S2_READ_WRITE |
                                                IDMAP_S2_XN));
    /* nG is stage 1's. */
    CHECK(idmap_map_range(vm, &uart, IDMAP_S2_VALID | IDMAP_ATTR_NON_GLOBAL) == IDMAP_ERR_INVALID_FLAGS);

    /* PARange 0b0010 (40 bits), 8-bit VMIDs: as Linux's guest boot under QEMU checked it. */
    REQUIRE_OK(vm, idmap_s2_vtcr(vm, 0x2, 0, &vtcr));
    CHECK(vtcr == 0x80023558u);
    CHECK(idmap_s2_vttbr(vm) == (idmap_root_address(vm) | (uint64_t)1 << 48));

    /* Live (on the host only the state changes): one page of the 1 GiB block made
     * read-only by breaking the block. */
    REQUIRE_OK(vm, idmap_activate(vm));
    page = idmap_region(GIB, GIB + 0x1000);
    CHECK(idmap_map_range(vm, &page, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ) ==
          IDMAP_ERR_BREAK_BEFORE_MAKE);
    REQUIRE_OK(vm, idmap_s2_map_range_bbm(vm, &page, IDMAP_S2_VALID | IDMAP_S2_NORMAL | IDMAP_S2_READ, 0));
    CHECK(idmap_table_count(vm) == 2 + 2 + 2); /* the root, uart's two tables, the split's two */
    REQUIRE_OK(vm, idmap_deactivate(vm));

    idmap_free(vm);
    return check_failures() != 0;
}
