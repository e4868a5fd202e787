/*
 * cxx-suite.ld.S - linker script of the C++ target suite (tests/target/cxx_suite.cpp): the
 * bare-metal runtime of examples/common/ in the fixed windows of cxx_layout.h, and the
 * translation tables the compiler built (section .cxx_tables) at the address the program's
 * memory map gave them. Run through the C preprocessor (-undef -P, -Itests/target) with
 * -DLOAD_ADDR=<board load address> -DSTACK_SIZE=<bytes>.
 *
 * A window that overflows fails the link (ASSERT), as does a .cxx_tables section that is
 * missing or does not fit its window.
 */
#include "cxx_layout.h"

ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
    tables PT_LOAD FLAGS(4);
    rt_tables PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = LOAD_ADDR + CXX_TEXT_OFFSET;
    __image_start = .;
    .text : {
        KEEP(*(.text.boot))
        *(.text .text.*)
        . = ALIGN(2048);
        KEEP(*(.text.vectors))
    } :text
    . = ALIGN(4096);
    __text_end = .;
    ASSERT(__text_end <= LOAD_ADDR + CXX_RODATA_OFFSET, "text overflows its window")

    . = LOAD_ADDR + CXX_RODATA_OFFSET;
    .rodata : {
        *(.rodata .rodata.*)
        *(.srodata .srodata.*)
    } :rodata
    . = ALIGN(4096);
    __rodata_end = .;
    ASSERT(__rodata_end <= LOAD_ADDR + CXX_DATA_OFFSET, "rodata overflows its window")

    . = LOAD_ADDR + CXX_DATA_OFFSET;
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
    ASSERT(__image_end <= LOAD_ADDR + CXX_TABLES_OFFSET, "data, bss and stack overflow their window")

    .cxx_tables LOAD_ADDR + CXX_TABLES_OFFSET : {
        KEEP(*(.cxx_tables))
    } :tables
    ASSERT(SIZEOF(.cxx_tables) > 0, "no .cxx_tables: the compile-time tables were not linked")
    ASSERT(ADDR(.cxx_tables) + SIZEOF(.cxx_tables) <= LOAD_ADDR + CXX_RT_TABLES_OFFSET,
           ".cxx_tables overflows its window")

    .cxx_rt_tables LOAD_ADDR + CXX_RT_TABLES_OFFSET (NOLOAD) : {
        KEEP(*(.cxx_rt_tables))
    } :rt_tables
    ASSERT(ADDR(.cxx_rt_tables) + SIZEOF(.cxx_rt_tables) <= LOAD_ADDR + CXX_IMAGE_END_OFFSET,
           ".cxx_rt_tables overflows its window")

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.ARM.attributes)
        *(.interp .dynsym .dynstr .hash .gnu.hash .dynamic)
    }
}
