/*
 * uart.c - polled transmit on the board's console UART (board.h says which):
 * Arm PL011 (qemu-virt, raspi3b) or Cadence UART (xlnx-zcu102).
 */
#include "bm.h"
#include "board.h"

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#if defined(BOARD_UART_PL011)
/* PL011 TRM (DDI 0183): UARTDR +0x00, UARTFR +0x18 with TXFF bit 5. */
#define UART_DR (BOARD_UART_BASE + 0x00)
#define UART_FR (BOARD_UART_BASE + 0x18)
#define UART_FR_TXFF (1u << 5)

void bm_uart_init(void)
{
    /* QEMU's PL011 transmits without set-up; firmware on hardware has set it up. */
}

static void uart_tx(char c)
{
    while (REG32(UART_FR) & UART_FR_TXFF) {
    }
    REG32(UART_DR) = (uint8_t)c;
}
#elif defined(BOARD_UART_CADENCE)
/* Zynq UltraScale+ TRM (UG1085), UART: CR +0x00, SR +0x2C with TXFULL bit 4,
 * FIFO +0x30. CR = TX_EN | RX_EN (0x14): QEMU drops characters until TX is enabled. */
#define UART_CR (BOARD_UART_BASE + 0x00)
#define UART_SR (BOARD_UART_BASE + 0x2c)
#define UART_FIFO (BOARD_UART_BASE + 0x30)
#define UART_SR_TXFULL (1u << 4)

void bm_uart_init(void)
{
    REG32(UART_CR) = 0x14;
}

static void uart_tx(char c)
{
    while (REG32(UART_SR) & UART_SR_TXFULL) {
    }
    REG32(UART_FIFO) = (uint8_t)c;
}
#else
#error "board.h names no console UART (BOARD_UART_PL011 or BOARD_UART_CADENCE)"
#endif

void bm_putc(char c)
{
    uart_tx(c);
}

void bm_write(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        uart_tx(text[i]);
}

void bm_puts(const char *text)
{
    while (*text)
        uart_tx(*text++);
}

void bm_console_write(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    bm_write(text, len);
}
