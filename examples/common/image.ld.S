/*
 * image.ld.S - linker script template for the bare-metal images, run through the C
 * preprocessor (-undef -P) with -DLOAD_ADDR=<board load address> -DSTACK_SIZE=<bytes>.
 *
 * Layout (image-sections.ld.h), each part starting on a 4 KiB boundary so that it can be
 * mapped with its own permissions: text (read-only, executable; the vectors 2 KiB
 * aligned inside it), rodata (read-only), then data, bss and the stack (read-write).
 * Three load segments with matching permissions, so no segment is writable and
 * executable.
 *
 * Optional extra code segments, each one page, outside the image (-DLOWTEXT_A_ADDR=...,
 * -DLOWTEXT_B_ADDR=...): sections .lowtext.a and .lowtext.b, for code that must run
 * from a low address (QEMU loads them into the virt board's flash; tests/target/).
 */
ENTRY(_start)

PHDRS
{
#include "image-phdrs.ld.h"
#ifdef LOWTEXT_A_ADDR
    lowtext_a PT_LOAD FLAGS(5);
#endif
#ifdef LOWTEXT_B_ADDR
    lowtext_b PT_LOAD FLAGS(5);
#endif
}

SECTIONS
{
    . = LOAD_ADDR;
#include "image-sections.ld.h"

#ifdef LOWTEXT_A_ADDR
    .lowtext.a LOWTEXT_A_ADDR : {
        KEEP(*(.lowtext.a))
        . = ALIGN(4096);
    } :lowtext_a
#endif
#ifdef LOWTEXT_B_ADDR
    .lowtext.b LOWTEXT_B_ADDR : {
        KEEP(*(.lowtext.b))
        . = ALIGN(4096);
    } :lowtext_b
#endif
}
