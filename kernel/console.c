/*
 * The console. Our VMM and QEMU give a 16550 on COM1; Bochs gives the port
 * 0xe9 hack (a read returns 0xe9). The UART driver polls the line status
 * once per 16 bytes: when THRE is set the transmit FIFO is empty and takes
 * 16 bytes, so a VMM pays one status exit per FIFO load, not per byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include "console.h"
#include "hcall.h"
#include "x86.h"
#include "../include/bootinfo.h"
#include "../include/ports.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_THRE 0x20
#define UART_FIFO_BYTES 16

enum console_kind { CONSOLE_UART, CONSOLE_E9, CONSOLE_HC };

static enum console_kind kind = CONSOLE_UART;

static void uart_init(void)
{
	outb(PORT_COM1 + UART_IER, 0x00);
	outb(PORT_COM1 + UART_LCR, 0x80); /* DLAB: set the divisor */
	outb(PORT_COM1 + UART_DLL, 0x01); /* 115200 baud */
	outb(PORT_COM1 + UART_DLM, 0x00);
	outb(PORT_COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(PORT_COM1 + UART_FCR, 0x07); /* FIFOs on and cleared */
	outb(PORT_COM1 + UART_MCR, 0x03);
}

void console_init(const struct boot_info *bi)
{
	/* Our VMM's UART needs no programming, and probing port 0xe9 there
	 * would be an unknown-port error. */
	if (bi->magic == BOOT_MAGIC)
		return;
	if (inb(PORT_E9) == PORT_E9) {
		kind = CONSOLE_E9;
		return;
	}
	uart_init();
}

static void uart_write(const char *s, size_t n)
{
	while (n) {
		while (!(inb(PORT_COM1 + UART_LSR) & LSR_THRE))
			;
		for (int i = 0; i < UART_FIFO_BYTES && n; i++, n--)
			outb(PORT_COM1 + UART_THR, (uint8_t)*s++);
	}
}

/* Our VMM's CONSOLE_WRITE takes a whole buffer in one exit. */
void console_use_hypercalls(void)
{
	if (hc_available())
		kind = CONSOLE_HC;
}

const char *console_name(void)
{
	static const char *const names[] = {
		[CONSOLE_UART] = "COM1 16550", [CONSOLE_E9] = "port 0xe9",
		[CONSOLE_HC] = "hypercall",
	};
	return names[kind];
}

static void hc_write(const char *s, size_t n)
{
	while (n) {
		int64_t done = hc_console_write(s, n);
		if (done <= 0) {
			/* Refused: say so on the UART, and lose no output. */
			static const char note[] = "\nconsole: HC_CONSOLE_WRITE refused, back to COM1\n";
			kind = CONSOLE_UART;
			uart_write(note, sizeof(note) - 1);
			uart_write(s, n);
			return;
		}
		s += done;
		n -= (size_t)done;
	}
}

void console_write(const char *s, size_t n)
{
	if (kind == CONSOLE_HC) {
		hc_write(s, n);
		return;
	}
	if (kind == CONSOLE_E9) {
		while (n--)
			outb(PORT_E9, (uint8_t)*s++);
		return;
	}
	uart_write(s, n);
}
