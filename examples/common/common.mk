# examples/common/common.mk - how a bare-metal image is built from the runtime in
# examples/common/, one program's sources, the board's linker script and libidmap.a.
# Included by the top-level Makefile (and by the other fragments, which need it first;
# the guard makes the second inclusion a no-op).
#
# With BOARD set, $(call bm_image,NAME,DIR,SOURCES,CPPFLAGS[,LOAD_ADDR]) defines the rules
# for DIR/NAME.elf (and DIR/NAME.map): every source of the runtime and SOURCES (C, assembly
# or C++) compiled into DIR/obj/, linked with $(TARGET_LD) against $(LIB) and nothing
# else, at LOAD_ADDR (default the board's BOARD_LOAD_ADDR).

ifndef BM_COMMON_MK
BM_COMMON_MK := 1

BM_COMMON_DIR  := examples/common
BM_COMMON_SRCS := $(addprefix $(BM_COMMON_DIR)/,start.S vectors.S uart.c print.c runtime.c libc.c)
BM_STACK_SIZE  := 0x10000
# What the programs that start Linux share (run-linux's loader, run-hypervisor's
# hypervisor): the devicetree reader and the kernel's placement.
BM_LINUX_SRCS  := $(addprefix $(BM_COMMON_DIR)/,fdt.c linux_boot.c)
# The runtime's program headers and sections, included by every image's linker script
# (-I$(BM_COMMON_DIR)).
BM_LD_SECTIONS := $(BM_COMMON_DIR)/image-phdrs.ld.h $(BM_COMMON_DIR)/image-sections.ld.h
# The board of `make run` and friends when no BOARD is given.
BM_DEFAULT_BOARD := qemu-virt
# Seconds a QEMU run may take before it is killed and reported as hung.
QEMU_TIMEOUT ?= 60
BM_QEMU_RUN := tests/target/qemu-run.sh

ifneq ($(strip $(BOARD)),)
# Code runs with the MMU off at first: -mstrict-align and -mgeneral-regs-only are in
# TARGET_CFLAGS already; add no PIE and no stack protector (no runtime for either).
BM_CFLAGS  = $(TARGET_CFLAGS) -fno-pie -fno-stack-protector $(BOARD_INCLUDES) -I$(BM_COMMON_DIR)
BM_ASFLAGS = $(TARGET_ASFLAGS) $(BOARD_INCLUDES) -I$(BM_COMMON_DIR)
# C++ gets the library's own freestanding flags, and its headers.
BM_CXXFLAGS = $(TARGET_CXXFLAGS) -fno-pie -fno-stack-protector $(BOARD_INCLUDES) -I$(BM_COMMON_DIR) -Iinclude

# $(call bm_image,name,build-dir,sources,cppflags[,load address])
define bm_image
$(2)/obj/%.c.o: %.c $(2)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,CC,$$<)$$(TARGET_CC) $$(BM_CFLAGS) $(4) $$(if $$(filter $(BM_COMMON_DIR)/libc.c,$$<),-fno-builtin) -MMD -MP -c $$< -o $$@

$(2)/obj/%.S.o: %.S $(2)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,AS,$$<)$$(TARGET_CC) $$(BM_ASFLAGS) $(4) -MMD -MP -c $$< -o $$@

$(2)/obj/%.cpp.o: %.cpp $(2)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,CXX,$$<)$$(TARGET_CXX) $$(BM_CXXFLAGS) $(4) -MMD -MP -c $$< -o $$@

$(2)/image.ld: $(BM_COMMON_DIR)/image.ld.S $(BM_LD_SECTIONS) $(2)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,LDS,$$@)$$(TARGET_CC) -E -P -undef -x c -DLOAD_ADDR=$(or $(5),$$(BOARD_LOAD_ADDR)) -DSTACK_SIZE=$(BM_STACK_SIZE) $(4) $$< -o $$@

$(2)/$(1).elf: $(call objs,$(2),$(BM_COMMON_SRCS) $(3)) $(2)/image.ld $$(LIB)
	$$(call quiet,LD,$$@)$$(TARGET_LD) $$(TARGET_LDFLAGS) -T $(2)/image.ld -Map $(2)/$(1).map -o $$@ $(call objs,$(2),$(BM_COMMON_SRCS) $(3)) $$(LIB)

$(2)/flags.stamp: FORCE | $$(call needs,$$(TARGET_COMMANDS))
	@mkdir -p $$(@D)
	@printf '%s\n' '$$(TARGET_CC) $$(BM_CFLAGS) $(4)' '$$(TARGET_CXX) $$(BM_CXXFLAGS) $(4)' '$$(TARGET_LD) $$(TARGET_LDFLAGS)' | \
		cmp -s - $$@ || \
		printf '%s\n' '$$(TARGET_CC) $$(BM_CFLAGS) $(4)' '$$(TARGET_CXX) $$(BM_CXXFLAGS) $(4)' '$$(TARGET_LD) $$(TARGET_LDFLAGS)' > $$@

-include $(patsubst %.o,%.d,$(call objs,$(2),$(BM_COMMON_SRCS) $(3)))
endef
endif

endif
