# idmap.mk - the library's sources, include paths and configuration, for another
# project's build.
#
# This is not a complete Makefile of itself. Instead, it is designed to be easily
# embeddable into other systems of Makefiles, as DTC's libfdt/Makefile.libfdt and
# TF-A's lib/xlat_tables_v2/xlat_tables.mk are: it defines variables and no rules, and
# the including project compiles the sources with its own compiler and flags. Every name
# it defines starts with IDMAP_ or idmap_: the includer's own (V, Q, CC, ...) are left alone.
#
# Set before including it:
#   IDMAP_DIR         (required) this library's root directory, as the includer's
#                     recipes will name it (relative to where make runs, or absolute)
#   IDMAP_HOST        1: a host build (tables from the heap, no system register touched,
#                     src/arch/host); 0 or empty (the default): a board build, no heap
#   IDMAP_POOL_PAGES  board builds: 4 KiB table pages in the static pool that idmap_new()
#                     uses (a decimal number, at least 1; default 256)
#   IDMAP_MAX_MAPS    board builds: idmap_t handles for idmap_new() (decimal, at least 1;
#                     default 8)
# Any other value stops make with an $(error) that says what is wrong.
#
# Defined for the includer:
#   IDMAP_SRCS        the sources of a board build: $(IDMAP_DIR)/src/*.cpp,
#                     $(IDMAP_DIR)/capi/*.cpp and $(IDMAP_DIR)/src/arch/aarch64/*.{cpp,S}
#   IDMAP_HOST_SRCS   the sources of a host build: the same with src/arch/host/*.cpp
#   IDMAP_CORE_SRCS, IDMAP_AARCH64_SRCS, IDMAP_HOST_ARCH_SRCS
#                     the parts of those lists, relative to IDMAP_DIR (as Makefile.libfdt's
#                     LIBFDT_SRCS are), for includers that place objects by source name
#   IDMAP_INCLUDES    -I flags: include/ (the public headers) and src/ (private)
#   IDMAP_CPPFLAGS    IDMAP_INCLUDES and the -D flags of the knobs above; pass them to
#                     every .cpp and .S of the library (and only IDMAP_INCLUDES' include/
#                     to code that uses it: the public headers need no -D). C++ code that
#                     includes the core's headers and is compiled with another -O than
#                     the library (-Os against -O2) also needs -DAARCH64_PAGING_SIZE_BUILD=1
#                     or =0, the library's build (include/aarch64_paging/tuning.hpp), or
#                     it does not link
#   IDMAP_CXXFLAGS    what the sources need from any C++ compiler: C++17, no exceptions,
#                     no RTTI, no thread-safe statics; for a board also -ffreestanding,
#                     -mgeneral-regs-only (no FP/SIMD registers: code may run before they
#                     are enabled) and -mstrict-align (code may run with the MMU off)
#   IDMAP_GCC_CXXFLAGS  add these too when a board build's compiler is GCC: no calls to
#                     libgcc's outline atomics, no loops turned into memset calls (the
#                     library's own memset would call itself)
#   IDMAP_VERSION     "major.minor.patch", read from include/idmap.h
#
# Example (a board build with the includer's GCC cross compiler; with clang, leave out
# $(IDMAP_GCC_CXXFLAGS); see README.md, "In your build"):
#   IDMAP_DIR := third_party/idmap
#   IDMAP_POOL_PAGES := 64
#   include $(IDMAP_DIR)/idmap.mk
#   IDMAP_OBJS := $(patsubst $(IDMAP_DIR)/%,build/idmap/%.o,$(IDMAP_SRCS))
#   build/idmap/%.cpp.o: $(IDMAP_DIR)/%.cpp
#   	$(CXX) $(CXXFLAGS) $(IDMAP_CXXFLAGS) $(IDMAP_GCC_CXXFLAGS) $(IDMAP_CPPFLAGS) -c $< -o $@
#   build/idmap/%.S.o: $(IDMAP_DIR)/%.S
#   	$(CC) $(CFLAGS) $(IDMAP_CPPFLAGS) -c $< -o $@
#
# The library's own Makefile includes this file for its source lists.

ifeq ($(strip $(IDMAP_DIR)),)
$(error idmap.mk: set IDMAP_DIR to the idmap library's root directory before including idmap.mk)
endif
ifneq ($(words $(IDMAP_DIR)),1)
$(error idmap.mk: IDMAP_DIR '$(IDMAP_DIR)' has a space in it; make cannot handle that path)
endif
idmap_dir := $(patsubst %/,%,$(strip $(IDMAP_DIR)))
ifeq ($(wildcard $(idmap_dir)/include/idmap.h),)
$(error idmap.mk: IDMAP_DIR '$(IDMAP_DIR)' has no include/idmap.h; it must name the idmap library's root directory)
endif

# $(call idmap_nondigits,word): what is left of word once the digits are gone.
idmap_nondigits = $(strip $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst \
	5,,$(subst 6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1))))))))))))
# $(call idmap_check_count,VARIABLE,what it is): VARIABLE must be one decimal number >= 1,
# without leading zeros (C would read 010 as octal).
idmap_check_count = $(if $(and $(filter 1,$(words $($(1)))),$(if $(call idmap_nondigits,$($(1))),,1),$(if \
	$(filter 0%,$($(1))),,1)),,$(error \
	idmap.mk: $(1) must be a decimal number of $(2) (at least 1, no leading zero), not '$($(1))'))

IDMAP_HOST ?= 0
ifeq ($(filter 0 1,$(strip $(IDMAP_HOST))),)
ifneq ($(strip $(IDMAP_HOST)),)
$(error idmap.mk: IDMAP_HOST must be 1 (host build), 0 or empty (board build), not '$(IDMAP_HOST)')
endif
endif

idmap_sources = $(patsubst $(idmap_dir)/%,%,$(sort $(wildcard $(addprefix $(idmap_dir)/,$(1)))))

IDMAP_CORE_SRCS      := $(call idmap_sources,src/*.cpp capi/*.cpp)
IDMAP_AARCH64_SRCS   := $(call idmap_sources,src/arch/aarch64/*.cpp src/arch/aarch64/*.S)
IDMAP_HOST_ARCH_SRCS := $(call idmap_sources,src/arch/host/*.cpp)
IDMAP_SRCS      := $(addprefix $(idmap_dir)/,$(IDMAP_CORE_SRCS) $(IDMAP_AARCH64_SRCS))
IDMAP_HOST_SRCS := $(addprefix $(idmap_dir)/,$(IDMAP_CORE_SRCS) $(IDMAP_HOST_ARCH_SRCS))
IDMAP_INCLUDES  := -I$(idmap_dir)/include -I$(idmap_dir)/src

IDMAP_CXXFLAGS     := -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics
IDMAP_GCC_CXXFLAGS :=
ifeq ($(strip $(IDMAP_HOST)),1)
IDMAP_CPPFLAGS := $(IDMAP_INCLUDES) -DIDMAP_HOST=1
else
IDMAP_POOL_PAGES ?= 256
IDMAP_MAX_MAPS   ?= 8
$(call idmap_check_count,IDMAP_POOL_PAGES,4 KiB table pages)
$(call idmap_check_count,IDMAP_MAX_MAPS,idmap_t handles)
IDMAP_CPPFLAGS := $(IDMAP_INCLUDES) -DIDMAP_POOL_PAGES=$(strip $(IDMAP_POOL_PAGES)) \
	-DIDMAP_MAX_MAPS=$(strip $(IDMAP_MAX_MAPS))
IDMAP_CXXFLAGS += -ffreestanding -mgeneral-regs-only -mstrict-align
IDMAP_GCC_CXXFLAGS := -mno-outline-atomics -fno-tree-loop-distribute-patterns
endif

# The version, from the header's IDMAP_VERSION_MAJOR/MINOR/PATCH (the one place it is).
idmap_version_part = $(shell sed -n 's/^\#define IDMAP_VERSION_$(1) \([0-9][0-9]*\).*/\1/p' $(idmap_dir)/include/idmap.h)
IDMAP_VERSION := $(call idmap_version_part,MAJOR).$(call idmap_version_part,MINOR).$(call idmap_version_part,PATCH)
ifneq ($(words $(subst ., ,$(IDMAP_VERSION))),3)
$(error idmap.mk: cannot read IDMAP_VERSION_MAJOR/MINOR/PATCH from $(idmap_dir)/include/idmap.h)
endif
