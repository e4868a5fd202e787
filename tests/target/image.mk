# tests/target/image.mk - idmap-image (tools/idmap-image/): a board's translation tables
# built at build time from its memory map (boards/<b>/memmap.txt) by the library's core,
# linked into the firmware as an object; the firmware turns the MMU on with no table
# building at run time. Included by the Makefile.
#
#   make idmap-image                  the host tool: build/host/tools/idmap-image
#   make map-svg                      docs/qemu-virt-map.svg, the README's picture of the map
#   make test-image                   every check below, one step each under make test
#   make image-boot BOARD=<b> [LLVM=1]   build only: build/<b>[-llvm]/tests/image/
#                                     absolute/image-boot.elf and relocatable/image-boot.elf,
#                                     and the example, examples/image-boot/image-boot.elf
#   make image-boot-example [BOARD=<b>] [LLVM=1]   boot the example in QEMU (default
#                                     qemu-virt): the MMU on with no table built, no
#                                     libidmap linked (examples/image-boot/main.c)
#
# The checks (make test runs them as part of make test-target, which needs them first):
#   - SHA-256 against the FIPS 180-4 examples;
#   - for every board with a memmap.txt: the tool's image equals, byte for byte, what
#     libidmap.a builds for the same lines with its pages at the same addresses; the
#     relocatable image relocated to other bases equals libidmap.a's built there; the
#     printed SHA-256 is sha256sum's of the image (tests/image/host_check.cpp);
#   - same map, same bytes (.S, image, SHA-256); one attribute changed, another SHA-256;
#   - malformed maps are refused with their file and line;
#   - the SVG is well-formed and docs/qemu-virt-map.svg is what the tool draws now;
#   - in QEMU, on every board with a memmap.txt (qemu-virt also entered at EL2 and EL3),
#     GNU and LLVM builds, each variant boots and checks itself against the hardware and
#     the runtime library (tests/image/boot.c; tests/image/run-qemu.sh).

include examples/common/common.mk

IMAGE_TOOL_DIR := tools/idmap-image
IMAGE_TOOL     := $(HOST_BUILD)/tools/idmap-image
IMAGE_CHECK    := $(HOST_BUILD)/tools/image-host-check
IMAGE_OUT      := $(HOST_BUILD)/tools/out
# The tool's parts but main.cpp: the host check links them too.
IMAGE_PARTS    := $(addprefix $(IMAGE_TOOL_DIR)/,memmap.cpp tables.cpp sha256.cpp assembly.cpp svg.cpp)
IMAGE_TOOL_OBJS  := $(call objs,$(HOST_BUILD)/tools,$(IMAGE_PARTS) $(IMAGE_TOOL_DIR)/main.cpp)
IMAGE_CHECK_OBJS := $(call objs,$(HOST_BUILD)/tools,$(IMAGE_PARTS) tests/image/host_check.cpp)
# A host program with the C++ library; the core's headers as the host library sees them.
IMAGE_TOOL_CXXFLAGS := -std=c++17 -O2 -Wall -Wextra -Werror -DIDMAP_HOST=1 -Iinclude -I$(IMAGE_TOOL_DIR)
IMAGE_BOARDS   := $(patsubst boards/%/memmap.txt,%,$(sort $(wildcard boards/*/memmap.txt)))
IMAGE_SVG      := docs/qemu-virt-map.svg
IMAGE_QEMU_TIMEOUT ?= 20

$(HOST_BUILD)/tools/obj/%.cpp.o: %.cpp tests/target/image.mk | $(call needs,$(HOST_CXX))
	@mkdir -p $(@D)
	$(call quiet,CXX,$<)$(HOST_CXX) $(IMAGE_TOOL_CXXFLAGS) -MMD -MP -c $< -o $@

-include $(patsubst %.o,%.d,$(IMAGE_TOOL_OBJS) $(IMAGE_CHECK_OBJS))

$(IMAGE_TOOL): $(IMAGE_TOOL_OBJS) $(HOST_LIB)
	$(call quiet,LD,$@)$(HOST_CXX) -o $@ $(IMAGE_TOOL_OBJS) $(HOST_LIB)

$(IMAGE_CHECK): $(IMAGE_CHECK_OBJS) $(HOST_LIB)
	$(call quiet,LD,$@)$(HOST_CXX) -o $@ $(IMAGE_CHECK_OBJS) $(HOST_LIB)

.PHONY: idmap-image map-svg test-image image-boot image-boot-example
idmap-image: $(IMAGE_TOOL)

map-svg: $(IMAGE_TOOL)
	$(call quiet,GEN,$(IMAGE_SVG))$(IMAGE_TOOL) --svg $(IMAGE_SVG) boards/qemu-virt/memmap.txt

IMAGE_CHECKS := tests/image/tool_checks.sh $(IMAGE_TOOL) $(IMAGE_CHECK) $(IMAGE_OUT)

test-image: $(call needs,$(HOST_COMMANDS) $(TARGET_TEST_NEEDS))
	@$(RUN_STEP) "idmap-image: SHA-256 of the FIPS 180-4 examples" \
		'$(MAKE) $(PAR) $(IMAGE_CHECK) && $(IMAGE_CHECK) sha256'
	@for b in $(IMAGE_BOARDS); do \
		$(RUN_STEP) "idmap-image: $$b tables = libidmap's at the same addresses (absolute, relocated)" \
			"$(MAKE) $(PAR) $(IMAGE_TOOL) $(IMAGE_CHECK) && $(IMAGE_CHECKS) tables boards/$$b/memmap.txt"; \
	done
	@$(RUN_STEP) "idmap-image: same map, same bytes; one attribute changed, another SHA-256" \
		'$(MAKE) $(PAR) $(IMAGE_TOOL) $(IMAGE_CHECK) && $(IMAGE_CHECKS) determinism boards/qemu-virt/memmap.txt'
	@$(RUN_STEP) "idmap-image: malformed memory maps refused with their line" \
		'$(MAKE) $(PAR) $(IMAGE_TOOL) $(IMAGE_CHECK) && $(IMAGE_CHECKS) bad-maps'
	@$(RUN_STEP) "idmap-image: SVG well-formed, $(IMAGE_SVG) up to date (make map-svg)" \
		'$(MAKE) $(PAR) $(IMAGE_TOOL) $(IMAGE_CHECK) && $(IMAGE_CHECKS) svg boards/qemu-virt/memmap.txt $(IMAGE_SVG)'
	@MAKE="$(MAKE)" RUN_STEP=$(RUN_STEP) QEMU_TIMEOUT=$(IMAGE_QEMU_TIMEOUT) tests/image/run-qemu.sh \
		$(filter $(IMAGE_BOARDS),$(if $(filter command line environment,$(origin BOARD)),$(BOARD),$(BOARDS)))


ifneq ($(strip $(BOARD)),)
IMAGE_BOOT_DIR := $(BUILD)/tests/image
IMAGE_MEMMAP   := $(BOARD_DIR)/memmap.txt
# The memory map's tables address, where the linker script puts .idmap_tables (and
# checks the object's idmap_image_tables_pa against).
IMAGE_TABLES_ADDR = $(shell sed -n 's/^[[:space:]]*tables[[:space:]]\{1,\}\([^[:space:]#]*\).*/\1/p' $(IMAGE_MEMMAP))
IMAGE_BOOT_SRCS := $(BM_COMMON_SRCS) tests/image/boot.c

$(IMAGE_BOOT_DIR)/flags.stamp: FORCE | $(call needs,$(TARGET_COMMANDS))
	@mkdir -p $(@D)
	@printf '%s\n' '$(TARGET_CC) $(BM_CFLAGS)' '$(TARGET_LD) $(TARGET_LDFLAGS)' | cmp -s - $@ || \
		printf '%s\n' '$(TARGET_CC) $(BM_CFLAGS)' '$(TARGET_LD) $(TARGET_LDFLAGS)' > $@

# $(call image_boot,dir,idmap-image options,cppflags,program source,libraries): the
# tables object made with the options, and dir/image-boot.elf booting with it.
define image_boot
$(1)/tables.S: $(IMAGE_MEMMAP) $(IMAGE_TOOL)
	@mkdir -p $$(@D)
	$$(call quiet,GEN,$$@)$(IMAGE_TOOL) $(2) -o $$@ $(IMAGE_MEMMAP)

$(1)/tables.o: $(1)/tables.S $(IMAGE_BOOT_DIR)/flags.stamp
	$$(call quiet,AS,$$<)$$(TARGET_CC) $$(BM_ASFLAGS) -c $$< -o $$@

$(1)/image.ld: tests/image/image.ld.S $(BM_LD_SECTIONS) $(IMAGE_MEMMAP) $(IMAGE_BOOT_DIR)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,LDS,$$@)$$(TARGET_CC) -E -P -undef -x c -I$(BM_COMMON_DIR) -DLOAD_ADDR=$$(BOARD_LOAD_ADDR) -DSTACK_SIZE=$(BM_STACK_SIZE) \
		-DTABLES_ADDR=$$(IMAGE_TABLES_ADDR) $(3) $$< -o $$@

$(1)/obj/%.c.o: %.c $(IMAGE_BOOT_DIR)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,CC,$$<)$$(TARGET_CC) $$(BM_CFLAGS) -I$(IMAGE_TOOL_DIR) $(3) $$(if $$(filter $(BM_COMMON_DIR)/libc.c,$$<),-fno-builtin) -MMD -MP -c $$< -o $$@

$(1)/obj/%.S.o: %.S $(IMAGE_BOOT_DIR)/flags.stamp
	@mkdir -p $$(@D)
	$$(call quiet,AS,$$<)$$(TARGET_CC) $$(BM_ASFLAGS) $(3) -MMD -MP -c $$< -o $$@

$(1)/image-boot.elf: $(call objs,$(1),$(BM_COMMON_SRCS) $(4)) $(1)/tables.o $(1)/image.ld $(5)
	$$(call quiet,LD,$$@)$$(TARGET_LD) $$(TARGET_LDFLAGS) -T $(1)/image.ld -Map $(1)/image-boot.map \
		-o $$@ $(call objs,$(1),$(BM_COMMON_SRCS) $(4)) $(1)/tables.o $(5)

-include $(patsubst %.o,%.d,$(call objs,$(1),$(BM_COMMON_SRCS) $(4)))
endef

# The test, with each variant; it links libidmap.a to compare the tables with the
# library's. The example links no libidmap at all.
$(eval $(call image_boot,$(IMAGE_BOOT_DIR)/absolute,,,tests/image/boot.c,$$(LIB)))
$(eval $(call image_boot,$(IMAGE_BOOT_DIR)/relocatable,--relocatable,-DIMAGE_RELOCATABLE,tests/image/boot.c,$$(LIB)))
$(eval $(call image_boot,$(BUILD)/examples/image-boot,,,examples/image-boot/main.c,))

image-boot: $(IMAGE_BOOT_DIR)/absolute/image-boot.elf $(IMAGE_BOOT_DIR)/relocatable/image-boot.elf \
	$(BUILD)/examples/image-boot/image-boot.elf

image-boot-example: $(call needs,$(TARGET_COMMANDS) $(QEMU)) $(BUILD)/examples/image-boot/image-boot.elf
	@$(BM_QEMU_RUN) --timeout $(QEMU_TIMEOUT) -- $(QEMU_MACHINE) -kernel $(BUILD)/examples/image-boot/image-boot.elf
else
image-boot image-boot-example:
	+@$(MAKE) BOARD=$(BM_DEFAULT_BOARD) $@
endif
