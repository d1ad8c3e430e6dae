/*
 * The hypercall service (hypercall.c): one request block in, its ret and
 * what the run loop must do next out. Free of KVM and of the VMM's globals,
 * so host unit tests drive it with plain memory.
 */
#ifndef HC_DISPATCH_H
#define HC_DISPATCH_H

#include <stddef.h>

#include "bootinfo.h"
#include "guest_mem.h"
#include "hypercall.h"
#include "views.h"

/* ABORT and ASSERT print at most this many bytes of each string. */
#define HC_TEXT_MAX 4096

struct hc_env {
	const struct guest_mem *mem;
	const struct boot_info *boot_info; /* the VMM's copy, not the guest's */
	void (*console)(const void *buf, size_t len);
	struct views *views;               /* NULL: HC_VIEW_* and HC_VMFUNC are -ENOSYS */
};

enum hc_action {
	HC_RESUME,      /* ret is set; the guest goes on */
	HC_STOP_EXIT,   /* EXIT: status holds the guest's status */
	HC_STOP_ABORT,  /* ABORT: text holds "file:line: message" */
	HC_STOP_ASSERT, /* ASSERT: text holds "file:line: expression" */
	HC_STOP_HOST,   /* the VMM could not carry out the call: text says why (125) */
};

struct hc_outcome {
	enum hc_action action;
	uint64_t status;
	const char *text; /* valid until the next call */
};

/* Serve one request: sets h->ret, touches guest memory only through
 * guest_ptr(), never fails. */
struct hc_outcome hc_dispatch(const struct hc_env *env, struct hc *h);

/* "CONSOLE_WRITE", or NULL for a number nobody serves. */
const char *hc_name(uint32_t nr);

#endif
