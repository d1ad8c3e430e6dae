/*
 * GDB remote protocol framing (GDB manual, "Overview" of the remote
 * protocol): a packet is $payload#cc, cc the two-hex-digit sum of the
 * payload's bytes modulo 256, answered '+' (good) or '-' (send it again).
 * Inside a payload '}' escapes the next byte (XOR 0x20), for binary data;
 * a 0x03 outside any packet is an interrupt. Everything here is bounded
 * by the buffer: a packet that does not fit is reported, never stored.
 */
#include <string.h>

#include "gdb_packet.h"

int gdb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			rx->state = RX_DATA;
			rx->sum = 0;
			rx->len = 0;
			rx->oversize = false;
			return GDB_RX_NONE;
		}
		return c == 0x03 ? GDB_RX_INTERRUPT : c == '+' ? GDB_RX_ACK
			: c == '-' ? GDB_RX_NAK : GDB_RX_NONE;
	case RX_DATA:
	case RX_ESCAPE:
		if (c == '#' && rx->state == RX_DATA) {
			rx->state = RX_SUM_HI;
			return GDB_RX_NONE;
		}
		rx->sum = (uint8_t)(rx->sum + c);
		if (c == '}' && rx->state == RX_DATA) {
			rx->state = RX_ESCAPE;
			return GDB_RX_NONE;
		}
		if (rx->state == RX_ESCAPE)
			c ^= 0x20;
		rx->state = RX_DATA;
		if (rx->len < GDB_PACKET_MAX)
			rx->buf[rx->len++] = (char)c;
		else
			rx->oversize = true;
		return GDB_RX_NONE;
	case RX_SUM_HI:
	case RX_SUM_LO: {
		int d = gdb_hex_digit((char)c);
		if (d < 0) {
			/* Not a checksum digit: a broken packet. */
			rx->state = RX_IDLE;
			return GDB_RX_BAD_CHECKSUM;
		}
		if (rx->state == RX_SUM_HI) {
			rx->want = (uint8_t)(d << 4);
			rx->state = RX_SUM_LO;
			return GDB_RX_NONE;
		}
		rx->want |= (uint8_t)d;
		rx->state = RX_IDLE;
		if (rx->oversize)
			return GDB_RX_OVERSIZE;
		if (rx->want != rx->sum)
			return GDB_RX_BAD_CHECKSUM;
		rx->buf[rx->len] = 0;
		return GDB_RX_PACKET;
	}
	}
	rx->state = RX_IDLE;
	return GDB_RX_NONE;
}

size_t gdb_frame(char *out, size_t cap, const char *payload, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t sum = 0;
	size_t n = 0;

	if (cap < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)payload[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';
		if (n + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

bool gdb_parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0, d;

	while (s < end && (d = gdb_hex_digit(*s)) >= 0) {
		if (++digits > 16)
			return false;
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (!digits)
		return false;
	*p = s;
	*v = x;
	return true;
}

void gdb_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

bool gdb_hex_decode(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hex_digit(in[2 * i]), lo = gdb_hex_digit(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool gdb_parse_range(const char **p, const char *end, size_t max, uint64_t *addr,
		     uint64_t *len)
{
	const char *s = *p;
	uint64_t a, n;

	if (!gdb_parse_hex(&s, end, &a) || s >= end || *s++ != ',' ||
	    !gdb_parse_hex(&s, end, &n))
		return false;
	/* [a, a + n) must end at or below 2^64. */
	if (n > max || (n && a > UINT64_MAX - (n - 1)))
		return false;
	*p = s;
	*addr = a;
	*len = n;
	return true;
}
