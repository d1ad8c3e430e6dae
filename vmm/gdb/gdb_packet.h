/*
 * The GDB remote serial protocol's framing and argument syntax
 * (gdb_packet.c): bytes from the client in, packets and events out; packets
 * framed with their checksum; hex numbers and "addr,len" arguments parsed
 * with every bound checked. Free of KVM and sockets, so the libFuzzer
 * harness (tests/fuzz/fuzz_gdb.c) links it alone.
 */
#ifndef GDB_PACKET_H
#define GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet payload either side sends: qSupported says so
 * (PacketSize, in hex). Memory replies are hex, two characters a byte. */
#define GDB_PACKET_MAX 4096
#define GDB_MEM_MAX    (GDB_PACKET_MAX / 2)

enum gdb_rx_event {
	GDB_RX_NONE,         /* nothing complete yet */
	GDB_RX_PACKET,       /* rx->buf[0 .. rx->len) holds a packet, unescaped */
	GDB_RX_BAD_CHECKSUM, /* a packet whose checksum does not match: NAK it */
	GDB_RX_OVERSIZE,     /* a packet longer than GDB_PACKET_MAX: NAK it */
	GDB_RX_INTERRUPT,    /* 0x03 outside a packet: Ctrl-C */
	GDB_RX_ACK,          /* '+' */
	GDB_RX_NAK,          /* '-': resend the last reply */
};

struct gdb_rx {
	enum { RX_IDLE, RX_DATA, RX_ESCAPE, RX_SUM_HI, RX_SUM_LO } state;
	uint8_t sum, want;        /* checksum of the bytes seen; the one sent */
	bool oversize;
	size_t len;
	char buf[GDB_PACKET_MAX + 1]; /* + a NUL, so commands may use string calls */
};

/* Feed one byte; an event other than NONE ends a packet or is a byte of
 * its own. Bytes outside packets other than +, - and 0x03 are ignored. */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* "$payload#xx" into out (escaping $ # } *), its length; 0 if it does not
 * fit in cap. */
size_t gdb_frame(char *out, size_t cap, const char *payload, size_t len);

/* Hex: digits to a value (at most 16 digits, none is an error); bytes to
 * two lowercase digits each; 2n digits to n bytes. Each returns false (or
 * leaves *p alone) on anything malformed. */
int gdb_hex_digit(char c);
bool gdb_parse_hex(const char **p, const char *end, uint64_t *v);
void gdb_hex_encode(char *out, const uint8_t *in, size_t n);
bool gdb_hex_decode(uint8_t *out, const char *in, size_t n);

/* "ADDR,LEN" at *p (then *p past it): a memory range that does not wrap
 * past 2^64 and is at most max bytes long. */
bool gdb_parse_range(const char **p, const char *end, size_t max, uint64_t *addr,
		     uint64_t *len);

#endif
