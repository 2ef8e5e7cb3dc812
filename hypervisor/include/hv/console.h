/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor console: every line on the serial port goes through here.
 *
 * A line reads "[   1.234567] I hv: acpi: found 8 tables": time since boot
 * (blank until the TSC is calibrated), a level letter (E, W, I, D), and the
 * source tag: "hv" for the hypervisor itself, the VM's name for VM output.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/types.h>

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Only messages at or above this importance are printed (default LOG_INFO). */
void console_set_level(enum log_level level);
int console_parse_level(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *src, const char *fmt, ...) __printf(3, 4);
void vlog_msg(enum log_level level, const char *src, const char *fmt, va_list ap);

/* Raw text with no prefix: hex dumps and banners. */
void console_write(const char *s, size_t len);
void console_printf(const char *fmt, ...) __printf(1, 2);

#define pr_err(...)	log_msg(LOG_ERROR, "hv", __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARN, "hv", __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, "hv", __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, "hv", __VA_ARGS__)

/* The platform's output device (the 16550 UART). */
void serial_init(void);
void serial_write(const char *s, size_t len);
/* Wait until every byte has left the UART (before the machine powers off). */
void serial_flush(void);

#endif /* HV_CONSOLE_H */
