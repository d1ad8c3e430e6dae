/*
 * Benchmarks run inside the guest (`-c bench`): each one times an operation
 * with the TSC and hands every sample to the console as one line
 *   bench-samples NAME TSC_KHZ c1 c2 ...     (cycles per operation)
 * or a single figure as
 *   bench-value NAME VALUE UNIT
 * tools/bench/bench.py turns them into medians, p99s and ratios.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_SAMPLES 1000

/* Time op() BENCH_SAMPLES times (after a warm-up) and print the samples. */
void bench_samples(const char *name, void (*op)(void));
/* The two halves, for code that cannot print where it runs (an L2):
 * bench_time() fills out[BENCH_SAMPLES], bench_print() prints them. */
void bench_time(uint32_t *out, void (*op)(void));
void bench_print(const char *name, const uint32_t *samples);
void bench_value(const char *name, uint64_t value, const char *unit);

/* Run every registered benchmark, or the one `-c bench=NAME` names. False,
 * with a message, when NAME is cut off or names none. */
bool bench_run_all(void);

struct bench {
	const char *name;
	void (*fn)(void);
};
#define BENCH(id) \
	static void bench_##id(void); \
	static const struct bench bench_rec_##id \
		__attribute__((used, section(".benches"), aligned(8))) = { #id, bench_##id }; \
	static void bench_##id(void)

#endif
