/*
 * main.c - a C bootloader that turns the MMU on with libidmap's C ABI.
 *
 * It runs on the board's boot core at EL1 (examples/common/start.S parked the other
 * cores and dropped from EL2/EL3), builds an identity map of the board (board.h):
 *
 *   RAM                   Normal, read-write, execute-never
 *   this image's code     Normal, read-only, executable
 *   its read-only data    Normal, read-only, execute-never
 *   data, bss, stack      Normal, read-write, execute-never   (the table pool is in bss)
 *   device window         Device-nGnRE, execute-never          (the UART is in it)
 *
 * turns the MMU and caches on (idmap_enable_mmu), prints the map (idmap_dump) and a
 * few checks that the hardware sees what was asked (AT S1E1R/W, and a store to the
 * code that must take a permission fault), turns the MMU off again as a loader would
 * before handing over, and exits QEMU with 0 if every check passed.
 */
#include "bm.h"
#include "board.h"
#include "idmap.h"

#define ASID 1
#define ROOT_LEVEL 1 /* 512 GiB from address 0: every board's RAM and devices */

static int failures;

static idmap_t *map_or_die(idmap_t *map, const char *what, uint64_t start, uint64_t end,
                           uint64_t flags)
{
    idmap_region_t region = idmap_region(start, end);
    idmap_status_t st = idmap_map_range(map, &region, flags);
    bm_printf("  %-12s [0x%010llx, 0x%010llx) flags 0x%016llx: %s\n", what,
              (unsigned long long)region.start, (unsigned long long)region.end,
              (unsigned long long)flags, idmap_status_str(st));
    if (st != IDMAP_OK) {
        char line[160];
        idmap_format_error(idmap_last_error(map), line, sizeof line);
        bm_printf("error: %s\n", line);
        bm_exit(1);
    }
    return map;
}

/* One line per check: what AT S1E1R / AT S1E1W say about addr. */
static void check_translation(const char *what, uint64_t addr, int readable, unsigned attr,
                              int writable)
{
    uint64_t r = bm_at_s1e1r(addr), w = bm_at_s1e1w(addr);
    int ok;
    if (!readable)
        ok = (r & BM_PAR_F) && (w & BM_PAR_F);
    else
        ok = !(r & BM_PAR_F) && BM_PAR_PA(r) == (addr & ~0xfffULL) && BM_PAR_ATTR(r) == attr &&
             !!(w & BM_PAR_F) == !writable;
    bm_printf("  %-4s %-28s 0x%010llx  AT S1E1R PAR 0x%016llx  AT S1E1W PAR 0x%016llx\n",
              ok ? "ok" : "FAIL", what, (unsigned long long)addr, (unsigned long long)r,
              (unsigned long long)w);
    failures += !ok;
}

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("\nc-bootloader on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));

    const uint64_t text = (uintptr_t)__image_start, rodata = (uintptr_t)__text_end,
                   data = (uintptr_t)__rodata_end, end = (uintptr_t)__image_end;
    const uint64_t normal = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID;
    const uint64_t device = IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_EXECUTE_NEVER | IDMAP_ATTR_VALID;

    idmap_t *map = idmap_new(ASID, ROOT_LEVEL);
    if (!map) {
        bm_printf("error: idmap_new(%d, %d) answered NULL\n", ASID, ROOT_LEVEL);
        return 1;
    }
    bm_printf("identity map, ASID %d, root level %d (%llu GiB):\n", ASID, ROOT_LEVEL,
              (unsigned long long)(idmap_size(map) >> 30));
    /* RAM first: the image's regions below then override their part of it. */
    map_or_die(map, "RAM", BOARD_RAM_BASE, BOARD_RAM_BASE + BOARD_RAM_SIZE,
               normal | IDMAP_ATTR_EXECUTE_NEVER);
    map_or_die(map, "code", text, rodata, normal | IDMAP_ATTR_READ_ONLY);
    map_or_die(map, "rodata", rodata, data,
               normal | IDMAP_ATTR_READ_ONLY | IDMAP_ATTR_EXECUTE_NEVER);
    map_or_die(map, "data+stack", data, end, normal | IDMAP_ATTR_EXECUTE_NEVER);
    map_or_die(map, "devices", BOARD_DEVICE_BASE, BOARD_DEVICE_BASE + BOARD_DEVICE_SIZE, device);

    idmap_mmu_config_t cfg;
    idmap_status_t st = idmap_mmu_config(map, BM_READ_SYSREG(id_aa64mmfr0_el1), &cfg);
    if (st != IDMAP_OK) {
        bm_printf("error: idmap_mmu_config: %s\n", idmap_status_str(st));
        return 1;
    }
    st = idmap_enable_mmu(map);
    if (st != IDMAP_OK) {
        bm_printf("error: idmap_enable_mmu: %s\n", idmap_status_str(st));
        return 1;
    }
    bm_printf("MMU on: SCTLR_EL1 0x%llx TCR_EL1 0x%llx MAIR_EL1 0x%llx TTBR0_EL1 0x%llx\n",
              (unsigned long long)BM_READ_SYSREG(sctlr_el1),
              (unsigned long long)BM_READ_SYSREG(tcr_el1),
              (unsigned long long)BM_READ_SYSREG(mair_el1),
              (unsigned long long)BM_READ_SYSREG(ttbr0_el1));
    bm_printf("%zu table pages; the map:\n", idmap_table_count(map));
    idmap_dump(map, bm_console_write, 0);

    bm_printf("checks:\n");
    check_translation("code (read-only)", (uintptr_t)bm_main, 1, 0xff, 0);
    check_translation("rodata (read-only)", rodata, 1, 0xff, 0);
    check_translation("stack (read-write)", (uintptr_t)&cfg, 1, 0xff, 1);
    check_translation("RAM (read-write)", BOARD_RAM_BASE + BOARD_RAM_SIZE - 0x1000, 1, 0xff, 1);
    check_translation("UART (Device-nGnRE)", BOARD_UART_BASE, 1, 0x04, 1);
    check_translation("unmapped", BOARD_RAM_BASE + BOARD_RAM_SIZE + 0x40000000ULL, 0, 0, 0);

    /* A store to our own code must take a permission fault (caught by the vectors). */
    bm_expect_fault();
    bm_probe_write((uintptr_t)bm_main, 0);
    int taken = bm_fault_taken();
    int ok = taken && BM_ESR_EC(bm_fault.esr) == BM_EC_DABORT_SAME_EL &&
             (BM_ESR_FSC(bm_fault.esr) & 0x3c) == 0x0c && bm_fault.far == (uintptr_t)bm_main;
    bm_printf("  %-4s store to code takes a permission fault: ESR_EL1 0x%llx FAR_EL1 0x%llx\n",
              ok ? "ok" : "FAIL", (unsigned long long)bm_fault.esr,
              (unsigned long long)bm_fault.far);
    failures += !ok;

    st = idmap_disable_mmu(map);
    bm_printf("MMU off (%s): SCTLR_EL1 0x%llx\n", idmap_status_str(st),
              (unsigned long long)BM_READ_SYSREG(sctlr_el1));
    failures += st != IDMAP_OK;
    idmap_free(map);

    bm_printf("%s: %d check(s) failed\n", failures ? "FAIL" : "done", failures);
    return failures ? 1 : 0;
}
