/*
 * Command-line parsing. A small tokenizer walks the line once per lookup: the
 * line is short and read a handful of times at boot, so there is no table to
 * build or keep.
 */
#include "cmdline.h"

struct token {
	const char *key;     /* not NUL-terminated */
	size_t keylen;
	const char *val;     /* raw value, quotes included; NULL for a bare key */
	const char *end;     /* one past the token */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Read the token at *p (after any spaces) into *t; false at the end. A quote
 * toggles a quoted stretch, inside which spaces do not end the token. */
static bool next_token(const char **p, struct token *t)
{
	const char *s = *p;
	bool quoted = false;

	while (is_space(*s))
		s++;
	if (!*s)
		return false;
	t->key = s;
	while (*s && *s != '=' && !is_space(*s))
		s++;
	t->keylen = (size_t)(s - t->key);
	t->val = NULL;
	if (*s == '=') {
		t->val = ++s;
		for (; *s && (quoted || !is_space(*s)); s++)
			if (*s == '"')
				quoted = !quoted;
	}
	t->end = s;
	*p = s;
	return true;
}

static bool key_is(const struct token *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->keylen; i++)
		if (key[i] != t->key[i])   /* also stops at key's NUL */
			return false;
	return key[i] == '\0';
}

/* The last token whose key matches, or false. */
static bool find(const char *cmdline, const char *key, struct token *found)
{
	struct token t;
	bool any = false;

	if (!cmdline || !key || !*key)
		return false;
	while (next_token(&cmdline, &t)) {
		if (key_is(&t, key)) {
			*found = t;
			any = true;
		}
	}
	return any;
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
