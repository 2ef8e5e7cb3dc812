/* SPDX-License-Identifier: MIT */
/*
 * The guest console: printf-style output through HC_CONSOLE_WRITE, line
 * buffered (linebuf.h), formatted by the hypervisor's own formatter
 * (hypervisor/lib/format.c, compiled into the runtime: hv/format.h lists the
 * conversions). The hypervisor tags each line with the VM's name.
 *
 * gprintf() may be called with interrupts on or off, and from interrupt
 * handlers: it keeps interrupts off while it touches the buffer.
 */
#ifndef RUNTIME_CONSOLE_H
#define RUNTIME_CONSOLE_H

#include <hv/format.h>
#include <hv/types.h>

/* Returns the length of the formatted text. A message longer than
 * HC_CONSOLE_MAX is cut there and says so. */
int gprintf(const char *fmt, ...) __printf(1, 2);
int gvprintf(const char *fmt, va_list ap);

/* Unformatted text, buffered like gprintf. */
void console_write(const char *s, size_t n);

/* Send a buffered unfinished line now. */
void console_flush(void);

/* HC_CONSOLE_WRITE calls that failed (the console gives no other sign). */
uint64_t console_error_count(void);

/*
 * For the exception path and fatal errors: flush what is buffered, then
 * format into a buffer on the stack and write it at once, bypassing the
 * line buffer (which the failing code may have been in the middle of).
 * If no hypercall works at all (both instructions raised #UD), write to
 * the legacy serial port COM1 instead: on bare metal or a plain emulator
 * that is visible, and under uhv the port access stops the VM with a
 * containment message, which is visible too.
 */
void console_emergency(const char *fmt, ...) __printf(1, 2);

#endif /* RUNTIME_CONSOLE_H */
