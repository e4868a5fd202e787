/* Xilinx ZynqMP (ZCU102) memory map, as QEMU models it. */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_NAME "xlnx-zcu102"
#define BOARD_RAM_BASE 0x00000000ULL
#define BOARD_RAM_SIZE 0x08000000ULL /* 128 MiB of DDR, QEMU's default */
#define BOARD_UART_BASE 0xff000000ULL /* Cadence UART0: write CR = 0x14 to enable TX */
#define BOARD_UART_CADENCE 1
/* The low-power domain peripherals (UARTs, ...) up to the top of the 32-bit space,
 * and the GIC-400 at 0xf9000000. */
#define BOARD_DEVICE_BASE 0xf9000000ULL
#define BOARD_DEVICE_SIZE 0x07000000ULL

#endif
