/*
 * Command-line parsing: one pass over the line per lookup, the key compared
 * as each token is read. The line is short and read a handful of times,
 * so there is no table to build or keep; and where KVM emulates CPL0 code
 * every byte read costs an emulated instruction or more (docs/bench.md),
 * so the scan reads each byte once.
 */
#include "cmdline.h"

struct token {
	const char *val;     /* raw value, quotes included; NULL for a bare key */
	const char *end;     /* one past the token */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The last token whose key is `key` (a bare word: no '=', no space), or
 * false. A quote in a value toggles a quoted stretch, inside which spaces
 * do not end the token. */
static bool find(const char *s, const char *key, struct token *found)
{
	bool any = false;

	if (!s || !key || !*key)
		return false;
	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s)
			return any;
		size_t n = 0;
		while (key[n] && s[n] == key[n])
			n++;
		s += n;
		bool match = !key[n] && (!*s || *s == '=' || is_space(*s));
		while (*s && *s != '=' && !is_space(*s))
			s++;
		const char *val = NULL;
		if (*s == '=') {
			bool quoted = false;
			for (val = ++s; *s && (quoted || !is_space(*s)); s++)
				if (*s == '"')
					quoted = !quoted;
		}
		if (match) {
			*found = (struct token){ val, s };
			any = true;
		}
	}
}

bool cmdline_has(const char *cmdline, const char *key)
{
	struct token t;
	return find(cmdline, key, &t);
}

/* Copy the value without its quotes; false if it did not all fit. */
static bool copy_value(const struct token *t, char *out, size_t outsz)
{
	size_t n = 0;
	bool fit = true;

	for (const char *s = t->val; s && s < t->end; s++) {
		if (*s == '"')
			continue;
		if (n + 1 >= outsz) {
			fit = false;
			break;
		}
		out[n++] = *s;
	}
	if (outsz)
		out[n] = '\0';
	return fit;
}

bool cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz)
{
	struct token t;

	if (!find(cmdline, key, &t)) {
		if (outsz)
			out[0] = '\0';
		return false;
	}
	return copy_value(&t, out, outsz);
}
