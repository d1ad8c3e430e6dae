/*
 * The boot command line: space-separated tokens, each `key=value` or a bare
 * `key`. A value may be double-quoted to hold spaces (key="a b"); the quotes
 * are not part of the value. When a key appears more than once the last one
 * wins, so appending to a command line overrides what came before.
 * A key asked for is a bare word: no '=', no space.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Copy key's value (a bare key has the empty value) into out, NUL-terminated.
 * Returns true only when the key is present and its whole value fit in
 * outsz - 1 bytes; a value that does not fit leaves its truncated prefix in
 * out and returns false, so a caller never acts on a cut-off value
 * (cmdline_has() tells "too long" from "absent"). cmdline may be NULL. */
bool cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz);

/* True when key appears, bare or with a value. */
bool cmdline_has(const char *cmdline, const char *key);

#endif
