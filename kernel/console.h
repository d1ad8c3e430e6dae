/* The console: COM1 (our VMM, QEMU) or the port 0xe9 hack (Bochs). */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>

struct boot_info;

void console_init(const struct boot_info *bi);
void console_write(const char *s, size_t n);
const char *console_name(void);
/* Under our VMM: write through HC_CONSOLE_WRITE from now on. */
void console_use_hypercalls(void);

#endif
