// SPDX-License-Identifier: MIT
#include <hv/console.h>
#include <hv/format.h>
#include <hv/string.h>
#include <hv/time.h>

static enum log_level console_level = LOG_INFO;
static const char level_letter[] = { 'E', 'W', 'I', 'D' };
static const char *const level_name[] = { "error", "warn", "info", "debug" };

void console_set_level(enum log_level level)
{
	console_level = level;
}

int console_parse_level(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_name); i++) {
		if (!strcmp(name, level_name[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void console_write(const char *s, size_t len)
{
	serial_write(s, len);
}

void console_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

/* A log line's longest text, prefix included; a longer one ends in TRUNCATED. */
#define LOG_LINE_MAX	512
#define TRUNCATED	" [cut]"

void vlog_msg(enum log_level level, const char *src, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = 0;
	uint64_t ns;

	if (level > console_level)
		return;

	if (time_ns_since_boot(&ns))
		n = (size_t)format(line, sizeof(line), "[%5llu.%06llu] ",
				   (unsigned long long)(ns / 1000000000),
				   (unsigned long long)(ns / 1000 % 1000000));
	else
		n = (size_t)format(line, sizeof(line), "[%12s] ", "");
	n += (size_t)format(line + n, sizeof(line) - n, "%c %s: ", level_letter[level], src);
	n += (size_t)vformat(line + n, sizeof(line) - n, fmt, ap);
	if (n > sizeof(line) - 2) {
		/* Say so, and still end the line. */
		n = sizeof(line) - 2;
		memcpy(line + n - (sizeof(TRUNCATED) - 1), TRUNCATED, sizeof(TRUNCATED) - 1);
	}
	line[n++] = '\n';
	console_write(line, n);
}

void log_msg(enum log_level level, const char *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(level, src, fmt, ap);
	va_end(ap);
}
