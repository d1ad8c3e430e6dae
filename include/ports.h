/*
 * I/O ports the guest uses, and what answers them in each world.
 * Shared by guest and VMM.
 */
#ifndef PORTS_H
#define PORTS_H

#define PORT_COM1          0x3f8  /* 16550 UART: VMM, QEMU (-serial stdio) */
#define PORT_POST          0x80   /* boot stage markers (bootinfo.h STAGE_*) */
#define PORT_HC_DOORBELL   0x500  /* out dx, eax: GPA of a hypercall block */
#define PORT_VMM_EXIT      0x501  /* out dx, eax: exit status (our VMM) */
#define PORT_VMM_NULL      0x502  /* out: the VMM does nothing (raw-exit baseline) */
#define PORT_QEMU_EXIT     0xf4   /* isa-debug-exit: QEMU exits (v << 1) | 1 */
#define PORT_E9            0xe9   /* Bochs port_e9_hack console; reads 0xe9 */
#define PORT_BOCHS_POWER   0x8900 /* "Shutdown" written byte by byte: power off */

/* Exit statuses (docs/vmm.md): 0 ok, 1-122 the guest's, and these. */
#define EXIT_GUEST_CRASH   123    /* triple fault, unhandled exception, abort */
#define EXIT_TIMEOUT       124
#define EXIT_VMM_FAILED    125

#endif
