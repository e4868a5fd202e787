/* QEMU "virt" machine memory map (hw/arm/virt.c as shipped with QEMU 7.2). */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_NAME "qemu-virt"
#define BOARD_RAM_BASE 0x40000000ULL
#define BOARD_RAM_SIZE 0x08000000ULL /* 128 MiB, QEMU's default */
#define BOARD_UART_BASE 0x09000000ULL
#define BOARD_UART_PL011 1
/* Devices: GIC, UART, RTC, GPIO, fw_cfg, virtio-mmio: one Device-nGnRE window. */
#define BOARD_DEVICE_BASE 0x08000000ULL
#define BOARD_DEVICE_SIZE 0x02000000ULL

#endif
