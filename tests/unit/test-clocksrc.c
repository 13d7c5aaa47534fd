/* Unit tests for the clock source (src/lib/clocksrc.c): which source a
 * reading takes for each configuration, ClockBound's bound held for
 * MO_CLOCKSRC_HOLD_NS and rounded up to µs, the fall-back to adjtimex with
 * the reason, and the order of the default paths.
 *
 * clocksrc.c is included, not linked, with the two default paths pointed
 * into a temporary directory: the test never looks at /var/run/clockbound.
 * The segments are files written here with as_of on the real
 * CLOCK_MONOTONIC_COARSE, which the module reads. adjtimex is the
 * machine's: the test only checks that the reading carries what it said. */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clockbound.h"
#include "test.h"

static char v2_path[128], v1_path[128];
#undef MO_CB_PATH_V2
#undef MO_CB_PATH_V1
#define MO_CB_PATH_V2 v2_path
#define MO_CB_PATH_V1 v1_path
#include "src/lib/clocksrc.c"

#define SEC 1000000000LL

static char dir[64], path[128];

static int64_t mono_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

struct seg {
    int version;          /* 1 or 2 */
    int64_t as_of;        /* ns */
    int64_t void_after;   /* ns */
    int64_t bound;
    uint32_t drift;
    int32_t status;
    uint32_t magic0;
};

/* A good v2 segment as of now, void a minute later. */
static struct seg seg_now(void)
{
    int64_t now = mono_coarse();
    return (struct seg){.version = 2, .as_of = now, .void_after = now + 60 * SEC,
                        .bound = 350000, .status = MO_CB_SYNCHRONIZED, .magic0 = MO_CB_MAGIC0};
}

/* Writes the segment at p, at clockbound.h's offsets. */
static void write_seg(const char *p, const struct seg *g)
{
    uint8_t b[80] = {0};
    uint32_t m1 = MO_CB_MAGIC1, size = g->version == 2 ? 80 : 72;
    uint16_t v = (uint16_t)g->version, gen = 2;
    int64_t t[4] = {g->as_of / SEC, g->as_of % SEC, g->void_after / SEC, g->void_after % SEC};
    memcpy(b, &g->magic0, 4);
    memcpy(b + 4, &m1, 4);
    memcpy(b + 8, &size, 4);
    memcpy(b + 12, &v, 2);
    memcpy(b + 14, &gen, 2);
    memcpy(b + 16, t, sizeof t);
    memcpy(b + 48, &g->bound, 8);
    memcpy(b + (g->version == 2 ? 64 : 56), &g->drift, 4);
    memcpy(b + 64 + (g->version == 2 ? 4 : 0), &g->status, 4);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    TEST_CHECK(fd >= 0);
    TEST_EQ_INT(pwrite(fd, b, size, 0), (ssize_t)size);
    TEST_EQ_INT(ftruncate(fd, size), 0);
    close(fd);
}

static struct mo_clock_reading read_once(enum mo_clock_config cfg, const char *p)
{
    mo_clocksrc *c;
    struct mo_clock_reading r;
    TEST_EQ_INT(mo_clocksrc_new(&c, cfg, p), 0);
    TEST_EQ_INT(mo_clocksrc_config(c), cfg);
    mo_clocksrc_read(c, &r);
    static char cb_path[128]; /* r.cb_path is the source's, gone with it */
    if (r.cb_path) {
        snprintf(cb_path, sizeof cb_path, "%s", r.cb_path);
        r.cb_path = cb_path;
    }
    mo_clocksrc_free(c);
    return r;
}

/* The reading fell back to adjtimex and says what the kernel said. */
static void expect_adjtimex(const struct mo_clock_reading *r)
{
    TEST_EQ_INT(r->source, MO_SOURCE_ADJTIMEX);
    TEST_EQ_INT(r->bound_us, r->kernel.error_us >= 0 ? r->kernel.error_us : -1);
    TEST_EQ_INT(r->status, r->kernel.synced ? MO_CB_SYNCHRONIZED : MO_CB_UNKNOWN);
}

static void test_names(void)
{
    TEST_EQ_STR(mo_clocksrc_source_name(MO_SOURCE_CLOCKBOUND), "clockbound");
    TEST_EQ_STR(mo_clocksrc_source_name(MO_SOURCE_ADJTIMEX), "adjtimex");
    TEST_EQ_STR(mo_clocksrc_config_name(MO_CLOCK_AUTO), "auto");
    TEST_EQ_STR(mo_clocksrc_config_name(MO_CLOCK_CLOCKBOUND), "clockbound");
    TEST_EQ_STR(mo_clocksrc_config_name(MO_CLOCK_ADJTIMEX), "adjtimex");
    mo_clocksrc_free(NULL);
}

static void test_adjtimex_config(void)
{
    /* a good segment at the path, and at both defaults: never looked at */
    struct seg g = seg_now();
    write_seg(path, &g);
    write_seg(v2_path, &g);
    write_seg(v1_path, &g);
    struct mo_clock_reading r = read_once(MO_CLOCK_ADJTIMEX, path);
    expect_adjtimex(&r);
    TEST_CHECK(!r.cb_looked);
    TEST_CHECK(r.cb_path == NULL);
    TEST_EQ_STR(r.cb_reason, "");
    mo_clocksrc *c;
    TEST_EQ_INT(mo_clocksrc_new(&c, MO_CLOCK_ADJTIMEX, NULL), 0);
    TEST_EQ_INT(c->n, 0); /* no reader at all */
    mo_clocksrc_read(c, &r);
    expect_adjtimex(&r);
    mo_clocksrc_free(c);
    unlink(path);
    unlink(v2_path);
    unlink(v1_path);
}

static void test_clockbound_used(void)
{
    enum mo_clock_config cfgs[] = {MO_CLOCK_AUTO, MO_CLOCK_CLOCKBOUND};
    for (size_t i = 0; i < 2; i++) {
        struct seg g = seg_now();
        write_seg(path, &g);
        struct mo_clock_reading r = read_once(cfgs[i], path);
        TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
        TEST_EQ_INT(r.bound_us, 350); /* no drift: exact */
        TEST_EQ_INT(r.status, MO_CB_SYNCHRONIZED);
        TEST_CHECK(r.cb_looked);
        TEST_EQ_INT(r.cb_state, MO_CB_GOOD);
        TEST_EQ_STR(r.cb_path, path);
        TEST_EQ_STR(r.cb_reason, "");
        TEST_EQ_INT(r.snap.bound_ns, 350000);
        TEST_EQ_INT(r.snap.as_of_ns, g.as_of);
        TEST_CHECK(r.kernel.error_us >= -1); /* adjtimex is read whatever the source */
    }
    /* µs rounded up */
    struct seg g = seg_now();
    g.bound = 350001;
    write_seg(path, &g);
    struct mo_clock_reading r = read_once(MO_CLOCK_AUTO, path);
    TEST_EQ_INT(r.bound_us, 351);
    g.bound = 0;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_AUTO, path);
    TEST_EQ_INT(r.bound_us, 0);
    /* a v1 segment */
    g = seg_now();
    g.version = 1;
    g.status = MO_CB_FREE_RUNNING;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_CLOCKBOUND, path);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_INT(r.status, MO_CB_FREE_RUNNING);
    TEST_EQ_INT(r.snap.version, 1);
    unlink(path);
}

static void test_hold(void)
{
    /* the bound holds until the next reading: drift for HOLD beyond now
     * (1 ms/s x 1.5 s = 1500 µs, and a few µs for the time the test takes) */
    struct seg g = seg_now();
    g.drift = 1000000;
    write_seg(path, &g);
    struct mo_clock_reading r = read_once(MO_CLOCK_AUTO, path);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_CHECK(r.bound_us >= 350 + MO_CLOCKSRC_HOLD_NS / 1000000);
    TEST_CHECK(r.bound_us <= 350 + MO_CLOCKSRC_HOLD_NS / 1000000 + 50);
    /* 4 s after as_of: synchronized now, free-running at now + HOLD (past
     * the 5 s grace); usable, and the status reported is now's */
    g = seg_now();
    g.as_of -= 4 * SEC;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_AUTO, path);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_INT(r.status, MO_CB_SYNCHRONIZED);
    /* void_after 1 s from now: usable now, not for the whole HOLD */
    g = seg_now();
    g.as_of -= 10 * SEC;
    g.void_after = g.as_of + 11 * SEC;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_AUTO, path);
    expect_adjtimex(&r);
    TEST_EQ_INT(r.cb_state, MO_CB_GOOD);
    TEST_EQ_STR(r.cb_reason, "unknown: past void_after, or within the 1500 ms a reading holds");
    /* void_after 3 s from now: free-running, usable */
    g.void_after = g.as_of + 13 * SEC;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_AUTO, path);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_INT(r.status, MO_CB_FREE_RUNNING);
    unlink(path);
}

static void test_fallback(void)
{
    /* configured but absent: adjtimex, and why */
    struct mo_clock_reading r = read_once(MO_CLOCK_CLOCKBOUND, path);
    expect_adjtimex(&r);
    TEST_CHECK(r.cb_looked);
    TEST_EQ_INT(r.cb_state, MO_CB_ABSENT);
    TEST_EQ_STR(r.cb_path, path);
    TEST_EQ_STR(r.cb_reason, "no such file");
    r = read_once(MO_CLOCK_AUTO, path);
    expect_adjtimex(&r);
    TEST_EQ_INT(r.cb_state, MO_CB_ABSENT);
    /* a segment that is not one */
    struct seg g = seg_now();
    g.magic0 = 0;
    write_seg(path, &g);
    r = read_once(MO_CLOCK_AUTO, path);
    expect_adjtimex(&r);
    TEST_EQ_INT(r.cb_state, MO_CB_BAD);
    TEST_EQ_STR(r.cb_reason, "bad magic");
    /* good segments whose status is not one to use */
    struct {
        int32_t status;
        const char *reason;
    } cases[] = {
        {MO_CB_UNKNOWN, "status unknown"},
        {MO_CB_DISRUPTED, "status disrupted"},
        {7, "status 7 is not one ClockBound defines"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g = seg_now();
        g.status = cases[i].status;
        write_seg(path, &g);
        r = read_once(MO_CLOCK_CLOCKBOUND, path);
        expect_adjtimex(&r);
        TEST_EQ_INT(r.cb_state, MO_CB_GOOD);
        TEST_EQ_STR(r.cb_reason, cases[i].reason);
    }
    unlink(path);
}

static void test_default_paths(void)
{
    struct mo_clock_reading r;
    /* none: the last one tried */
    r = read_once(MO_CLOCK_AUTO, NULL);
    expect_adjtimex(&r);
    TEST_EQ_INT(r.cb_state, MO_CB_ABSENT);
    TEST_EQ_STR(r.cb_path, v1_path);
    /* v1 only */
    struct seg g = seg_now();
    g.version = 1;
    g.bound = 1000;
    write_seg(v1_path, &g);
    r = read_once(MO_CLOCK_AUTO, NULL);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_STR(r.cb_path, v1_path);
    TEST_EQ_INT(r.bound_us, 1);
    /* v2 too: v2 first */
    g = seg_now();
    g.bound = 2000;
    write_seg(v2_path, &g);
    r = read_once(MO_CLOCK_CLOCKBOUND, NULL);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_STR(r.cb_path, v2_path);
    TEST_EQ_INT(r.bound_us, 2);
    /* v2 not usable (a leftover): v1 is */
    g.status = MO_CB_UNKNOWN;
    write_seg(v2_path, &g);
    r = read_once(MO_CLOCK_AUTO, NULL);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    TEST_EQ_STR(r.cb_path, v1_path);
    TEST_EQ_INT(r.bound_us, 1);
    /* neither usable: the one that exists says why */
    unlink(v1_path);
    r = read_once(MO_CLOCK_AUTO, NULL);
    expect_adjtimex(&r);
    TEST_EQ_INT(r.cb_state, MO_CB_GOOD);
    TEST_EQ_STR(r.cb_path, v2_path);
    TEST_EQ_STR(r.cb_reason, "status unknown");
    g.magic0 = 5;
    write_seg(v2_path, &g);
    r = read_once(MO_CLOCK_AUTO, NULL);
    TEST_EQ_INT(r.cb_state, MO_CB_BAD);
    TEST_EQ_STR(r.cb_path, v2_path);
    TEST_EQ_STR(r.cb_reason, "bad magic");
    unlink(v2_path);
    /* one source read every second: the readers keep their state between
     * readings (a stale as_of is noticed only across readings) */
    mo_clocksrc *c;
    TEST_EQ_INT(mo_clocksrc_new(&c, MO_CLOCK_AUTO, path), 0);
    g = seg_now();
    write_seg(path, &g);
    mo_clocksrc_read(c, &r);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    unlink(path);
    mo_clocksrc_read(c, &r);
    TEST_EQ_INT(r.cb_state, MO_CB_ABSENT);
    write_seg(path, &g);
    mo_clocksrc_read(c, &r);
    TEST_EQ_INT(r.source, MO_SOURCE_CLOCKBOUND);
    mo_clocksrc_free(c);
    unlink(path);
}

int main(void)
{
    test_tmpdir("test-clocksrc", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/configured", dir);
    snprintf(v2_path, sizeof v2_path, "%s/shm0", dir);
    snprintf(v1_path, sizeof v1_path, "%s/shm", dir);

    test_names();
    test_adjtimex_config();
    test_clockbound_used();
    test_hold();
    test_fallback();
    test_default_paths();

    rmdir(dir);
    return test_result("test-clocksrc");
}
