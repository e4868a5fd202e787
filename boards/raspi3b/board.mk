# Raspberry Pi 3 Model B, Cortex-A53. QEMU enters at EL3 with all four cores.
BOARD_CPU_FLAGS  := -mcpu=cortex-a53
BOARD_POOL_PAGES := 256
BOARD_MAX_MAPS   := 8
BOARD_LOAD_ADDR  := 0x80000
QEMU_MACHINE     := -M raspi3b
