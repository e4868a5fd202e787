/* Raspberry Pi 3 Model B (BCM2837) memory map. */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_NAME "raspi3b"
#define BOARD_RAM_BASE 0x00000000ULL
#define BOARD_RAM_SIZE 0x3f000000ULL /* 1 GiB less the peripheral window */
#define BOARD_UART_BASE 0x3f201000ULL /* PL011, QEMU's serial0 */
#define BOARD_UART_PL011 1
/* BCM2837 peripherals, then the ARM local peripherals (timers, mailboxes). */
#define BOARD_DEVICE_BASE 0x3f000000ULL
#define BOARD_DEVICE_SIZE 0x01040000ULL

#endif
