/*
 * image.ld.S - linker script template for the bare-metal images, run through the C
 * preprocessor (-undef -P) with -DLOAD_ADDR=<board load address> -DSTACK_SIZE=<bytes>.
 *
 * Layout, each part starting on a 4 KiB boundary so that it can be mapped with its own
 * permissions: text (read-only, executable; the vectors 2 KiB aligned inside it),
 * rodata (read-only), then data, bss and the stack (read-write). Three load segments
 * with matching permissions, so no segment is writable and executable.
 *
 * Optional extra code segments, each one page, outside the image (-DLOWTEXT_A_ADDR=...,
 * -DLOWTEXT_B_ADDR=...): sections .lowtext.a and .lowtext.b, for code that must run
 * from a low address (QEMU loads them into the virt board's flash; tests/target/).
 */
ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
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
    __image_start = .;
    .text : {
        KEEP(*(.text.boot))
        *(.text .text.*)
        . = ALIGN(2048);
        KEEP(*(.text.vectors))
    } :text
    . = ALIGN(4096);
    __text_end = .;

    .rodata : {
        *(.rodata .rodata.*)
        *(.srodata .srodata.*)
    } :rodata
    . = ALIGN(4096);
    __rodata_end = .;

    .data : {
        *(.data .data.*)
        *(.got .got.*)
    } :data
    .bss (NOLOAD) : ALIGN(16) {
        __bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(16);
        __bss_end = .;
    } :data
    .stack (NOLOAD) : ALIGN(4096) {
        __stack_bottom = .;
        . += STACK_SIZE;
        __stack_top = .;
    } :data
    . = ALIGN(4096);
    __image_end = .;

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

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.ARM.attributes)
        *(.interp .dynsym .dynstr .hash .gnu.hash .dynamic)
    }
}
