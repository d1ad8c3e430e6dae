#include "bench.h"
#include "clock.h"
#include "cmdline.h"
#include "kernel.h"
#include "printf.h"
#include "x86.h"

extern const struct bench __benches_start[], __benches_end[];

static uint32_t samples[BENCH_SAMPLES];

void bench_samples(const char *name, void (*op)(void))
{
	for (int i = 0; i < 10; i++) /* warm up: fault in code, data, exits */
		op();
	for (int i = 0; i < BENCH_SAMPLES; i++) {
		uint64_t t0 = rdtsc();
		op();
		uint64_t d = rdtsc() - t0;
		samples[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
	printf("bench-samples %s %lu", name, clock_tsc_khz());
	for (int i = 0; i < BENCH_SAMPLES; i++)
		printf(" %u", samples[i]);
	printf("\n");
}

void bench_value(const char *name, uint64_t value, const char *unit)
{
	printf("bench-value %s %lu %s\n", name, value, unit);
}

/* `-c bench` runs them all, `-c bench=NAME` only NAME. */
void bench_run_all(void)
{
	char only[32] = "";

	cmdline_get(boot_info->cmdline, "bench", only, sizeof only);
	for (const struct bench *b = __benches_start; b < __benches_end; b++) {
		if (only[0] && strcmp(only, b->name))
			continue;
		printf("# bench %s\n", b->name);
		b->fn();
	}
	printf("bench-done\n");
}
