/* Unit tests for the decode error reasons (latency/reasons.h): the kind of
 * a reason (numbers that stand alone, quoted strings, names with digits,
 * RFC 3339, cut to fit), the tally by kind, the kinds past MO_REASONS_MAX
 * counted as other reasons, merging two tallies (kinds known to both, new
 * ones, a full destination, the other reasons of the source) and the
 * formatted list (most frequent first, ties in the order seen, the top N,
 * cut at a whole entry). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "latency/reasons.h"
#include "test.h"

static const char *kind(const char *reason)
{
    static char out[MO_REASON_KIND_MAX];
    memset(out, 'x', sizeof out);
    mo_reasons_kind(reason, out, sizeof out);
    return out;
}

static const char *format(const struct mo_reasons *r, size_t top)
{
    static char buf[1024];
    memset(buf, 'x', sizeof buf);
    mo_reasons_format(r, top, buf, sizeof buf);
    return buf;
}

static void test_kind(void)
{
    TEST_EQ_STR(kind(""), "");
    TEST_EQ_STR(kind("field timestamp missing"), "field timestamp missing");
    TEST_EQ_STR(kind("invalid JSON at byte 12"), "invalid JSON at byte N");
    TEST_EQ_STR(kind("invalid JSON at byte 0"), "invalid JSON at byte N");
    TEST_EQ_STR(kind("12 at the start"), "N at the start");
    /* every run of digits that stands alone, including those of a number
     * with a sign, a fraction or an exponent */
    TEST_EQ_STR(kind("value 1.5e+20 is too large"), "value N.Ne+N is too large");
    TEST_EQ_STR(kind("offset -3"), "offset -N");
    TEST_EQ_STR(kind("malformed _SubscriptionItem (7 bytes)"), "malformed _SubscriptionItem (N bytes)");
    /* digits inside a name stay */
    TEST_EQ_STR(kind("u64be at offset 16"), "u64be at offset N");
    TEST_EQ_STR(kind("field meta.v2 missing"), "field meta.v2 missing");
    TEST_EQ_STR(kind("field a_1 missing"), "field a_1 missing");
    /* the number of RFC 3339 names the format, it is not a detail */
    TEST_EQ_STR(kind("not RFC 3339: 2025"), "not RFC 3339: N");
    TEST_EQ_STR(kind("RFC 3339"), "RFC 3339");
    TEST_EQ_STR(kind("3339 alone"), "N alone");
    /* a quoted string, whatever it holds (escaped quotes, digits), is "..." */
    TEST_EQ_STR(kind("not a number: \"12ab\""), "not a number: \"...\"");
    TEST_EQ_STR(kind("bad \"a \\\"quoted\\\" 7\" here 9"), "bad \"...\" here N");
    TEST_EQ_STR(kind("two \"a\" and \"b\""), "two \"...\" and \"...\"");
    /* one left open runs to the end; a backslash last in it is no escape */
    TEST_EQ_STR(kind("open \"abc 12"), "open \"...\"");
    TEST_EQ_STR(kind("open \"abc\\"), "open \"...\"");

    /* cut to the buffer, never in the middle of a "..." */
    char small[8];
    mo_reasons_kind("abcdefghij", small, sizeof small);
    TEST_EQ_STR(small, "abcdefg");
    mo_reasons_kind("ab \"xyz\" c", small, sizeof small);
    TEST_EQ_STR(small, "ab ");
    mo_reasons_kind("abc \"x\"", small, sizeof small);
    TEST_EQ_STR(small, "abc ");
    mo_reasons_kind("ab\"x\"", small, sizeof small);
    TEST_EQ_STR(small, "ab\"...\"");
    mo_reasons_kind("byte 123456789", small, sizeof small);
    TEST_EQ_STR(small, "byte N");
    char one[1] = {'x'};
    mo_reasons_kind("abc", one, sizeof one);
    TEST_EQ_STR(one, "");
    /* no room at all: nothing written */
    char none[2] = {'x', 'y'};
    mo_reasons_kind("abc", none, 0);
    TEST_CHECK(none[0] == 'x' && none[1] == 'y');
}

static void test_tally(void)
{
    struct mo_reasons r = {0};
    TEST_EQ_STR(format(&r, 3), "");
    mo_reasons_add(&r, "invalid JSON at byte 3", 1);
    mo_reasons_add(&r, "invalid JSON at byte 12", 1);
    mo_reasons_add(&r, "field timestamp missing", 1);
    mo_reasons_add(&r, "invalid JSON at byte 0", 5);
    TEST_EQ_INT(r.n, 2);
    TEST_EQ_INT(r.other, 0);
    TEST_EQ_STR(r.v[0].kind, "invalid JSON at byte N");
    TEST_EQ_INT(r.v[0].count, 7);
    TEST_EQ_STR(r.v[1].kind, "field timestamp missing");
    TEST_EQ_INT(r.v[1].count, 1);
    TEST_EQ_STR(format(&r, 3), "7: invalid JSON at byte N | 1: field timestamp missing");
    /* a kind longer than MO_REASON_KIND_MAX is cut, and kinds that agree up
     * to there are one */
    char lng[300], lng2[300];
    memset(lng, 'a', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    memcpy(lng2, lng, sizeof lng2);
    lng2[200] = 'b';
    mo_reasons_add(&r, lng, 1);
    mo_reasons_add(&r, lng2, 2);
    TEST_EQ_INT(r.n, 3);
    TEST_EQ_INT(strlen(r.v[2].kind), MO_REASON_KIND_MAX - 1);
    TEST_EQ_INT(r.v[2].count, 3);
}

/* Kinds past MO_REASONS_MAX are counted as other reasons; a known kind is
 * still counted as itself once the table is full. */
static void test_overflow(void)
{
    struct mo_reasons r = {0};
    char reason[64];
    for (int i = 0; i < MO_REASONS_MAX; i++) {
        snprintf(reason, sizeof reason, "kind %c", 'a' + i);
        mo_reasons_add(&r, reason, (uint64_t)i + 1);
    }
    TEST_EQ_INT(r.n, MO_REASONS_MAX);
    TEST_EQ_INT(r.other, 0);
    mo_reasons_add(&r, "kind z", 4);
    mo_reasons_add(&r, "kind y at byte 9", 1);
    TEST_EQ_INT(r.n, MO_REASONS_MAX);
    TEST_EQ_INT(r.other, 5);
    mo_reasons_add(&r, "kind a", 100); /* known: itself */
    TEST_EQ_INT(r.other, 5);
    TEST_EQ_INT(r.v[0].count, 101);
    /* the top 3 (a 101, h 8, g 7), then every other: b..f (2+3+4+5+6) and 5 */
    TEST_EQ_STR(format(&r, 3), "101: kind a | 8: kind h | 7: kind g | 25: other reasons");
    /* all of them: the other reasons are only those past the table */
    TEST_EQ_STR(format(&r, MO_REASONS_MAX),
                "101: kind a | 8: kind h | 7: kind g | 6: kind f | 5: kind e | 4: kind d | "
                "3: kind c | 2: kind b | 5: other reasons");
    /* none shown: one line with the total */
    TEST_EQ_STR(format(&r, 0), "141: other reasons");
}

static void test_format(void)
{
    struct mo_reasons r = {0};
    /* ties: the one seen first */
    mo_reasons_add(&r, "b", 2);
    mo_reasons_add(&r, "a", 2);
    mo_reasons_add(&r, "c", 3);
    TEST_EQ_STR(format(&r, 3), "3: c | 2: b | 2: a");
    TEST_EQ_STR(format(&r, 2), "3: c | 2: b | 2: other reasons");
    TEST_EQ_STR(format(&r, 1), "3: c | 4: other reasons");
    /* only other reasons */
    struct mo_reasons o = {.other = 9};
    TEST_EQ_STR(format(&o, 3), "9: other reasons");

    /* cut at a whole entry: "3: c | 2: b" is 11 bytes, " | 2: a" 7 more */
    char buf[19];
    mo_reasons_format(&r, 3, buf, sizeof buf);
    TEST_EQ_STR(buf, "3: c | 2: b | 2: a");
    mo_reasons_format(&r, 3, buf, 18);
    TEST_EQ_STR(buf, "3: c | 2: b");
    mo_reasons_format(&r, 3, buf, 4);
    TEST_EQ_STR(buf, "");
    /* the other reasons that do not fit are left out whole */
    mo_reasons_format(&r, 2, buf, 19);
    TEST_EQ_STR(buf, "3: c | 2: b");
    mo_reasons_format(&r, 2, buf, 12);
    TEST_EQ_STR(buf, "3: c | 2: b");
    /* no room: nothing written */
    buf[0] = 'x';
    mo_reasons_format(&r, 3, buf, 0);
    TEST_CHECK(buf[0] == 'x');
    mo_reasons_format(&r, 3, buf, 1);
    TEST_EQ_STR(buf, "");
}

static void test_merge(void)
{
    struct mo_reasons a = {0}, b = {0}, empty = {0};
    mo_reasons_add(&a, "invalid JSON at byte 1", 3);
    mo_reasons_add(&a, "field timestamp missing", 1);
    mo_reasons_add(&b, "field timestamp missing", 4);
    mo_reasons_add(&b, "timestamp out of range", 2);
    b.other = 6;
    mo_reasons_merge(&a, &b);
    TEST_EQ_INT(a.n, 3);
    TEST_EQ_STR(a.v[0].kind, "invalid JSON at byte N");
    TEST_EQ_INT(a.v[0].count, 3);
    TEST_EQ_STR(a.v[1].kind, "field timestamp missing");
    TEST_EQ_INT(a.v[1].count, 5);
    TEST_EQ_STR(a.v[2].kind, "timestamp out of range");
    TEST_EQ_INT(a.v[2].count, 2);
    TEST_EQ_INT(a.other, 6);
    /* the source is left as it was */
    TEST_EQ_INT(b.n, 2);
    TEST_EQ_INT(b.v[0].count, 4);
    /* an empty one changes nothing; into an empty one, a copy */
    mo_reasons_merge(&a, &empty);
    TEST_EQ_STR(format(&a, 3),
                "5: field timestamp missing | 3: invalid JSON at byte N | 2: timestamp out of range | "
                "6: other reasons");
    struct mo_reasons c = {0};
    mo_reasons_merge(&c, &a);
    TEST_EQ_STR(format(&c, 3), format(&a, 3));

    /* into a full one: kinds it knows are added to theirs, the others and
     * the source's other reasons go to its other reasons */
    struct mo_reasons full = {0}, src = {0};
    char reason[32];
    for (int i = 0; i < MO_REASONS_MAX; i++) {
        snprintf(reason, sizeof reason, "kind %c", 'a' + i);
        mo_reasons_add(&full, reason, 1);
    }
    mo_reasons_add(&src, "kind z", 10);
    mo_reasons_add(&src, "kind b", 20);
    src.other = 1;
    mo_reasons_merge(&full, &src);
    TEST_EQ_INT(full.n, MO_REASONS_MAX);
    TEST_EQ_INT(full.v[1].count, 21);
    TEST_EQ_INT(full.other, 11);
    TEST_EQ_STR(format(&full, 1), "21: kind b | 18: other reasons");
}

int main(void)
{
    test_kind();
    test_tally();
    test_overflow();
    test_format();
    test_merge();
    return test_result("test-reasons");
}
