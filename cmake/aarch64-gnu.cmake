# aarch64-gnu.cmake - CMake toolchain file: AArch64 bare metal with the GNU cross compiler.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=<idmap>/cmake/aarch64-gnu.cmake -DIDMAP_BOARD=qemu-virt ...
#
# The compiler prefix is CROSS_COMPILE (a CMake variable or the environment), as the
# Makefile's toolchain.mk takes it; if neither is set, aarch64-none-elf- (Arm GNU
# Toolchain) when aarch64-none-elf-gcc is on the PATH, else aarch64-linux-gnu- (Debian's
# g++-aarch64-linux-gnu). Programs linked for the board need -nostdlib (and their own
# linker script and entry point): nothing here assumes a C library.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT DEFINED CROSS_COMPILE)
    if(DEFINED ENV{CROSS_COMPILE})
        set(CROSS_COMPILE "$ENV{CROSS_COMPILE}")
    else()
        find_program(_idmap_none_elf_gcc aarch64-none-elf-gcc)
        if(_idmap_none_elf_gcc)
            set(CROSS_COMPILE aarch64-none-elf-)
        else()
            set(CROSS_COMPILE aarch64-linux-gnu-)
        endif()
    endif()
endif()
# try_compile() projects read this file again: hand them the same prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CROSS_COMPILE)

set(CMAKE_C_COMPILER ${CROSS_COMPILE}gcc)
set(CMAKE_CXX_COMPILER ${CROSS_COMPILE}g++)
set(CMAKE_ASM_COMPILER ${CROSS_COMPILE}gcc)
# No C library to link a test program against: check the compilers with a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
