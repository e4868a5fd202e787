# QEMU "virt" machine, Cortex-A57 (or -cpu max). Entered at EL1; EL2 with
# virtualization=on, EL3 with secure=on (shared/notes/qemu.md).
BOARD_CPU_FLAGS  := -mcpu=cortex-a57
# Table pages in the library's static pool and idmap_t handles for idmap_new().
BOARD_POOL_PAGES := 256
BOARD_MAX_MAPS   := 8
# Where images are linked and loaded (the DTB QEMU places at 0x40000000 stays clear).
BOARD_LOAD_ADDR  := 0x40200000
QEMU_MACHINE     := -M virt -cpu cortex-a57
