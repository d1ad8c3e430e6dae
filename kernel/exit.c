/* Ending the run, in whichever world we are. */
#include "exit.h"
#include "stamp.h"
#include "x86.h"
#include "../include/ports.h"

void guest_exit(int status)
{
	boot_stamp(BOOT_STAMP_EXIT);
	outl(PORT_VMM_EXIT, (uint32_t)status);   /* our VMM */
	outl(PORT_QEMU_EXIT, (uint32_t)status);  /* QEMU isa-debug-exit */
	for (const char *p = "Shutdown"; *p; p++) /* Bochs power off */
		outb(PORT_BOCHS_POWER, (uint8_t)*p);
	halt_forever();
}
