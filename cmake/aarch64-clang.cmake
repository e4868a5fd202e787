# aarch64-clang.cmake - CMake toolchain file: AArch64 bare metal with clang
# --target=aarch64-none-elf and ld.lld (LLVM=1 in the Makefile's terms).
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=<idmap>/cmake/aarch64-clang.cmake -DIDMAP_BOARD=qemu-virt ...
#
# Programs linked for the board need -nostdlib (and their own linker script and entry
# point): nothing here assumes a C library.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_idmap_triple aarch64-none-elf)
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET ${_idmap_triple})
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_CXX_COMPILER_TARGET ${_idmap_triple})
set(CMAKE_ASM_COMPILER clang)
set(CMAKE_ASM_COMPILER_TARGET ${_idmap_triple})
# LLVM's archiver and linker: the GNU ones may not know AArch64 on this host.
find_program(CMAKE_AR llvm-ar)
find_program(CMAKE_RANLIB llvm-ranlib)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
# No C library to link a test program against: check the compilers with a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
