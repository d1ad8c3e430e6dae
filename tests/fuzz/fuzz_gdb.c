/*
 * libFuzzer harness for the GDB stub's packet layer (vmm/gdb/gdb_packet.c):
 * the byte-at-a-time receiver, the reply framer and the argument parsers.
 *
 * Input: bytes as a client would send them, fed to gdb_rx_byte() one at a
 * time. What must hold:
 * - a packet never exceeds GDB_PACKET_MAX and is NUL-terminated;
 * - a packet is reported only with the checksum of the bytes received
 *   (recomputed here from the raw input between '$' and '#');
 * - framing the packet again (gdb_frame) and feeding that to a fresh
 *   receiver gives back exactly the same payload;
 * - "ADDR,LEN" ranges parsed from a packet never wrap past 2^64 and are at
 *   most the asked maximum; hex numbers have at most 16 digits; hex
 *   decoding of what gdb_hex_encode wrote gives the bytes back.
 */
#include <assert.h>
#include <string.h>

#include "gdb/gdb_packet.h"

static void check_args(const char *pkt, size_t len)
{
	const char *end = pkt + len, *p = pkt + (len > 0);
	uint64_t a, n, v;

	if (gdb_parse_range(&p, end, GDB_MEM_MAX, &a, &n)) {
		assert(n <= GDB_MEM_MAX);
		assert(!n || a <= UINT64_MAX - (n - 1));
		assert(p <= end);
	}
	p = pkt;
	if (gdb_parse_hex(&p, end, &v))
		assert(p > pkt && p - pkt <= 16);

	static uint8_t bytes[GDB_PACKET_MAX / 2];
	static char hex[GDB_PACKET_MAX];
	size_t k = len / 2;
	if (gdb_hex_decode(bytes, pkt, k)) {
		gdb_hex_encode(hex, bytes, k);
		for (size_t i = 0; i < 2 * k; i++)
			assert(hex[i] == pkt[i] || (pkt[i] >= 'A' && pkt[i] <= 'F' && hex[i] == pkt[i] + 32));
	}
}

/* The framed reply parses back to the same payload. */
static void round_trip(const char *pkt, size_t len)
{
	static char framed[2 * GDB_PACKET_MAX + 8];
	static struct gdb_rx rx;
	size_t n = gdb_frame(framed, sizeof framed, pkt, len);

	assert(n >= len + 4);
	memset(&rx, 0, sizeof rx);
	enum gdb_rx_event e = GDB_RX_NONE;
	for (size_t i = 0; i < n; i++) {
		e = gdb_rx_byte(&rx, (uint8_t)framed[i]);
		assert(i == n - 1 || e == GDB_RX_NONE);
	}
	assert(e == GDB_RX_PACKET && rx.len == len && !memcmp(rx.buf, pkt, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_rx rx;
	uint8_t raw_sum = 0;
	bool in_packet = false;

	memset(&rx, 0, sizeof rx);
	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];
		/* The raw checksum, by the receiver's state before the byte:
		 * '$' opens a packet outside one; '#' ends its data unless a
		 * '}' escapes it; every data byte counts, escapes included. */
		if (rx.state == RX_IDLE && c == '$') {
			raw_sum = 0;
			in_packet = true;
		} else if (rx.state == RX_DATA && c == '#') {
			/* the checksum digits follow */
		} else if (rx.state == RX_DATA || rx.state == RX_ESCAPE) {
			raw_sum = (uint8_t)(raw_sum + c);
		}
		enum gdb_rx_event e = gdb_rx_byte(&rx, c);
		assert(rx.len <= GDB_PACKET_MAX);
		if (e == GDB_RX_PACKET) {
			assert(in_packet && rx.want == raw_sum);
			assert(rx.buf[rx.len] == 0);
			check_args(rx.buf, rx.len);
			round_trip(rx.buf, rx.len);
		}
		if (e != GDB_RX_NONE)
			in_packet = false;
	}
	return 0;
}
