/*
 * Prints the GDB stub's register layout as an i8086 target description
 * (vmm/gdb/gdb_regs.c), for reading real-mode code in gdb (docs/gdb.md,
 * "Real mode, protected mode, long mode"): gdb decodes 16-bit code only with that architecture, and
 * takes it only with a description of its name; this one keeps the stub's
 * 'g' layout. make gdb writes it to build/gdb/i8086.xml.
 */
#include <stdio.h>

#include "gdb/gdb.h"

int main(void)
{
	return fputs(gdb_target_xml(true), stdout) < 0;
}
