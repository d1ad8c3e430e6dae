/*
 * The emulated world's one hook outside kernel/views_emul.c: the #UD
 * handler offers every #UD to views_emul_ud() first.
 */
#ifndef VIEWS_EMUL_H
#define VIEWS_EMUL_H

#include <stdbool.h>
#include "trap.h"

/* A #UD at a VMFUNC under our VMM, on a host whose CPU raised it instead
 * of leaving it to the VMM (kvm_intel, kvm_amd): do the switch with
 * HC_VMFUNC and step over the instruction. True if it did; false for any
 * other #UD, or a VMFUNC the VMM refused (a real #UD for the guest). */
bool views_emul_ud(struct trap_frame *f);

#endif
