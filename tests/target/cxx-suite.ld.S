/*
 * cxx-suite.ld.S - linker script of the C++ target suite (tests/target/cxx_suite.cpp): the
 * bare-metal runtime of examples/common/ in the fixed windows of cxx_layout.h, and the
 * translation tables the compiler built (section .cxx_tables) at the address the program's
 * memory map gave them. Run through the C preprocessor (-undef -P, -Itests/target,
 * -Iexamples/common: image-sections.ld.h, the runtime's sections) with
 * -DLOAD_ADDR=<board load address> -DSTACK_SIZE=<bytes>.
 *
 * A window that overflows fails the link (ASSERT), as does a .cxx_tables section that is
 * missing or does not fit its window.
 */
#include "cxx_layout.h"

ENTRY(_start)

PHDRS
{
#include "image-phdrs.ld.h"
    tables PT_LOAD FLAGS(4);
    rt_tables PT_LOAD FLAGS(6);
}

/* The windows of cxx_layout.h (image-sections.ld.h). */
#define BM_RODATA_AT (LOAD_ADDR + CXX_RODATA_OFFSET)
#define BM_DATA_AT (LOAD_ADDR + CXX_DATA_OFFSET)
#define BM_IMAGE_LIMIT (LOAD_ADDR + CXX_TABLES_OFFSET)

SECTIONS
{
    . = LOAD_ADDR + CXX_TEXT_OFFSET;
#include "image-sections.ld.h"

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
}
