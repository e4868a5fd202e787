# Xilinx ZynqMP ZCU102, Cortex-A53. QEMU runs only CPU0, at EL1 (EL2 with
# virtualization=on, EL3 with secure=on); -cpu is ignored.
BOARD_CPU_FLAGS  := -mcpu=cortex-a53
BOARD_POOL_PAGES := 256
BOARD_MAX_MAPS   := 8
BOARD_LOAD_ADDR  := 0x00100000
QEMU_MACHINE     := -M xlnx-zcu102
