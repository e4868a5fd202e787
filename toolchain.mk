# toolchain.mk - which compilers build what.
#
# Included by the Makefile; fragments (examples/*/*.mk, tests/target/*.mk) see and
# should use these names rather than calling compilers by name.
#
# Host (the machine running make; host library, unit tests, C programs):
#   HOST_CC, HOST_CXX, HOST_AR, HOST_NM
# Target (AArch64, bare metal), chosen by LLVM:
#   TARGET_CC, TARGET_CXX, TARGET_LD, TARGET_AR, TARGET_NM, TARGET_SIZE, TARGET_OBJCOPY
#   TARGET_TOOLCHAIN   "gcc" or "llvm"
#   TARGET_TOOLCHAIN_FLAGS  code-generation flags only that compiler has
# Both target toolchains, whatever LLVM says (make test checks each):
#   GCC_TARGET_*, LLVM_TARGET_*   (same suffixes as TARGET_*)
# Every command of a toolchain (what tools/deps.sh installs for it):
#   HOST_COMMANDS, TARGET_COMMANDS, GCC_TARGET_COMMANDS, LLVM_TARGET_COMMANDS
# The emulator: QEMU (default qemu-system-aarch64; tests/target/qemu-run.sh runs it)
#
# Knobs:
#   CROSS_COMPILE=prefix  GNU cross prefix. If not given: aarch64-none-elf- when
#                         aarch64-none-elf-gcc is on PATH (Arm GNU Toolchain), else
#                         aarch64-linux-gnu- (Debian's g++-aarch64-linux-gnu).
#   LLVM=1                target builds use clang --target=aarch64-none-elf and ld.lld
#                         (LLVM=0 or empty: GNU).

ifndef CROSS_COMPILE
CROSS_COMPILE := $(if $(shell command -v aarch64-none-elf-gcc 2>/dev/null),aarch64-none-elf-,aarch64-linux-gnu-)
endif

HOST_CC  ?= cc
HOST_CXX ?= c++
HOST_AR  ?= ar
HOST_NM  ?= nm

LLVM_TRIPLE := aarch64-none-elf

GCC_TARGET_CC      := $(CROSS_COMPILE)gcc
GCC_TARGET_CXX     := $(CROSS_COMPILE)g++
GCC_TARGET_LD      := $(CROSS_COMPILE)ld
GCC_TARGET_AR      := $(CROSS_COMPILE)ar
GCC_TARGET_NM      := $(CROSS_COMPILE)nm
GCC_TARGET_SIZE    := $(CROSS_COMPILE)size
GCC_TARGET_OBJCOPY := $(CROSS_COMPILE)objcopy

LLVM_TARGET_CC      := clang --target=$(LLVM_TRIPLE)
LLVM_TARGET_CXX     := clang++ --target=$(LLVM_TRIPLE)
LLVM_TARGET_LD      := ld.lld
LLVM_TARGET_AR      := llvm-ar
LLVM_TARGET_NM      := llvm-nm
LLVM_TARGET_SIZE    := llvm-size
LLVM_TARGET_OBJCOPY := llvm-objcopy

HOST_COMMANDS        := $(HOST_CC) $(HOST_CXX) $(HOST_AR) $(HOST_NM)
GCC_TARGET_COMMANDS  := $(GCC_TARGET_CC) $(GCC_TARGET_CXX) $(GCC_TARGET_LD) $(GCC_TARGET_AR) \
	$(GCC_TARGET_NM) $(GCC_TARGET_SIZE) $(GCC_TARGET_OBJCOPY)
LLVM_TARGET_COMMANDS := $(LLVM_TARGET_CC) $(LLVM_TARGET_CXX) $(LLVM_TARGET_LD) $(LLVM_TARGET_AR) \
	$(LLVM_TARGET_NM) $(LLVM_TARGET_SIZE) $(LLVM_TARGET_OBJCOPY)
QEMU ?= qemu-system-aarch64

ifeq ($(strip $(LLVM)),1)
TARGET_TOOLCHAIN := llvm
else ifneq ($(filter-out 0,$(strip $(LLVM))),)
$(error LLVM must be 1, 0 or empty, not '$(LLVM)')
else
TARGET_TOOLCHAIN := gcc
endif

# Flags only one compiler knows (GCC): -mno-outline-atomics, no calls to libgcc's
# __aarch64_* atomics helpers; -fno-tree-loop-distribute-patterns, no loops turned
# into memset/memcpy calls.
GCC_TARGET_TOOLCHAIN_FLAGS  := -mno-outline-atomics -fno-tree-loop-distribute-patterns
LLVM_TARGET_TOOLCHAIN_FLAGS :=

ifeq ($(TARGET_TOOLCHAIN),llvm)
TARGET_CC      := $(LLVM_TARGET_CC)
TARGET_CXX     := $(LLVM_TARGET_CXX)
TARGET_LD      := $(LLVM_TARGET_LD)
TARGET_AR      := $(LLVM_TARGET_AR)
TARGET_NM      := $(LLVM_TARGET_NM)
TARGET_SIZE    := $(LLVM_TARGET_SIZE)
TARGET_OBJCOPY := $(LLVM_TARGET_OBJCOPY)
TARGET_TOOLCHAIN_FLAGS := $(LLVM_TARGET_TOOLCHAIN_FLAGS)
TARGET_COMMANDS := $(LLVM_TARGET_COMMANDS)
else
TARGET_CC      := $(GCC_TARGET_CC)
TARGET_CXX     := $(GCC_TARGET_CXX)
TARGET_LD      := $(GCC_TARGET_LD)
TARGET_AR      := $(GCC_TARGET_AR)
TARGET_NM      := $(GCC_TARGET_NM)
TARGET_SIZE    := $(GCC_TARGET_SIZE)
TARGET_OBJCOPY := $(GCC_TARGET_OBJCOPY)
TARGET_TOOLCHAIN_FLAGS := $(GCC_TARGET_TOOLCHAIN_FLAGS)
TARGET_COMMANDS := $(GCC_TARGET_COMMANDS)
endif

# Flags for linking a bare-metal image with $(TARGET_LD) directly (add -T script.ld,
# -e entry, objects, then the library). Both GNU ld and ld.lld accept these.
TARGET_LDFLAGS := -static -nostdlib --build-id=none --gc-sections

export CROSS_COMPILE LLVM_TRIPLE TARGET_TOOLCHAIN QEMU
export HOST_CC HOST_CXX HOST_AR HOST_NM
export TARGET_CC TARGET_CXX TARGET_LD TARGET_AR TARGET_NM TARGET_SIZE TARGET_OBJCOPY
