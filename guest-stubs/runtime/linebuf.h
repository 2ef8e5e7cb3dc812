/* SPDX-License-Identifier: MIT */
/*
 * Line buffering for the console: text collects until a newline and goes
 * out in as few HC_CONSOLE_WRITE calls as possible, each at most
 * LINEBUF_SIZE (= HC_CONSOLE_MAX) bytes. Pure logic, unit-tested on the
 * host (tests/unit/test_guest_runtime.c).
 */
#ifndef RUNTIME_LINEBUF_H
#define RUNTIME_LINEBUF_H

#include <abi/hypercall.h>
#include <hv/types.h>

#define LINEBUF_SIZE	HC_CONSOLE_MAX

struct linebuf {
	char buf[LINEBUF_SIZE];
	size_t len;
	/* Called with 1..LINEBUF_SIZE bytes. */
	void (*sink)(const char *s, size_t n);
};

/*
 * Append n bytes. When the buffer fills, all of it goes to the sink (a line
 * longer than LINEBUF_SIZE is split there). When this call has completed at
 * least one line, everything up to and including the last newline goes out
 * in one sink call; the unfinished line stays.
 */
void linebuf_write(struct linebuf *lb, const char *s, size_t n);

/* Send whatever is buffered, finished line or not. */
void linebuf_flush(struct linebuf *lb);

#endif /* RUNTIME_LINEBUF_H */
