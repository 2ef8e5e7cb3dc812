// SPDX-License-Identifier: MIT
/*
 * printf-style formatting, the one implementation behind the console, panic
 * messages and (later) VM console tags. Pure logic: it is unit-tested on the
 * host against the C library's snprintf.
 */
#include <hv/format.h>

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters produced so far, including dropped ones */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

enum {
	F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16,
};

/*
 * Emit an integer: sign, prefix ("0x"), zero padding to the precision, then
 * the digits, padded to the field width on the left or the right.
 */
static void put_number(struct out *o, uint64_t v, bool negative, unsigned base,
		       bool upper, int flags, int width, int prec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	bool zero = v == 0;

	if (!(prec == 0 && zero)) {
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);
	}

	char sign = 0;
	if (negative)
		sign = '-';
	else if (flags & F_PLUS)
		sign = '+';
	else if (flags & F_SPACE)
		sign = ' ';

	const char *prefix = "";
	if ((flags & F_ALT) && base == 16 && !zero)
		prefix = upper ? "0X" : "0x";
	if ((flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0') && prec <= n)
		prefix = "0";
	int prefix_len = prefix[0] ? (prefix[1] ? 2 : 1) : 0;

	int zeros = prec > n ? prec - n : 0;
	int body = (sign ? 1 : 0) + prefix_len + zeros + n;

	if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > body) {
		zeros += width - body;
		body = width;
	}
	if (!(flags & F_LEFT))
		pad(o, ' ', width - body);
	if (sign)
		put(o, sign);
	for (int i = 0; i < prefix_len; i++)
		put(o, prefix[i]);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (flags & F_LEFT)
		pad(o, ' ', width - body);
}

static void put_string(struct out *o, const char *s, int flags, int width, int prec)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (prec < 0 || n < prec))
		n++;
	if (!(flags & F_LEFT))
		pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (flags & F_LEFT)
		pad(o, ' ', width - n);
}

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF, L_MAX };

static uint64_t fetch_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:	return (unsigned char)va_arg(*ap, unsigned int);
	case L_SHORT:	return (unsigned short)va_arg(*ap, unsigned int);
	case L_LONG:	return va_arg(*ap, unsigned long);
	case L_LLONG:	return va_arg(*ap, unsigned long long);
	case L_SIZE:	return va_arg(*ap, size_t);
	case L_PTRDIFF:	return (uint64_t)va_arg(*ap, ptrdiff_t);
	case L_MAX:	return va_arg(*ap, uintmax_t);
	default:	return va_arg(*ap, unsigned int);
	}
}

static int64_t fetch_signed(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:	return (signed char)va_arg(*ap, int);
	case L_SHORT:	return (short)va_arg(*ap, int);
	case L_LONG:	return va_arg(*ap, long);
	case L_LLONG:	return va_arg(*ap, long long);
	case L_SIZE:	return (int64_t)va_arg(*ap, size_t);
	case L_PTRDIFF:	return va_arg(*ap, ptrdiff_t);
	case L_MAX:	return va_arg(*ap, intmax_t);
	default:	return va_arg(*ap, int);
	}
}

int vformat(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		const char *start = fmt;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;

		int flags = 0;
		for (;; fmt++) {
			if (*fmt == '-')	flags |= F_LEFT;
			else if (*fmt == '0')	flags |= F_ZERO;
			else if (*fmt == '+')	flags |= F_PLUS;
			else if (*fmt == ' ')	flags |= F_SPACE;
			else if (*fmt == '#')	flags |= F_ALT;
			else			break;
		}

		int width = 0;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}

		int prec = -1;
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}

		enum length len = L_INT;
		switch (*fmt) {
		case 'h':
			len = L_SHORT;
			if (*++fmt == 'h') {
				len = L_CHAR;
				fmt++;
			}
			break;
		case 'l':
			len = L_LONG;
			if (*++fmt == 'l') {
				len = L_LLONG;
				fmt++;
			}
			break;
		case 'z': len = L_SIZE; fmt++; break;
		case 't': len = L_PTRDIFF; fmt++; break;
		case 'j': len = L_MAX; fmt++; break;
		default: break;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = fetch_signed(&ap, len);
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			put_number(&o, mag, v < 0, 10, false, flags, width, prec);
			break;
		}
		case 'u':
			put_number(&o, fetch_unsigned(&ap, len), false, 10, false, flags, width, prec);
			break;
		case 'x':
		case 'X':
			put_number(&o, fetch_unsigned(&ap, len), false, 16, *fmt == 'X',
				   flags & ~(F_PLUS | F_SPACE), width, prec);
			break;
		case 'o':
			put_number(&o, fetch_unsigned(&ap, len), false, 8, false,
				   flags & ~(F_PLUS | F_SPACE), width, prec);
			break;
		case 'p':
			put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false,
				   F_ALT | (flags & F_LEFT), width, prec);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - 1);
			put(&o, c);
			if (flags & F_LEFT)
				pad(&o, ' ', width - 1);
			break;
		}
		case 's':
			put_string(&o, va_arg(ap, const char *), flags, width, prec);
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown conversion: copy it through, consume nothing. */
			while (start < fmt)
				put(&o, *start++);
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
			break;
		}
		fmt++;
	}
	va_end(ap);

	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}

int format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	/* The largest unit that shows the size exactly. */
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	if (u)
		format(buf, size, "%llu %s", (unsigned long long)bytes, units[u]);
	else	/* not whole KiB: small counts in decimal, odd large ones in hex */
		format(buf, size, bytes < 1024 ? "%llu bytes" : "%#llx bytes", (unsigned long long)bytes);
	return buf;
}

int format_reject(char *why, size_t why_size, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && why_size) {
		va_start(ap, fmt);
		vformat(why, why_size, fmt, ap);
		va_end(ap);
	}
	return err;
}
