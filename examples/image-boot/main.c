/*
 * main.c - a bootloader that turns the MMU on with translation tables built at build
 * time: idmap-image (tools/idmap-image/) turned the board's memory map
 * (boards/<b>/memmap.txt) into an object holding the finished tables at their physical
 * address, and this program links it. No table is built at run time, and no libidmap is
 * linked: the link line has the runtime of examples/common/ and the tables object only.
 *
 * It enables the MMU (idmap_image_enable_mmu: MAIR, TCR, TTBR0, SCTLR and their barriers),
 * says what the hardware makes of its UART, its code and an address the map leaves out
 * (AT S1E1R / S1E1W), and exits with 0 if that is what the memory map says.
 * Build and boot: make image-boot-example BOARD=<b> [LLVM=1] (tests/target/image.mk).
 */
#include "bm.h"
#include "board.h"
#include "idmap_image.h"

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("\nimage-boot example on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));
    bm_printf("tables: %llu pages at 0x%llx, sha256 ", (unsigned long long)idmap_image_pages,
              (unsigned long long)(uintptr_t)idmap_image_tables);
    for (unsigned i = 0; i < 32; i++)
        bm_printf("%02x", idmap_image_sha256[i]);
    bm_printf("\n");

    if (idmap_image_enable_mmu() != 0) {
        bm_printf("FAIL: the MMU was on already\n");
        return 1;
    }
    bm_printf("MMU on: SCTLR_EL1 0x%llx TCR_EL1 0x%llx TTBR0_EL1 0x%llx\n",
              (unsigned long long)BM_READ_SYSREG(sctlr_el1), (unsigned long long)BM_READ_SYSREG(tcr_el1),
              (unsigned long long)BM_READ_SYSREG(ttbr0_el1));

    /* Device memory reads back MAIR attribute 0x04, Normal 0xff; a read-only page
     * refuses AT S1E1W; an address no line maps translates nowhere. */
    const uint64_t uart = bm_at_s1e1r(BOARD_UART_BASE), code = bm_at_s1e1w((uintptr_t)bm_main),
                   none = bm_at_s1e1r(BOARD_RAM_BASE + BOARD_RAM_SIZE + 0x40000000ULL);
    const int ok = !(uart & BM_PAR_F) && BM_PAR_ATTR(uart) == 0x04 && (code & BM_PAR_F) && (none & BM_PAR_F);
    bm_printf("UART PAR 0x%016llx, store to code PAR 0x%016llx, unmapped PAR 0x%016llx\n",
              (unsigned long long)uart, (unsigned long long)code, (unsigned long long)none);
    bm_printf("%s\n", ok ? "done" : "FAIL");
    return ok ? 0 : 1;
}
