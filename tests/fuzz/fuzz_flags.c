/*
 * libFuzzer harness for the flag parser, flags_parse() (vmm/flags.c).
 *
 * Input: the arguments after argv[0], separated by NUL bytes; each one is
 * malloc'd exactly its size, so ASan traps a read past any argument.
 *
 * flags_parse() ends the process on a bad flag (exit 125) and on --help
 * (exit 0). Forking per input would be slow, so this file alone is built
 * with -Dexit=fuzz_exit (Makefile): fuzz_exit() checks the status and
 * longjmps back here. flags.c itself is unchanged.
 *
 * What must hold: the status is 125 or 0; and when the parse returns, the
 * options are inside their documented limits: one image, named by one of
 * the arguments; RAM 2M to 3G in whole 4K pages; a command line of at most
 * BOOT_CMDLINE_MAX - 1 bytes; no timeout, or one in (0, 1e9] seconds.
 */
#include <assert.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define ARGS_MAX 32

static jmp_buf back;

void fuzz_exit(int status)
{
	assert(status == EXIT_VMM_FAILED || status == 0);
	longjmp(back, 1);
}

static bool is_arg(char **argv, int argc, const char *s)
{
	for (int i = 0; i < argc; i++)
		if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGS_MAX + 2] = { "vmm" };
	int argc = 1;

	for (size_t at = 0; at < size && argc <= ARGS_MAX;) {
		const uint8_t *nul = memchr(data + at, 0, size - at);
		size_t len = nul ? (size_t)(nul - (data + at)) : size - at;
		argv[argc] = malloc(len + 1);
		memcpy(argv[argc], data + at, len);
		argv[argc++][len] = 0;
		at += len + 1;
	}

	struct options o;
	if (!setjmp(back)) {
		flags_parse(argc, argv, &o);
		assert(o.image && is_arg(argv + 1, argc - 1, o.image));
		assert(o.ram_size >= 2ull << 20 && o.ram_size <= 3ull << 30 && !(o.ram_size & 0xfff));
		assert(strlen(o.cmdline) < BOOT_CMDLINE_MAX &&
		       (!*o.cmdline || is_arg(argv + 1, argc - 1, o.cmdline)));
		assert(o.timeout == 0 || (o.timeout > 0 && o.timeout <= 1e9));
	}
	for (int i = 1; i < argc; i++)
		free(argv[i]);
	return 0;
}
