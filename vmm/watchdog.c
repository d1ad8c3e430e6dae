/*
 * Stopping a guest that will not stop itself: the --timeout timer and
 * SIGINT/SIGTERM/SIGHUP. A guest can spin inside KVM_RUN forever (a loop the
 * host runs in its emulator, a VMCALL the host keeps retrying), so the only
 * way out is a signal on the vCPU thread: its handler sets
 * run->immediate_exit so KVM_RUN returns EINTR now or, if the signal came
 * between runs, at once on the next entry. Handlers are installed without
 * SA_RESTART so the ioctl is not silently restarted. The VMM is
 * single-threaded, so process-directed signals reach the vCPU thread.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

static struct kvm_run *volatile run_page;
static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
	if (run_page)
		run_page->immediate_exit = 1;
}

static void catch(int sig)
{
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* From the first line of main(): a signal during setup is remembered and
 * stops the guest before it runs, rather than killing the VMM. */
void stop_signals_install(void)
{
	catch(SIGINT);
	catch(SIGTERM);
	catch(SIGHUP);
	catch(SIGALRM);
	/* A closed stdout must end as a lost console, not a dead VMM. */
	signal(SIGPIPE, SIG_IGN);
}

void stop_attach(struct kvm_run *run)
{
	run_page = run;
	if (stop_sig)
		run->immediate_exit = 1;
}

int watchdog_start(double seconds)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	timer_t t;

	time_t whole = (time_t)seconds;
	struct itimerspec when = {
		.it_value = { .tv_sec = whole, .tv_nsec = (long)((seconds - (double)whole) * 1e9) },
	};
	if (!when.it_value.tv_sec && !when.it_value.tv_nsec)
		when.it_value.tv_nsec = 1; /* a zero it_value would disarm */
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0 || timer_settime(t, 0, &when, NULL) < 0) {
		vmm_log("cannot start the --timeout timer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int stop_signal(void)
{
	return stop_sig;
}
