// SPDX-License-Identifier: MIT
/* The guest console (console.h). */
#include "console.h"
#include "cpu.h"
#include "hypercall.h"
#include "linebuf.h"

#define COM1_PORT	0x3f8
#define COM1_LSR	(COM1_PORT + 5)
# define COM1_LSR_THRE	BIT(5)

static uint64_t console_errors;

static void console_sink(const char *s, size_t n)
{
	if (hc_console_write(s, n) != (int64_t)n)
		console_errors++;
}

static struct linebuf console_lb = { .sink = console_sink };

/* Formatting happens here rather than on the stack: HC_CONSOLE_MAX is too much stack. */
static char format_buf[HC_CONSOLE_MAX + 1];

int gvprintf(const char *fmt, va_list ap)
{
	uint64_t flags = irq_save();
	int n = vformat(format_buf, sizeof(format_buf), fmt, ap);
	size_t len = n < 0 ? 0 : MIN((size_t)n, sizeof(format_buf) - 1);

	linebuf_write(&console_lb, format_buf, len);
	if ((size_t)n > len) {
		int cut = format(format_buf, sizeof(format_buf), " [%zu bytes cut]\n", (size_t)n - len);
		linebuf_write(&console_lb, format_buf, (size_t)cut);
	}
	irq_restore(flags);
	return n;
}

int gprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = gvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void console_write(const char *s, size_t n)
{
	uint64_t flags = irq_save();

	linebuf_write(&console_lb, s, n);
	irq_restore(flags);
}

void console_flush(void)
{
	uint64_t flags = irq_save();

	linebuf_flush(&console_lb);
	irq_restore(flags);
}

uint64_t console_error_count(void)
{
	return console_errors;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (unsigned int spin = 0; spin < 100000 && !(inb(COM1_LSR) & COM1_LSR_THRE); spin++)
			cpu_relax();
		outb(COM1_PORT, (uint8_t)s[i]);
	}
}

void console_emergency(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : MIN((size_t)n, sizeof(buf) - 1);

	if (!hc_usable()) {
		serial_write(buf, len);
		return;
	}
	linebuf_flush(&console_lb);
	if (hc_console_write(buf, len) != (int64_t)len)
		console_errors++;
}
