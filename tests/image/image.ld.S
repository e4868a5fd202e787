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
 * A window that overflows fails the link (ASSERT), as do tables not at the address the
 * generated object says (idmap_image_tables_pa).
 */
ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
#ifndef IMAGE_RELOCATABLE
    tables PT_LOAD FLAGS(4);
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
    ASSERT(__text_end <= LOAD_ADDR + 0x80000, "text overflows its 512 KiB window")

    . = LOAD_ADDR + 0x80000;
    .rodata : {
        *(.rodata .rodata.*)
        *(.srodata .srodata.*)
    } :rodata
    . = ALIGN(4096);
    __rodata_end = .;
    ASSERT(__rodata_end <= LOAD_ADDR + 0x100000, "rodata overflows its 512 KiB window")

    . = LOAD_ADDR + 0x100000;
    __data_start = .;
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
    ASSERT(__image_end <= LOAD_ADDR + 0x400000, "data, bss and stack overflow their 3 MiB window")

#ifndef IMAGE_RELOCATABLE
    .idmap_tables TABLES_ADDR : {
        KEEP(*(.idmap_tables))
    } :tables
    ASSERT(idmap_image_tables == idmap_image_tables_pa,
           "the tables are not where the memory map says (idmap_image_tables_pa)")
#endif

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.ARM.attributes)
        *(.interp .dynsym .dynstr .hash .gnu.hash .dynamic)
    }
}
