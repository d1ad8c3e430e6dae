/*
 * The hypercall service: one table of handlers indexed by number, each
 * checking its own arguments. Errors are negative errno values in ret
 * (include/hypercall.h): unknown number -ENOSYS, flags != 0 -EINVAL, a
 * buffer not wholly in guest RAM -EFAULT, any other bad argument -EINVAL.
 * A buffer is checked whole, as the guest declared it, even where only
 * part of it is used: a bad length is a bug worth reporting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hc_dispatch.h"

typedef int64_t (*hc_fn)(const struct hc_env *env, const struct hc *h, struct hc_outcome *o);

static int64_t hc_nop(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)env, (void)h, (void)o;
	return 0;
}

static int64_t hc_exit(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)env;
	o->action = HC_STOP_EXIT;
	o->status = h->arg[0];
	return 0;
}

/* Longer writes are cut to HC_CONSOLE_MAX: the guest sees a partial write
 * in ret, as from write(2), and loops if it wants the rest. */
static int64_t hc_console_write(const struct hc_env *env, const struct hc *h,
				struct hc_outcome *o)
{
	(void)o;
	const void *p = guest_ptr(env->mem, h->arg[0], h->arg[1]);
	uint64_t len = h->arg[1] < HC_CONSOLE_MAX ? h->arg[1] : HC_CONSOLE_MAX;

	if (!p)
		return -HC_EFAULT;
	env->console(p, len);
	return (int64_t)len;
}

static int64_t hc_time(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	struct timespec t;

	(void)env, (void)h, (void)o;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t hc_abi_version(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)env, (void)h, (void)o;
	return (int64_t)HC_ABI_MAJOR << 16 | HC_ABI_MINOR;
}

/* A short buffer gets the block's first len bytes, like a short read. */
static int64_t hc_boot_info(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)o;
	void *p = guest_ptr(env->mem, h->arg[0], h->arg[1]);
	uint64_t len = h->arg[1] < sizeof *env->boot_info ? h->arg[1] : sizeof *env->boot_info;

	if (!p)
		return -HC_EFAULT;
	memcpy(p, env->boot_info, len);
	return (int64_t)len;
}

static int64_t hc_random(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)o;
	if (h->arg[1] > HC_RANDOM_MAX)
		return -HC_EINVAL;
	uint8_t *p = guest_ptr(env->mem, h->arg[0], h->arg[1]);
	if (!p)
		return -HC_EFAULT;
	/* Up to 4 KiB never blocks once the pool is ready, but a signal
	 * (the watchdog) can cut it short: finish the job. */
	size_t got = 0;
	while (got < h->arg[1]) {
		ssize_t n = getrandom(p + got, h->arg[1] - got, 0);
		if (n < 0 && errno != EINTR)
			break; /* cannot happen on Linux >= 3.17; ret says how much */
		if (n > 0)
			got += (size_t)n;
	}
	return (int64_t)got;
}

/* Append up to HC_TEXT_MAX bytes of a guest string, printable ASCII as is
 * and the rest as \xNN, so a hostile string cannot forge log lines. */
static size_t put_text(char *dst, size_t room, const uint8_t *s, uint64_t len)
{
	size_t n = 0;

	for (uint64_t i = 0; i < len && n + 5 < room; i++)
		n += (size_t)snprintf(dst + n, room - n, s[i] >= 0x20 && s[i] < 0x7f ? "%c" : "\\x%02x",
				      s[i]);
	return n;
}

/* ABORT and ASSERT: "file:line: text". Bad strings get -EFAULT and the
 * guest goes on, like any call; its client then ends the run itself. */
static int64_t report(const struct hc_env *env, const struct hc *h, struct hc_outcome *o,
		      enum hc_action action)
{
	static char text[2 * 4 * HC_TEXT_MAX + 32];
	const uint8_t *msg = guest_ptr(env->mem, h->arg[0], h->arg[1]);
	const uint8_t *file = guest_ptr(env->mem, h->arg[2], h->arg[3]);
	uint64_t mlen = h->arg[1] < HC_TEXT_MAX ? h->arg[1] : HC_TEXT_MAX;
	uint64_t flen = h->arg[3] < HC_TEXT_MAX ? h->arg[3] : HC_TEXT_MAX;

	if (!msg || !file)
		return -HC_EFAULT;
	size_t n = put_text(text, sizeof text, file, flen);
	n += (size_t)snprintf(text + n, sizeof text - n, ":%llu: ", (unsigned long long)h->arg[4]);
	put_text(text + n, sizeof text - n, msg, mlen);
	o->action = action;
	o->text = text;
	return 0;
}

static int64_t hc_abort(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	return report(env, h, o, HC_STOP_ABORT);
}

static int64_t hc_assert(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	return report(env, h, o, HC_STOP_ASSERT);
}

/* EPT views (views.c). A host failure mid-switch leaves guest memory in
 * an unknown state: the run ends. */
static int64_t view_ret(const struct hc_env *env, int64_t r, struct hc_outcome *o)
{
	if (r == VIEWS_EHOST) {
		o->action = HC_STOP_HOST;
		o->text = env->views->err;
		return -HC_EFAULT;
	}
	return r;
}

static int64_t hc_view_create(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)h, (void)o;
	return env->views ? views_create(env->views) : -HC_ENOSYS;
}

static int64_t hc_view_map(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	if (!env->views)
		return -HC_ENOSYS;
	return view_ret(env, views_map(env->views, h->arg[0], h->arg[1], h->arg[2], h->arg[3],
				       h->arg[4]), o);
}

static int64_t hc_view_current(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)h, (void)o;
	return env->views ? (int64_t)env->views->live : -HC_ENOSYS;
}

static int64_t hc_view_reset(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	(void)h;
	return env->views ? view_ret(env, views_reset(env->views), o) : -HC_ENOSYS;
}

static int64_t hc_vmfunc(const struct hc_env *env, const struct hc *h, struct hc_outcome *o)
{
	if (!env->views)
		return -HC_ENOSYS;
	return view_ret(env, views_vmfunc(env->views, h->arg[0], h->arg[1]), o);
}

static const struct {
	const char *name;
	hc_fn fn;
} calls[HC_NR_MAX] = {
	[HC_NOP] = { "NOP", hc_nop },
	[HC_EXIT] = { "EXIT", hc_exit },
	[HC_CONSOLE_WRITE] = { "CONSOLE_WRITE", hc_console_write },
	[HC_TIME] = { "TIME", hc_time },
	[HC_ABI_VERSION] = { "ABI_VERSION", hc_abi_version },
	[HC_BOOT_INFO] = { "BOOT_INFO", hc_boot_info },
	[HC_ABORT] = { "ABORT", hc_abort },
	[HC_RANDOM] = { "RANDOM", hc_random },
	[HC_ASSERT] = { "ASSERT", hc_assert },
	[HC_VIEW_CREATE] = { "VIEW_CREATE", hc_view_create },
	[HC_VIEW_MAP] = { "VIEW_MAP", hc_view_map },
	[HC_VIEW_CURRENT] = { "VIEW_CURRENT", hc_view_current },
	[HC_VIEW_RESET] = { "VIEW_RESET", hc_view_reset },
	[HC_VMFUNC] = { "VMFUNC", hc_vmfunc },
};

const char *hc_name(uint32_t nr)
{
	return nr < HC_NR_MAX ? calls[nr].name : NULL;
}

struct hc_outcome hc_dispatch(const struct hc_env *env, struct hc *h)
{
	struct hc_outcome o = { .action = HC_RESUME };

	if (h->nr >= HC_NR_MAX || !calls[h->nr].fn)
		h->ret = -HC_ENOSYS;
	else if (h->flags)
		h->ret = -HC_EINVAL;
	else
		h->ret = calls[h->nr].fn(env, h, &o);
	return o;
}
