#include "bench.h"
#include "clock.h"
#include "cmdline.h"
#include "kernel.h"
#include "printf.h"
#include "x86.h"

extern const struct bench __benches_start[], __benches_end[];

static uint32_t samples[BENCH_SAMPLES];

void bench_time(uint32_t *out, void (*op)(void))
{
	for (int i = 0; i < 10; i++) /* warm up: fault in code, data, exits */
		op();
	for (int i = 0; i < BENCH_SAMPLES; i++) {
		uint64_t t0 = rdtsc();
		op();
		uint64_t d = rdtsc() - t0;
		out[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

void bench_print(const char *name, const uint32_t *s)
{
	printf("bench-samples %s %lu", name, clock_tsc_khz());
	for (int i = 0; i < BENCH_SAMPLES; i++)
		printf(" %u", s[i]);
	printf("\n");
}

void bench_samples(const char *name, void (*op)(void))
{
	bench_time(samples, op);
	bench_print(name, samples);
}

void bench_value(const char *name, uint64_t value, const char *unit)
{
	printf("bench-value %s %lu %s\n", name, value, unit);
}

/* `-c bench` runs them all, `-c bench=NAME` only NAME. A NAME too long
 * for the buffer or unknown runs nothing and says so: a benchmark run that
 * measured nothing must not look like one that did. */
bool bench_run_all(void)
{
	char only[32];
	bool found = false;

	if (!cmdline_get(boot_info->cmdline, "bench", only, sizeof only)) {
		printf("bench: the name in bench= is longer than %zu bytes: no such benchmark\n",
		       sizeof only - 1);
		return false;
	}
	for (const struct bench *b = __benches_start; b < __benches_end; b++) {
		if (only[0] && strcmp(only, b->name))
			continue;
		found = true;
		printf("# bench %s\n", b->name);
		b->fn();
	}
	if (!found) {
		printf("bench: no benchmark named '%s'; there are:", only);
		for (const struct bench *b = __benches_start; b < __benches_end; b++)
			printf(" %s", b->name);
		printf("\n");
		return false;
	}
	printf("bench-done\n");
	return true;
}
