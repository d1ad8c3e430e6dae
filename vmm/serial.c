/*
 * COM1, a 16550 UART reduced to what a polling driver needs: THR writes go
 * to the console, LSR always says the transmitter is empty, LCR's DLAB bit
 * switches 0x3f8/0x3f9 to the divisor latch (accepted, ignored), LCR and the
 * scratch register keep their values. Other registers take writes, read 0.
 */
#include "vmm.h"

#define THR 0 /* transmit holding (write, DLAB = 0) */
#define LCR 3 /* line control; bit 7 is DLAB */
#define LSR 5 /* line status */
#define SCR 7 /* scratch */

#define LCR_DLAB     0x80
#define LSR_THRE     0x20 /* transmit holding register empty */
#define LSR_TEMT     0x40 /* transmitter empty */

static uint8_t lcr, scr;

static int com1(struct vm *vm, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	(void)vm;
	/* A wider access touches consecutive registers, one per byte. */
	for (unsigned i = 0; i < size; i++) {
		unsigned reg = (unsigned)(port - PORT_COM1) + i;
		uint8_t *b = &data[i];

		if (out) {
			if (reg == THR && !(lcr & LCR_DLAB))
				console_write(b, 1);
			else if (reg == LCR)
				lcr = *b;
			else if (reg == SCR)
				scr = *b;
		} else {
			*b = reg == LSR ? LSR_THRE | LSR_TEMT : reg == LCR ? lcr : reg == SCR ? scr : 0;
		}
	}
	return RUN_CONTINUE;
}

void serial_register(void)
{
	io_register(PORT_COM1, 8, com1);
}
