/*
 * cxx_layout.h - the fixed layout of the C++ target suite's image (tests/target/cxx_suite.cpp),
 * as offsets from the board's load address (BOARD_LOAD_ADDR). Included by the linker script
 * (tests/target/cxx-suite.ld.S, through the C preprocessor) and by the program, whose memory
 * map - and so its translation tables, built at compile time - must know every address
 * before the link. Plain numbers only: the linker script reads them too.
 *
 * Every window is 512 KiB or 64 KiB aligned, so that the 4 KiB, 16 KiB and 64 KiB granules
 * can all give each its own permissions.
 *
 *   +0x000000  512 KiB  text: code, then the vectors            read-only, executable
 *   +0x080000  512 KiB  rodata                                  read-only, execute-never
 *   +0x100000    3 MiB  data, bss (page pools), stack           read-write, execute-never
 *   +0x400000   64 KiB  .cxx_tables: the compile-time tables    read-only, execute-never
 *   +0x410000   64 KiB  .cxx_rt_tables: pages for the run-time core, handed out in order
 *   +0x420000           the end of the image
 */
#ifndef CXX_LAYOUT_H
#define CXX_LAYOUT_H

#define CXX_TEXT_OFFSET 0x000000
#define CXX_RODATA_OFFSET 0x080000
#define CXX_DATA_OFFSET 0x100000
#define CXX_TABLES_OFFSET 0x400000
#define CXX_RT_TABLES_OFFSET 0x410000
#define CXX_IMAGE_END_OFFSET 0x420000

#endif
