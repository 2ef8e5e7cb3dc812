// SPDX-License-Identifier: MIT
/*
 * COM1, a 16550-compatible UART at I/O port 0x3f8: 115200 baud, 8N1, FIFOs
 * on, polled. The console is the hypervisor's only output, so it is kept
 * dead simple and works before anything else is set up.
 */
#include <arch/io.h>
#include <hv/console.h>

#define COM1_BASE	0x3f8
#define UART_THR	0	/* transmit holding (DLAB=0) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable (DLAB=0) */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_FCR	2	/* FIFO control */
# define UART_FCR_ENABLE_CLEAR	0x07
#define UART_LCR	3	/* line control */
# define UART_LCR_8N1	0x03
# define UART_LCR_DLAB	0x80
#define UART_MCR	4	/* modem control */
# define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR	5	/* line status */
# define UART_LSR_THRE	0x20
# define UART_LSR_TEMT	0x40	/* transmitter completely empty */

#define UART_CLOCK	115200	/* divisor 1 */

void serial_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, (UART_CLOCK / 115200) & 0xff);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_8N1);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART must not hang the hypervisor. */
	for (unsigned int spins = 0; spins < 100000; spins++)
		if (inb(COM1_BASE + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void serial_flush(void)
{
	for (unsigned int spins = 0; spins < 1000000; spins++)
		if (inb(COM1_BASE + UART_LSR) & UART_LSR_TEMT)
			break;
}
