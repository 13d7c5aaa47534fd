/* Unit tests for the ClockBound segment (src/lib/clockbound.c): parsing of
 * both versions and every refusal, the bound and status at a moment, and the
 * reader on real files in a temporary directory (absent, appearing, good,
 * kept through an update or a restart and then stale, an update during the
 * copy, an as_of that does not move, refusals, a file replaced, removed,
 * truncated under the mapping). The segments are built here, field by field
 * at the offsets of clockbound.h, not with the module's code. Every poll
 * is given its monotonic time, so the 5 s rules run in no time. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clockbound.h"
#include "test.h"

#define SEC 1000000000LL

/* ---- segments, built by hand -------------------------------------------- */

struct seg {
    uint32_t magic0, magic1, segsize;
    uint16_t version, generation;
    int64_t as_of_s, as_of_ns, void_s, void_ns, bound;
    uint64_t marker;
    uint32_t drift, reserved;
    int32_t status;
    uint8_t support;
};

static struct seg v2(void)
{
    return (struct seg){.magic0 = 0x414D5A4E, .magic1 = 0x43420200, .segsize = 80, .version = 2,
                        .generation = 2, .as_of_s = 100, .as_of_ns = 250, .void_s = 160,
                        .void_ns = 250, .bound = 350000, .marker = 0x0102030405060708ULL,
                        .drift = 15000, .status = 1, .support = 1};
}

static struct seg v1(void)
{
    struct seg g = v2();
    g.version = 1;
    g.segsize = 72;
    g.reserved = 0xdeadbeef;
    return g;
}

static void put(uint8_t *b, size_t off, const void *v, size_t n) { memcpy(b + off, v, n); }

/* The segment's bytes into b (128 bytes), zero padded; returns the layout's size. */
static size_t build(const struct seg *g, uint8_t *b)
{
    memset(b, 0, 128);
    put(b, 0, &g->magic0, 4);
    put(b, 4, &g->magic1, 4);
    put(b, 8, &g->segsize, 4);
    put(b, 12, &g->version, 2);
    put(b, 14, &g->generation, 2);
    put(b, 16, &g->as_of_s, 8);
    put(b, 24, &g->as_of_ns, 8);
    put(b, 32, &g->void_s, 8);
    put(b, 40, &g->void_ns, 8);
    put(b, 48, &g->bound, 8);
    if (g->version == 1) {
        put(b, 56, &g->drift, 4);
        put(b, 60, &g->reserved, 4);
        put(b, 64, &g->status, 4);
        return 72;
    }
    put(b, 56, &g->marker, 8);
    put(b, 64, &g->drift, 4);
    put(b, 68, &g->status, 4);
    b[72] = g->support;
    return 80;
}

static enum mo_cb_parse_result parse(const struct seg *g, size_t len, uint64_t file_size,
                                     struct mo_cb_snapshot *s, char *reason)
{
    uint8_t b[129];
    build(g, b + 1); /* at an odd address: any alignment */
    return mo_cb_parse(b + 1, len, file_size, s, reason, MO_CB_REASON_MAX);
}

/* A malformed segment: the result and its reason. */
static void expect_malformed(const struct seg *g, size_t len, uint64_t file_size, const char *why)
{
    struct mo_cb_snapshot s = {.version = 42};
    char reason[MO_CB_REASON_MAX];
    TEST_EQ_INT(parse(g, len, file_size, &s, reason), MO_CB_MALFORMED);
    TEST_EQ_STR(reason, why);
    TEST_EQ_INT(s.version, 42); /* untouched */
}

/* ---- parse -------------------------------------------------------------- */

/* The fields v1() and v2() write, read back */
static void base_fields(const struct mo_cb_snapshot *s, int version, int status)
{
    TEST_EQ_INT(s->version, version);
    TEST_EQ_INT(s->generation, 2);
    TEST_EQ_INT(s->as_of_ns, 100 * SEC + 250);
    TEST_EQ_INT(s->void_after_ns, 160 * SEC + 250);
    TEST_EQ_INT(s->bound_ns, 350000);
    TEST_EQ_INT(s->max_drift_ppb, 15000);
    TEST_EQ_INT(s->status, status);
}

static void test_parse_good(void)
{
    struct seg g = v2();
    struct mo_cb_snapshot s;
    char reason[MO_CB_REASON_MAX] = "x";
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_OK);
    TEST_EQ_STR(reason, "");
    base_fields(&s, 2, MO_CB_SYNCHRONIZED);
    TEST_CHECK(s.disruption_marker == 0x0102030405060708ULL);
    TEST_CHECK(s.disruption_support);

    g.support = 0;
    g.status = 3;
    g.generation = 65534;
    TEST_EQ_INT(parse(&g, 80, 80, &s, NULL), MO_CB_OK);
    TEST_CHECK(!s.disruption_support);
    TEST_EQ_INT(s.status, MO_CB_DISRUPTED);
    TEST_EQ_INT(s.generation, 65534);
    /* a larger segment (ClockBound's tests use 400) in a file that holds it */
    g = v2();
    g.segsize = 400;
    TEST_EQ_INT(parse(&g, 80, 400, &s, NULL), MO_CB_OK);
    /* a status outside the enum is kept as written */
    g.status = 7;
    TEST_EQ_INT(parse(&g, 80, 400, &s, NULL), MO_CB_OK);
    TEST_EQ_INT(s.status, 7);
    /* void_after equal to as_of, zero bound, drift just under 1e9 */
    g = v2();
    g.void_s = g.as_of_s;
    g.void_ns = g.as_of_ns;
    g.bound = 0;
    g.drift = 999999999;
    TEST_EQ_INT(parse(&g, 80, 80, &s, NULL), MO_CB_OK);
    TEST_EQ_INT(s.max_drift_ppb, 999999999);

    /* v1: drift at 56, status at 64, no marker or support */
    g = v1();
    g.status = 2;
    TEST_EQ_INT(parse(&g, 72, 72, &s, reason), MO_CB_OK);
    TEST_EQ_STR(reason, "");
    base_fields(&s, 1, MO_CB_FREE_RUNNING);
    TEST_CHECK(s.disruption_marker == 0);
    TEST_CHECK(!s.disruption_support);
}

static void test_parse_refusals(void)
{
    struct seg g = v2();
    expect_malformed(&g, 80, 15, "file is 15 bytes, shorter than the header (16)");
    expect_malformed(&g, 80, 0, "file is 0 bytes, shorter than the header (16)");
    expect_malformed(&g, 10, 80, "copy is 10 bytes, shorter than the header (16)");
    g.magic0 = 0x4E5A4D41; /* the bytes PROTOCOL.md lists, read as a native u32 */
    expect_malformed(&g, 80, 80, "bad magic");
    g = v2();
    g.magic1 = 0x43420201;
    expect_malformed(&g, 80, 80, "bad magic");
    g = v2();
    g.version = 7;
    expect_malformed(&g, 80, 80, "version 7 unsupported");
    g.version = 65535;
    expect_malformed(&g, 80, 80, "version 65535 unsupported");
    g = v2();
    g.segsize = 64;
    expect_malformed(&g, 80, 80, "segment size 64, expected at least 80 (v2)");
    g = v1();
    g.segsize = 70;
    expect_malformed(&g, 72, 72, "segment size 70, expected at least 72 (v1)");
    g = v2();
    expect_malformed(&g, 40, 40, "file is 40 bytes, shorter than its segment size 80");
    g.segsize = 400;
    expect_malformed(&g, 80, 399, "file is 399 bytes, shorter than its segment size 400");
    g = v2();
    expect_malformed(&g, 72, 80, "copy is 72 bytes, expected at least 80 (v2)");
    g = v2();
    g.bound = -1;
    expect_malformed(&g, 80, 80, "bound -1 ns is negative");
    g = v2();
    g.drift = 1000000000;
    expect_malformed(&g, 80, 80, "max drift 1000000000 ppb, expected below 1e9");
    g.drift = 0xffffffff;
    expect_malformed(&g, 80, 80, "max drift 4294967295 ppb, expected below 1e9");
    g = v2();
    g.as_of_ns = 1000000000;
    expect_malformed(&g, 80, 80, "as_of nanoseconds 1000000000 outside [0, 1e9)");
    g.as_of_ns = -1;
    expect_malformed(&g, 80, 80, "as_of nanoseconds -1 outside [0, 1e9)");
    g = v2();
    g.void_ns = 1000000000;
    expect_malformed(&g, 80, 80, "void_after nanoseconds 1000000000 outside [0, 1e9)");
    g = v2();
    g.as_of_s = -1;
    expect_malformed(&g, 80, 80, "as_of seconds -1 out of range");
    g = v2();
    g.void_s = INT64_MAX / SEC; /* its nanoseconds would pass INT64_MAX */
    expect_malformed(&g, 80, 80, "void_after seconds 9223372036 out of range");
    g = v2();
    g.void_s = g.as_of_s;
    g.void_ns = g.as_of_ns - 1;
    expect_malformed(&g, 80, 80, "void_after is 1 ns before as_of");
    g = v1();
    g.bound = -5;
    expect_malformed(&g, 72, 72, "bound -5 ns is negative");

    /* a short reason buffer holds what fits; none at all is allowed */
    uint8_t b[128];
    struct mo_cb_snapshot s;
    char small[8];
    g = v2();
    g.version = 7;
    build(&g, b);
    TEST_EQ_INT(mo_cb_parse(b, 80, 80, &s, small, sizeof small), MO_CB_MALFORMED);
    TEST_EQ_STR(small, "version");
    TEST_EQ_INT(mo_cb_parse(b, 80, 80, &s, NULL, 0), MO_CB_MALFORMED);
}

static void test_parse_in_flux(void)
{
    struct mo_cb_snapshot s = {.version = 42};
    char reason[MO_CB_REASON_MAX];
    /* version 0: as ClockBound's writer wipes the file (generation 0 too);
     * the layout is not known yet, so segsize is not judged */
    struct seg g = v2();
    g.version = 0;
    g.generation = 0;
    g.segsize = 3;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_RESTARTING);
    TEST_EQ_STR(reason, "restarting (version 0)");
    /* the magic is judged before the version */
    g.magic0 = 0;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_MALFORMED);
    /* odd generation, or 0: an update in progress */
    g = v2();
    g.generation = 7;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_UPDATING);
    TEST_EQ_STR(reason, "update in progress (generation 7)");
    g.generation = 0;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_UPDATING);
    g.generation = 65535;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_UPDATING);
    /* an odd generation's half-written fields are not judged */
    g.bound = -1;
    TEST_EQ_INT(parse(&g, 80, 80, &s, reason), MO_CB_UPDATING);
    TEST_EQ_INT(s.version, 42);
}

/* ---- bound_at --------------------------------------------------------- */

static struct mo_cb_snapshot snap(int32_t status, int64_t bound, uint32_t drift)
{
    return (struct mo_cb_snapshot){.version = 2, .generation = 2, .as_of_ns = 1000 * SEC,
                                   .void_after_ns = 1060 * SEC, .bound_ns = bound,
                                   .max_drift_ppb = drift, .status = status};
}

static int64_t bound_at(const struct mo_cb_snapshot *s, int64_t mono, enum mo_cb_status *st,
                        bool *usable)
{
    int64_t b = -42;
    *usable = mo_cb_bound_at(s, mono, &b, st);
    return b;
}

static void test_bound_at(void)
{
    enum mo_cb_status st;
    bool ok;
    struct mo_cb_snapshot s = snap(MO_CB_SYNCHRONIZED, 350000, 15000);
    int64_t t = s.as_of_ns;

    /* drift: bound_ns + elapsed x ppb / 1e9, rounded up */
    TEST_EQ_INT(bound_at(&s, t, &st, &ok), 350000);
    TEST_CHECK(ok && st == MO_CB_SYNCHRONIZED);
    TEST_EQ_INT(bound_at(&s, t + 2 * SEC, &st, &ok), 350000 + 30000);
    TEST_EQ_INT(bound_at(&s, t + 1, &st, &ok), 350001);            /* 15e-6 ns, up to 1 */
    TEST_EQ_INT(bound_at(&s, t + SEC / 3, &st, &ok), 350000 + 5000); /* 4999.99999 */
    TEST_EQ_INT(bound_at(&s, t - 1, &st, &ok), 350000);            /* mono before as_of */
    TEST_EQ_INT(bound_at(&s, t - 100 * SEC, &st, &ok), 350000);
    TEST_CHECK(ok && st == MO_CB_SYNCHRONIZED);
    s = snap(MO_CB_SYNCHRONIZED, 0, 1);
    TEST_EQ_INT(bound_at(&s, t + 1, &st, &ok), 1);
    TEST_EQ_INT(bound_at(&s, t + SEC, &st, &ok), 1);
    TEST_EQ_INT(bound_at(&s, t + SEC + 1, &st, &ok), 2);
    s = snap(MO_CB_SYNCHRONIZED, 0, 1000);
    TEST_EQ_INT(bound_at(&s, t + 3 * SEC / 2, &st, &ok), 1500); /* exact: no rounding */
    s = snap(MO_CB_SYNCHRONIZED, 0, 3);
    TEST_EQ_INT(bound_at(&s, t + 333333333, &st, &ok), 1); /* 0.999999999 */
    TEST_EQ_INT(bound_at(&s, t + 333333334, &st, &ok), 2); /* 1.000000002 */
    s = snap(MO_CB_SYNCHRONIZED, 0, 999999999);
    TEST_EQ_INT(bound_at(&s, t + SEC - 1, &st, &ok), 999999999); /* 999999998.000000001 */
    s = snap(MO_CB_SYNCHRONIZED, 0, 0);
    TEST_EQ_INT(bound_at(&s, t + 50 * SEC, &st, &ok), 0);
    /* a year of the largest drift is exact; the sum saturates, never wraps */
    s = snap(MO_CB_FREE_RUNNING, 7, 999999999);
    s.void_after_ns = INT64_MAX;
    TEST_EQ_INT(bound_at(&s, t + 365LL * 86400 * SEC, &st, &ok), 7 + 999999999LL * 365 * 86400);
    s.bound_ns = INT64_MAX - 5;
    TEST_EQ_INT(bound_at(&s, t + 10 * SEC, &st, &ok), INT64_MAX);
    s.as_of_ns = 0;
    s.bound_ns = 0;
    /* 9223372036 s x 999999999 ppb, and 854775807 ns of it rounded up */
    TEST_EQ_INT(bound_at(&s, INT64_MAX, &st, &ok), 9223372036LL * 999999999 + 854775807LL);
    s.as_of_ns = INT64_MIN; /* not from parse; the span is held at INT64_MAX ns */
    TEST_EQ_INT(bound_at(&s, INT64_MAX, &st, &ok), 9223372036LL * 999999999 + 854775807LL);

    /* status: synchronized and free-running stay for the grace, then are
     * free-running until void_after, unknown from it */
    s = snap(MO_CB_SYNCHRONIZED, 100, 0);
    bound_at(&s, t + MO_CB_GRACE_NS - 1, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_SYNCHRONIZED);
    bound_at(&s, t + MO_CB_GRACE_NS, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_FREE_RUNNING);
    bound_at(&s, s.void_after_ns - 1, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_FREE_RUNNING);
    TEST_EQ_INT(bound_at(&s, s.void_after_ns, &st, &ok), 100); /* still set */
    TEST_CHECK(!ok && st == MO_CB_UNKNOWN);
    bound_at(&s, s.void_after_ns + 1000 * SEC, &st, &ok);
    TEST_CHECK(!ok && st == MO_CB_UNKNOWN);
    s = snap(MO_CB_FREE_RUNNING, 100, 0);
    bound_at(&s, t, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_FREE_RUNNING);
    bound_at(&s, t + 10 * SEC, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_FREE_RUNNING);
    bound_at(&s, s.void_after_ns, &st, &ok);
    TEST_CHECK(!ok && st == MO_CB_UNKNOWN);
    /* a void_after inside the grace: the grace rules (ClockBound's order) */
    s = snap(MO_CB_SYNCHRONIZED, 100, 0);
    s.void_after_ns = t + SEC;
    bound_at(&s, t + 2 * SEC, &st, &ok);
    TEST_CHECK(ok && st == MO_CB_SYNCHRONIZED);
    bound_at(&s, t + MO_CB_GRACE_NS, &st, &ok);
    TEST_CHECK(!ok && st == MO_CB_UNKNOWN);
    /* unknown and disrupted stay, at any moment; other numbers are unknown */
    int32_t never[] = {MO_CB_UNKNOWN, MO_CB_DISRUPTED, 4, 7, -1, INT32_MIN};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        s = snap(never[i], 100, 1000);
        TEST_EQ_INT(bound_at(&s, t + SEC, &st, &ok), 1100);
        TEST_CHECK(!ok);
        TEST_EQ_INT(st, never[i] == MO_CB_DISRUPTED ? MO_CB_DISRUPTED : MO_CB_UNKNOWN);
        bound_at(&s, t, &st, &ok);
        TEST_CHECK(!ok);
        bound_at(&s, s.void_after_ns + SEC, &st, &ok);
        TEST_CHECK(!ok);
    }

    TEST_EQ_STR(mo_cb_status_name(MO_CB_UNKNOWN), "unknown");
    TEST_EQ_STR(mo_cb_status_name(MO_CB_SYNCHRONIZED), "synchronized");
    TEST_EQ_STR(mo_cb_status_name(MO_CB_FREE_RUNNING), "free_running");
    TEST_EQ_STR(mo_cb_status_name(MO_CB_DISRUPTED), "disrupted");
    TEST_EQ_STR(mo_cb_status_name((enum mo_cb_status)9), "unknown");
    TEST_EQ_STR(mo_cb_state_name(MO_CB_GOOD), "good");
    TEST_EQ_STR(mo_cb_state_name(MO_CB_ABSENT), "absent");
    TEST_EQ_STR(mo_cb_state_name(MO_CB_BAD), "bad");
    TEST_EQ_STR(mo_cb_state_name(MO_CB_STALE), "stale");
}

/* ---- the reader on files ------------------------------------------------ */

static char dir[64];
static char path[128];

/* Writes len bytes of b at the path in place (the same inode, so that a
 * mapping sees them), and makes the file exactly len bytes long. */
static void write_in_place(const uint8_t *b, size_t len)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    TEST_CHECK(fd >= 0);
    TEST_EQ_INT(pwrite(fd, b, len, 0), (ssize_t)len);
    TEST_EQ_INT(ftruncate(fd, (off_t)len), 0);
    close(fd);
}

static void write_seg(const struct seg *g)
{
    uint8_t b[128];
    write_in_place(b, build(g, b));
}

/* Writes the segment to a new file and renames it over the path. */
static void replace_seg(const struct seg *g)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    uint8_t b[128];
    size_t n = build(g, b);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    TEST_CHECK(fd >= 0);
    TEST_EQ_INT(write(fd, b, n), (ssize_t)n);
    close(fd);
    TEST_EQ_INT(rename(tmp, path), 0);
}

static void truncate_to(off_t n) { TEST_EQ_INT(truncate(path, n), 0); }

/* One poll: its state and reason; the snapshot in *s when given. */
static char why[MO_CB_REASON_MAX];
static enum mo_cb_state poll_at(mo_cb_reader *r, int64_t mono, struct mo_cb_snapshot *s)
{
    struct mo_cb_snapshot tmp;
    memset(why, 'x', sizeof why);
    why[sizeof why - 1] = '\0';
    return mo_cb_reader_poll(r, mono, s ? s : &tmp, why, sizeof why);
}

static void test_reader_lifecycle(void)
{
    mo_cb_reader *r;
    TEST_EQ_INT(mo_cb_reader_new(&r, path), 0);
    TEST_EQ_STR(mo_cb_reader_path(r), path);
    struct mo_cb_snapshot s;
    int64_t t = 1000 * SEC;

    /* absent, then it appears */
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_ABSENT);
    TEST_EQ_STR(why, "no such file");
    struct seg g = v2();
    g.as_of_s = 1000;
    g.void_s = 1060;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "");
    TEST_EQ_INT(s.version, 2);
    TEST_EQ_INT(s.generation, 2);
    TEST_EQ_INT(s.as_of_ns, 1000 * SEC + 250);
    TEST_EQ_INT(s.void_after_ns, 1060 * SEC + 250);
    TEST_EQ_INT(s.bound_ns, 350000);
    TEST_EQ_INT(s.max_drift_ppb, 15000);
    TEST_EQ_INT(s.status, MO_CB_SYNCHRONIZED);
    TEST_CHECK(s.disruption_support && s.disruption_marker == 0x0102030405060708ULL);
    /* updates in place, seen through the same mapping; reason may be NULL */
    g.generation = 4;
    g.as_of_s = 1001;
    g.bound = 360000;
    write_seg(&g);
    TEST_EQ_INT(mo_cb_reader_poll(r, t + SEC, &s, NULL, 0), MO_CB_GOOD);
    TEST_EQ_INT(s.bound_ns, 360000);
    TEST_EQ_INT(s.generation, 4);

    /* odd generation: the last snapshot kept for 5 s from the first odd seen */
    t += 2 * SEC;
    g.generation = 5;
    g.bound = 999;
    write_seg(&g);
    memset(&s, 0, sizeof s);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "update in progress");
    TEST_EQ_INT(s.bound_ns, 360000);
    TEST_EQ_INT(s.generation, 4);
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS - 1, &s), MO_CB_GOOD);
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "update in progress for 5 s");
    TEST_EQ_INT(poll_at(r, t + 7 * SEC, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "update in progress for 7 s");
    /* even again, as_of moved: good */
    t += 8 * SEC;
    g.generation = 6;
    g.as_of_s = 1010;
    g.bound = 370000;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "");
    TEST_EQ_INT(s.bound_ns, 370000);

    /* version 0 (ClockBound's writer restarting): kept for 5 s, then stale,
     * then good again when a segment comes back */
    t += SEC;
    struct seg wiped = g;
    wiped.version = 0;
    wiped.generation = 0;
    wiped.bound = 0;
    write_seg(&wiped);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "restarting");
    TEST_EQ_INT(s.bound_ns, 370000);
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS - 1, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "restarting");
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "restarting (version 0) for 5 s");
    /* the writer back: version 2, first with an update in progress, which
     * does not start a new 5 s */
    t += 6 * SEC;
    g.generation = 1;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "update in progress for 6 s");
    g.generation = 2;
    g.as_of_s = 1017;
    g.bound = 380000;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t + SEC, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "");
    TEST_EQ_INT(s.bound_ns, 380000);
    /* and a new restart gets a new 5 s */
    write_seg(&wiped);
    TEST_EQ_INT(poll_at(r, t + 2 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(poll_at(r, t + 6 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(poll_at(r, t + 7 * SEC, &s), MO_CB_STALE);

    /* past void_after: the reader still hands the snapshot over, bound_at
     * says unknown */
    t += 10 * SEC;
    g.generation = 4;
    g.as_of_s = 1027;
    g.void_s = 1040;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    int64_t b;
    enum mo_cb_status st;
    TEST_CHECK(!mo_cb_bound_at(&s, 1040 * SEC + 250, &b, &st));
    TEST_EQ_INT(st, MO_CB_UNKNOWN);
    TEST_CHECK(mo_cb_bound_at(&s, 1040 * SEC + 249, &b, &st));
    TEST_EQ_INT(st, MO_CB_FREE_RUNNING);

    /* removed: absent, and the snapshot forgotten: a restarting file that
     * comes back has nothing to keep */
    TEST_EQ_INT(unlink(path), 0);
    TEST_EQ_INT(poll_at(r, t + SEC, &s), MO_CB_ABSENT);
    TEST_EQ_STR(why, "no such file");
    write_seg(&wiped);
    TEST_EQ_INT(poll_at(r, t + 2 * SEC, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "restarting (version 0), and no earlier snapshot");
    g.generation = 3;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t + 3 * SEC, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "update in progress, and no earlier snapshot");
    mo_cb_reader_free(r);
    mo_cb_reader_free(NULL);
    unlink(path);
}

static void test_reader_as_of(void)
{
    mo_cb_reader *r;
    TEST_EQ_INT(mo_cb_reader_new(&r, path), 0);
    struct mo_cb_snapshot s;
    int64_t t = 5000 * SEC;
    struct seg g = v2();
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t, &s), MO_CB_GOOD);
    /* the writer goes on (generation moves) but as_of does not */
    for (int i = 1; i <= 4; i++) {
        g.generation = (uint16_t)(2 + 2 * i);
        write_seg(&g);
        TEST_EQ_INT(poll_at(r, t + i * SEC, &s), MO_CB_GOOD);
    }
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS - 1, &s), MO_CB_GOOD);
    TEST_EQ_INT(poll_at(r, t + MO_CB_STALE_NS, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "as_of has not moved for 5 s");
    /* a stale snapshot is not brought back by an update in progress */
    g.generation = 13;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t + 6 * SEC, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "as_of has not moved for 6 s");
    /* as_of moves: good */
    g.generation = 14;
    g.as_of_s++;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, t + 7 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.as_of_ns, 101 * SEC + 250);
    mo_cb_reader_free(r);
    unlink(path);
}

/* The copy hook: writes generation and bound through the file, as a writer
 * updating the segment during the reader's copy would. */
struct during {
    uint16_t generation;
    int64_t bound;
    int calls;
};
static void change_during_copy(volatile uint8_t *seg, void *ctx)
{
    struct during *d = ctx;
    uint8_t m[4];
    uint32_t magic;
    for (int i = 0; i < 4; i++) /* the mapped segment itself */
        m[i] = seg[i];
    memcpy(&magic, m, 4);
    TEST_CHECK(magic == 0x414D5A4E);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    TEST_CHECK(fd >= 0);
    TEST_EQ_INT(pwrite(fd, &d->bound, 8, 48), 8);
    TEST_EQ_INT(pwrite(fd, &d->generation, 2, 14), 2);
    close(fd);
    d->calls++;
}

static void test_reader_during_copy(void)
{
    mo_cb_reader *r;
    TEST_EQ_INT(mo_cb_reader_new(&r, path), 0);
    struct mo_cb_snapshot s;
    struct seg g = v2();
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 100 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.bound_ns, 350000);
    /* the writer finishes an update during the copy: the copy is refused */
    g.generation = 4;
    g.bound = 1;
    write_seg(&g);
    struct during d = {.generation = 6, .bound = 420000};
    mo_cb_test_during_copy(change_during_copy, &d);
    TEST_EQ_INT(poll_at(r, 100 * SEC + 1, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "update in progress (generation changed during the copy)");
    TEST_EQ_INT(d.calls, 1);
    TEST_EQ_INT(s.bound_ns, 350000); /* the last snapshot, not the copy (bound 1) */
    TEST_EQ_INT(s.generation, 2);
    mo_cb_test_during_copy(NULL, NULL);
    /* the next poll copies what the writer left */
    g.as_of_s++;
    g.generation = 6;
    g.bound = 420000;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 101 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "");
    TEST_EQ_INT(s.bound_ns, 420000);
    TEST_EQ_INT(d.calls, 1);
    /* with no earlier snapshot, a changed generation is stale at once */
    mo_cb_reader *r2;
    TEST_EQ_INT(mo_cb_reader_new(&r2, path), 0);
    d.generation = 8;
    mo_cb_test_during_copy(change_during_copy, &d);
    TEST_EQ_INT(poll_at(r2, 101 * SEC, &s), MO_CB_STALE);
    TEST_EQ_STR(why, "update in progress, and no earlier snapshot");
    mo_cb_test_during_copy(NULL, NULL);
    mo_cb_reader_free(r2);
    mo_cb_reader_free(r);
    unlink(path);
}

/* A refused file: BAD with its reason; then a good one is good at once. */
static void expect_bad(mo_cb_reader *r, const struct seg *g, size_t len, const char *reason)
{
    uint8_t b[128];
    size_t n = build(g, b);
    write_in_place(b, len ? len : n);
    struct mo_cb_snapshot s = {.version = 42};
    TEST_EQ_INT(poll_at(r, 100 * SEC, &s), MO_CB_BAD);
    TEST_EQ_STR(why, reason);
    TEST_EQ_INT(s.version, 42);
    struct seg ok = v2();
    write_seg(&ok);
    TEST_EQ_INT(poll_at(r, 100 * SEC, &s), MO_CB_GOOD);
}

static void test_reader_refusals(void)
{
    mo_cb_reader *r;
    TEST_EQ_INT(mo_cb_reader_new(&r, path), 0);
    struct seg g = v2();
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 100 * SEC, NULL), MO_CB_GOOD);
    g.magic1 = 0;
    expect_bad(r, &g, 0, "bad magic");
    g = v2();
    g.version = 7;
    expect_bad(r, &g, 0, "version 7 unsupported");
    g = v2();
    g.segsize = 64;
    expect_bad(r, &g, 0, "segment size 64, expected at least 80 (v2)");
    g = v2();
    g.bound = -3;
    expect_bad(r, &g, 0, "bound -3 ns is negative");
    g = v2();
    unlink(path);
    expect_bad(r, &g, 40, "file is 40 bytes, shorter than its segment size 80");
    unlink(path);
    expect_bad(r, &g, 10, "file is 10 bytes, shorter than the header (16)");
    unlink(path);
    expect_bad(r, &g, 15, "file is 15 bytes, shorter than the header (16)");
    /* after a refusal the last snapshot is gone */
    g.magic0 = 1;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 100 * SEC, NULL), MO_CB_BAD);
    g = v2();
    g.generation = 9;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 100 * SEC, NULL), MO_CB_STALE);
    /* a directory at the path */
    unlink(path);
    TEST_EQ_INT(mkdir(path, 0755), 0);
    TEST_EQ_INT(poll_at(r, 100 * SEC, NULL), MO_CB_BAD);
    TEST_EQ_STR(why, "not a regular file");
    rmdir(path);
    /* a v1 file read by the same reader */
    g = v1();
    write_seg(&g);
    struct mo_cb_snapshot s;
    TEST_EQ_INT(poll_at(r, 100 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.version, 1);
    TEST_EQ_INT(s.max_drift_ppb, 15000);
    mo_cb_reader_free(r);
    unlink(path);
}

static void test_reader_file_changes(void)
{
    mo_cb_reader *r;
    TEST_EQ_INT(mo_cb_reader_new(&r, path), 0);
    struct mo_cb_snapshot s;
    struct seg g = v2();
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 100 * SEC, &s), MO_CB_GOOD);

    /* replaced by rename while mapped: the new file's content on the next poll */
    g.bound = 111111;
    g.as_of_s++;
    replace_seg(&g);
    TEST_EQ_INT(poll_at(r, 101 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.bound_ns, 111111);
    /* the kept snapshot carries over a replacement */
    struct seg odd = g;
    odd.generation = 3;
    odd.bound = 5;
    replace_seg(&odd);
    TEST_EQ_INT(poll_at(r, 102 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_STR(why, "update in progress");
    TEST_EQ_INT(s.bound_ns, 111111);
    /* a v1 file in place of a v2 one */
    struct seg old = v1();
    old.as_of_s = 103;
    old.bound = 7777;
    replace_seg(&old);
    TEST_EQ_INT(poll_at(r, 103 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.version, 1);
    TEST_EQ_INT(s.bound_ns, 7777);

    /* truncated under the mapping: refused, no SIGBUS (a page past the end of
     * the file would raise it), and good again once rewritten */
    g = v2();
    g.as_of_s = 104;
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 104 * SEC, &s), MO_CB_GOOD);
    truncate_to(40);
    TEST_EQ_INT(poll_at(r, 104 * SEC, &s), MO_CB_BAD);
    TEST_EQ_STR(why, "file shrank to 40 bytes");
    TEST_EQ_INT(poll_at(r, 104 * SEC, &s), MO_CB_BAD); /* mapped afresh: its own reason */
    TEST_EQ_STR(why, "file is 40 bytes, shorter than its segment size 80");
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 105 * SEC, &s), MO_CB_GOOD);
    truncate_to(0);
    TEST_EQ_INT(poll_at(r, 105 * SEC, &s), MO_CB_BAD);
    TEST_EQ_STR(why, "file shrank to 0 bytes");
    TEST_EQ_INT(poll_at(r, 105 * SEC, &s), MO_CB_BAD);
    TEST_EQ_STR(why, "file is 0 bytes, shorter than the header (16)");
    /* grown in place: mapped again, still good */
    write_seg(&g);
    TEST_EQ_INT(poll_at(r, 106 * SEC, &s), MO_CB_GOOD);
    truncate_to(8192);
    g.as_of_s = 107;
    g.bound = 4242;
    write_seg(&g); /* back to 80 bytes: shrank from 8192 */
    truncate_to(8192);
    TEST_EQ_INT(poll_at(r, 107 * SEC, &s), MO_CB_GOOD);
    TEST_EQ_INT(s.bound_ns, 4242);
    truncate_to(80);
    TEST_EQ_INT(poll_at(r, 107 * SEC, &s), MO_CB_BAD);
    TEST_EQ_STR(why, "file shrank to 80 bytes");
    TEST_EQ_INT(poll_at(r, 108 * SEC, &s), MO_CB_GOOD);
    mo_cb_reader_free(r);
    unlink(path);
}

static void test_mono_coarse(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
    int64_t m = mo_cb_mono_coarse_ns();
    clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
    TEST_CHECK(m >= a.tv_sec * SEC + a.tv_nsec);
    TEST_CHECK(m <= b.tv_sec * SEC + b.tv_nsec);
}

int main(void)
{
    test_tmpdir("test-clockbound", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/shm0", dir);

    test_parse_good();
    test_parse_refusals();
    test_parse_in_flux();
    test_bound_at();
    test_reader_lifecycle();
    test_reader_as_of();
    test_reader_during_copy();
    test_reader_refusals();
    test_reader_file_changes();
    test_mono_coarse();

    unlink(path);
    rmdir(dir);
    return test_result("test-clockbound");
}
