/*
 * printf and friends. One formatter (format()) writes through a struct out
 * that either fills a caller's buffer (snprintf) or batches bytes for the
 * console (printf). Integers are converted without division for hex and with
 * gcc's multiply-by-reciprocal for decimal: CPL0 code may run in KVM's
 * instruction emulator, where every instruction counts.
 */
#include "printf.h"
#include "console.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
	char *buf;
	size_t cap;      /* bytes buf may hold (snprintf: size - 1, room for NUL) */
	size_t len;      /* bytes in buf */
	size_t total;    /* bytes the output has, stored or not */
	bool console;    /* flush full chunks to the console instead of dropping */
};

struct spec {
	bool left, zero, plus, space, alt;
	int width;       /* 0: none */
	int prec;        /* -1: none */
	int size;        /* integer argument size in bytes */
};

static void flush(struct out *o)
{
	if (o->len)
		console_write(o->buf, o->len);
	o->len = 0;
}

/*
 * Byte-string work as single rep instructions. In KVM's instruction
 * emulator a rep iteration costs about what one decoded instruction does,
 * where a byte loop spends 4-5 instructions a byte: measured 4-5x faster
 * for scans and copies, and no slower even for one byte.
 */
static void copy_bytes(char *d, const char *s, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
}

static void fill_bytes(char *d, char c, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
}

/* The first c in s[0, n), or s + n. */
static const char *find_byte(const char *s, char c, size_t n)
{
	const char *p = s;
	bool found;

	if (!n)
		return s;   /* rep with RCX = 0 leaves ZF stale */
	__asm__ volatile("repne scasb"
			 : "+D"(p), "+c"(n), "=@ccz"(found)
			 : "a"(c) : "memory");
	return found ? p - 1 : p;   /* not found: p = s + n */
}

/* How many of n bytes fit in buf now; the console flushes to make room. */
static size_t room(struct out *o, size_t n)
{
	size_t r = o->cap - o->len;

	if (o->console && n > r) {
		flush(o);
		r = o->cap;
	}
	return n < r ? n : r;
}

/* Append n bytes; snprintf keeps the prefix that fits. A console chunk too
 * big to batch goes out directly (after what is queued): one write, not many. */
static void emit(struct out *o, const char *s, size_t n)
{
	o->total += n;
	if (o->console && n >= o->cap) {
		flush(o);
		console_write(s, n);
		return;
	}
	n = room(o, n);
	copy_bytes(o->buf + o->len, s, n);
	o->len += n;
}

static void emit_pad(struct out *o, char c, int n)
{
	if (n <= 0)
		return;
	o->total += (size_t)n;
	while (n > 0) {
		size_t k = room(o, (size_t)n);
		if (!k)
			return;     /* snprintf buffer full */
		fill_bytes(o->buf + o->len, c, k);
		o->len += k;
		n -= (int)k;
	}
}

/* Width padding around a body of n bytes: before it unless left-justified. */
static void pad_before(struct out *o, const struct spec *sp, int n)
{
	if (!sp->left)
		emit_pad(o, ' ', sp->width - n);
}

static void pad_after(struct out *o, const struct spec *sp, int n)
{
	if (sp->left)
		emit_pad(o, ' ', sp->width - n);
}

/* Digits of v in base 10 or 16, written backwards from end; returns count. */
static int to_digits(uint64_t v, int base, bool upper, char *end)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		if (base == 16) {
			*--end = dig[v & 15];
			v >>= 4;
		} else {
			*--end = dig[v % 10];
			v /= 10;
		}
		n++;
	} while (v);
	return n;
}

/* An integer: [sign][prefix][zeros][digits], padded to the width. */
static void emit_int(struct out *o, const struct spec *sp, uint64_t v, bool neg,
		     int base, bool upper, const char *prefix)
{
	char digits[24];
	int nd = to_digits(v, base, upper, digits + sizeof(digits));
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	int npre = (sign != 0) + (prefix ? 2 : 0);
	int zeros = 0;

	if (sp->prec >= 0) {
		if (sp->prec == 0 && v == 0)
			nd = 0;         /* C: %.0d of 0 prints no digits */
		if (sp->prec > nd)
			zeros = sp->prec - nd;
	} else if (sp->zero && !sp->left && sp->width > npre + nd) {
		zeros = sp->width - npre - nd;
	}
	int body = npre + zeros + nd;

	pad_before(o, sp, body);
	if (sign)
		emit(o, &sign, 1);
	if (prefix)
		emit(o, prefix, 2);
	emit_pad(o, '0', zeros);
	emit(o, digits + sizeof(digits) - nd, (size_t)nd);
	pad_after(o, sp, body);
}

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t max = sp->prec < 0 ? 0x7fffffff : (size_t)sp->prec;
	int n;

	if (!s)
		s = "(null)";
	n = (int)(find_byte(s, '\0', max) - s);
	pad_before(o, sp, n);
	emit(o, s, (size_t)n);
	pad_after(o, sp, n);
}

static int parse_num(const char **fmt)
{
	int n = 0;
	while (**fmt >= '0' && **fmt <= '9')
		n = n * 10 + (*(*fmt)++ - '0');
	return n;
}

/* Flags, width, precision and length of one conversion; leaves *fmt on the
 * conversion character. */
static void parse_spec(const char **fmt, va_list *ap, struct spec *sp)
{
	const char *f = *fmt;

	*sp = (struct spec){ .prec = -1, .size = sizeof(int) };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		f++;
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
	} else {
		sp->width = parse_num(&f);
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			f++;
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;  /* C: a negative * precision is none */
		} else {
			sp->prec = parse_num(&f);
		}
	}
	if (f[0] == 'h') {
		f++;
		sp->size = sizeof(short);
		if (*f == 'h') {
			f++;
			sp->size = sizeof(char);
		}
	} else if (*f == 'l' || *f == 'z' || *f == 'j' || *f == 't') {
		if (*f == 'l' && f[1] == 'l')
			f++;
		f++;
		sp->size = 8;
	}
	*fmt = f;
}

/* Fetch an integer argument of the spec's size, sign- or zero-extended. */
static uint64_t int_arg(va_list *ap, const struct spec *sp, bool is_signed)
{
	if (sp->size == 8)
		return va_arg(*ap, uint64_t);
	int v = va_arg(*ap, int);   /* char and short arrive promoted to int */
	if (sp->size == 1)
		return is_signed ? (uint64_t)(int64_t)(signed char)v : (unsigned char)v;
	if (sp->size == 2)
		return is_signed ? (uint64_t)(int64_t)(short)v : (unsigned short)v;
	return is_signed ? (uint64_t)(int64_t)v : (unsigned)v;
}

static void conversion(struct out *o, char c, struct spec *sp, va_list *ap)
{
	uint64_t v;
	char ch;

	switch (c) {
	case 'd':
	case 'i':
		v = int_arg(ap, sp, true);
		if ((int64_t)v < 0)   /* 0 - v: also right for INT64_MIN */
			emit_int(o, sp, 0 - v, true, 10, false, NULL);
		else
			emit_int(o, sp, v, false, 10, false, NULL);
		break;
	case 'u':
		emit_int(o, sp, int_arg(ap, sp, false), false, 10, false, NULL);
		break;
	case 'x':
	case 'X':
		v = int_arg(ap, sp, false);
		sp->plus = sp->space = false;
		emit_int(o, sp, v, false, 16, c == 'X',
			 sp->alt && v ? (c == 'X' ? "0X" : "0x") : NULL);
		break;
	case 'p':
		sp->plus = sp->space = false;
		sp->prec = 16;
		emit_int(o, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false, "0x");
		break;
	case 's':
		emit_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		pad_before(o, sp, 1);
		emit(o, &ch, 1);
		pad_after(o, sp, 1);
		break;
	default:
		break;
	}
}

static void format(struct out *o, const char *fmt, va_list ap0)
{
	va_list ap;
	struct spec sp;

	/* A copy, so the helpers can take its address portably. */
	va_copy(ap, ap0);
	const char *end = find_byte(fmt, '\0', ~(size_t)0 >> 1);

	while (fmt < end) {
		const char *pct = find_byte(fmt, '%', (size_t)(end - fmt));
		if (pct > fmt)
			emit(o, fmt, (size_t)(pct - fmt));
		fmt = pct;
		if (fmt == end)
			break;
		const char *start = fmt++;
		if (*fmt == '%') {
			emit(o, fmt++, 1);
			continue;
		}
		parse_spec(&fmt, &ap, &sp);
		switch (*fmt) {
		case 'd': case 'i': case 'u': case 'x': case 'X':
		case 'p': case 's': case 'c':
			conversion(o, *fmt++, &sp, &ap);
			break;
		default:
			/* Unknown or truncated: print it as written. */
			if (*fmt)
				fmt++;
			emit(o, start, (size_t)(fmt - start));
			break;
		}
	}
	va_end(ap);
}

static int clamp_int(size_t n)
{
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .cap = size ? size - 1 : 0 };

	format(&o, fmt, ap);
	if (size)
		buf[o.len] = '\0';
	return clamp_int(o.total);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	char chunk[PRINTF_CHUNK];
	struct out o = { .buf = chunk, .cap = sizeof(chunk), .console = true };

	format(&o, fmt, ap);
	flush(&o);
	return clamp_int(o.total);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
