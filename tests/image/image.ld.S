/*
 * image.ld.S - linker script of the image-boot layout: the bare-metal runtime of
 * examples/common/ (as its image.ld.S lays it out) in fixed windows, so that a memory
 * map written before the program (boards/<b>/memmap.txt) can give each its permissions,
 * and the tables idmap-image built placed where that map says. Run through the C
 * preprocessor with -DLOAD_ADDR=<board load address> -DSTACK_SIZE=<bytes>
 * -DTABLES_ADDR=<the memory map's tables address>, and -DIMAGE_RELOCATABLE for the
 * relocatable variant, whose tables are in .data.
 *
 *   LOAD_ADDR + 0        512 KiB  text: code, then the vectors (2 KiB aligned)
 *   LOAD_ADDR + 512 KiB  512 KiB  rodata
 *   LOAD_ADDR + 1 MiB      3 MiB  data, bss (the library's static pool too), stack
 *   TABLES_ADDR                   .idmap_tables (the absolute variant's tables)
 *
 * The runtime's sections come from examples/common/image-sections.ld.h (-I examples/common).
 * A window that overflows fails the link (ASSERT), as do tables not at the address the
 * generated object says (idmap_image_tables_pa).
 */
ENTRY(_start)

PHDRS
{
#include "image-phdrs.ld.h"
#ifndef IMAGE_RELOCATABLE
    tables PT_LOAD FLAGS(4);
#endif
}

/* The windows of the layout above (image-sections.ld.h). */
#define BM_RODATA_AT (LOAD_ADDR + 0x80000)
#define BM_DATA_AT (LOAD_ADDR + 0x100000)
#define BM_IMAGE_LIMIT (LOAD_ADDR + 0x400000)

SECTIONS
{
    . = LOAD_ADDR;
#include "image-sections.ld.h"

#ifndef IMAGE_RELOCATABLE
    .idmap_tables TABLES_ADDR : {
        KEEP(*(.idmap_tables))
    } :tables
    ASSERT(idmap_image_tables == idmap_image_tables_pa,
           "the tables are not where the memory map says (idmap_image_tables_pa)")
#endif
}
