#ifndef EXIT_H
#define EXIT_H

/* End the run with a status: our VMM's exit port, QEMU's isa-debug-exit,
 * Bochs' power-off port; whichever world we are in answers. */
void guest_exit(int status) __attribute__((noreturn));

#endif
