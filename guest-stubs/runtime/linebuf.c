// SPDX-License-Identifier: MIT
/* Console line buffering (linebuf.h). */
#include "linebuf.h"

static void emit(struct linebuf *lb, size_t n)
{
	if (!n)
		return;
	lb->sink(lb->buf, n);
	for (size_t i = n; i < lb->len; i++)
		lb->buf[i - n] = lb->buf[i];
	lb->len -= n;
}

void linebuf_write(struct linebuf *lb, const char *s, size_t n)
{
	bool newline = false;

	for (size_t i = 0; i < n; i++) {
		if (lb->len == LINEBUF_SIZE) {
			emit(lb, lb->len);
			newline = false;
		}
		lb->buf[lb->len++] = s[i];
		if (s[i] == '\n')
			newline = true;
	}
	if (!newline)
		return;

	size_t end = lb->len;
	while (lb->buf[end - 1] != '\n')
		end--;
	emit(lb, end);
}

void linebuf_flush(struct linebuf *lb)
{
	emit(lb, lb->len);
}
