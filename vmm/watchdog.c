/*
 * Stopping a guest that will not stop itself: the --timeout timer and
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM. A guest can
 * spin inside KVM_RUN forever (a
 * loop the host runs in its emulator, a VMCALL the host keeps retrying), so
 * the only way out is a signal on the vCPU thread: its handler sets
 * run->immediate_exit so KVM_RUN returns EINTR now or, if the signal came
 * between runs, at once on the next entry. Handlers are installed without
 * SA_RESTART so no blocking call (KVM_RUN, a write to a stalled stdout, the
 * open of a FIFO image) is silently restarted: each caller sees EINTR and
 * checks stop_signal(). The VMM is single-threaded, so process-directed
 * signals reach the vCPU thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

static struct kvm_run *volatile run_page;
static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t stop_by_timer; /* stop_sig came from our timer */
static double timeout_s;

/* Only a SIGALRM from our own timer is a timeout: a `kill -ALRM` from
 * outside is a signal like SIGTERM, whether or not --timeout was given. */
static void on_stop(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!stop_sig) {
		stop_by_timer = sig == SIGALRM && si->si_code == SI_TIMER;
		stop_sig = sig;
	}
	if (run_page)
		run_page->immediate_exit = 1;
}

static void catch(int sig)
{
	/* SA_SIGINFO to tell our timer from a kill; no SA_RESTART. */
	struct sigaction sa = { .sa_sigaction = on_stop, .sa_flags = SA_SIGINFO };

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
	/* Whatever else would end the process by default stops the guest the
	 * same way, so the VMM always ends with a status and a message. */
	catch(SIGQUIT);
	catch(SIGUSR1);
	catch(SIGUSR2);
	/* Signals the VMM's own writes raise: a closed stdout must end as a
	 * lost console, a file size limit (ulimit -f) as a write or ftruncate
	 * failing with EFBIG, each reported, never as a dead VMM. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/* A kick: the GDB stub's sockets raise SIGIO when a byte or a connection
 * arrives (gdb_stub.c). It takes KVM_RUN out the same way, so the stub can
 * look, and stops nothing by itself. */
static void on_kick(int sig)
{
	(void)sig;
	if (run_page)
		run_page->immediate_exit = 1;
}

void kick_on(int sig)
{
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART, as above */

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void kick_now(void)
{
	on_kick(0);
}

/* After a kick was looked at, before KVM_RUN again: a pending stop keeps
 * its immediate_exit. */
void kick_rearm(void)
{
	if (run_page && !stop_sig)
		run_page->immediate_exit = 0;
}

void stop_attach(struct kvm_run *run)
{
	run_page = run;
	if (stop_sig)
		run->immediate_exit = 1;
}

/* Armed before the image is loaded: a FIFO image that never delivers is
 * bounded by --timeout like a guest that never exits. */
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
	timeout_s = seconds; /* for stop_describe(), set before the timer can fire */
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

/* The exit status a stop ends the run with: 124 for the watchdog, 125 for
 * any signal from outside. */
int stop_status(void)
{
	return stop_by_timer ? EXIT_TIMEOUT : EXIT_VMM_FAILED;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGALRM: return "SIGALRM";
	case SIGQUIT: return "SIGQUIT";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	}
	return "a signal";
}

/* "timeout after 1 s" or "stopped by SIGTERM": for every message about a
 * stop, wherever it caught the VMM. */
const char *stop_describe(void)
{
	static char buf[64];

	if (stop_by_timer)
		snprintf(buf, sizeof buf, "timeout after %g s", timeout_s);
	else
		snprintf(buf, sizeof buf, "stopped by %s", signal_name(stop_sig));
	return buf;
}
