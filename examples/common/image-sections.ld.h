/*
 * image-sections.ld.h - the runtime's part of every bare-metal image's linker script
 * (image.ld.S here, tests/image/image.ld.S, tests/target/cxx-suite.ld.S), included inside
 * SECTIONS, after `. = <where text starts>;`, by the C preprocessor the scripts already
 * run through (-I examples/common).
 *
 * Text (.text.boot first, the vectors 2 KiB aligned at its end), rodata, then data, bss
 * and the stack (STACK_SIZE bytes), each part on a 4 KiB boundary, in the program
 * headers text, rodata and data (image-phdrs.ld.h, in the script's PHDRS); the symbols
 * of bm.h (__image_start, __text_end, __rodata_end, __stack_bottom, __stack_top,
 * __image_end) and start.S's __bss_start, __bss_end. And the sections no image keeps (/DISCARD/): where
 * it stands in SECTIONS does not change the layout.
 *
 * Fixed windows, for an image whose memory map is written before the link: define
 * BM_RODATA_AT and BM_DATA_AT (where rodata and data start) and BM_IMAGE_LIMIT (where
 * the stack must end). A part that overflows its window fails the link (ASSERT).
 */
    __image_start = .;
    .text : {
        KEEP(*(.text.boot))
        *(.text .text.*)
        . = ALIGN(2048);
        KEEP(*(.text.vectors))
    } :text
    . = ALIGN(4096);
    __text_end = .;
#ifdef BM_RODATA_AT
    ASSERT(__text_end <= BM_RODATA_AT, "text overflows its window")
    . = BM_RODATA_AT;
#endif

    .rodata : {
        *(.rodata .rodata.*)
        *(.srodata .srodata.*)
    } :rodata
    . = ALIGN(4096);
    __rodata_end = .;
#ifdef BM_DATA_AT
    ASSERT(__rodata_end <= BM_DATA_AT, "rodata overflows its window")
    . = BM_DATA_AT;
#endif

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
#ifdef BM_IMAGE_LIMIT
    ASSERT(__image_end <= BM_IMAGE_LIMIT, "data, bss and stack overflow their window")
#endif

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.ARM.attributes)
        *(.interp .dynsym .dynstr .hash .gnu.hash .dynamic)
    }
