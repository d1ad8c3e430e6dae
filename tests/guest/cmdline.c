/* cmdline: key=value and bare keys, quotes, missing keys, truncation. */
#include "cmdline.h"
#include "lib.h"
#include "test.h"

static const char line[] =
	"  test=paging* quiet name=\"a b  c\" empty= v=1 v=2 path=/a\"b c\"d last";

TEST(cmdline, "key=value") {
	char out[32];

	EXPECT(cmdline_get(line, "test", out, sizeof(out)));
	EXPECT(strcmp(out, "paging*") == 0);
	EXPECT(cmdline_get(line, "v", out, sizeof(out)));
	EXPECT(strcmp(out, "2") == 0);  /* the last one wins */
	EXPECT(cmdline_get(line, "empty", out, sizeof(out)));
	EXPECT_EQ(out[0], '\0');
}

TEST(cmdline, "bare keys") {
	char out[8] = "junk";

	EXPECT(cmdline_has(line, "quiet"));
	EXPECT(cmdline_has(line, "last"));
	EXPECT(cmdline_get(line, "quiet", out, sizeof(out)));
	EXPECT_EQ(out[0], '\0');
	EXPECT(cmdline_has(line, "test"));   /* has() sees keys with values */
}

TEST(cmdline, "quoted values keep spaces") {
	char out[32];

	EXPECT(cmdline_get(line, "name", out, sizeof(out)));
	EXPECT(strcmp(out, "a b  c") == 0);
	EXPECT(cmdline_get(line, "path", out, sizeof(out)));
	EXPECT(strcmp(out, "/ab cd") == 0);
	EXPECT(cmdline_get("k=\"no end", "k", out, sizeof(out)));
	EXPECT(strcmp(out, "no end") == 0);
}

TEST(cmdline, "missing keys and prefixes") {
	char out[8] = "junk";

	EXPECT(!cmdline_get(line, "nope", out, sizeof(out)));
	EXPECT_EQ(out[0], '\0');
	EXPECT(!cmdline_has(line, "tes"));    /* no prefix matches */
	EXPECT(!cmdline_has(line, "quieter"));/* nor a longer key */
	EXPECT(!cmdline_has(line, "paging*"));/* values are not keys */
	EXPECT(!cmdline_has(line, "b"));      /* nor is quoted text */
	EXPECT(!cmdline_has(NULL, "x"));
	EXPECT(!cmdline_has("", "x"));
	EXPECT(!cmdline_has(line, ""));
}

TEST(cmdline, "a value too long is truncated and reported") {
	char out[8];

	EXPECT(!cmdline_get(line, "test", out, 7)); /* "paging*" needs 8 */
	EXPECT(strcmp(out, "paging") == 0);
	EXPECT(cmdline_has(line, "test"));
	EXPECT(cmdline_get(line, "test", out, 8));
	EXPECT(strcmp(out, "paging*") == 0);
}
