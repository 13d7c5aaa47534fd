/* clockbound.c - fuzz target: a ClockBound segment's bytes (src/lib/clockbound.h).
 *
 * The input is a segment as the file holds it (the seeds are files written by
 * tests/tools/clockbound-write). mo_cb_parse reads it with the file as long
 * as the input, then shorter and longer; what parses goes through
 * mo_cb_bound_at at moments around as_of, the grace, void_after and the ends
 * of int64, and at one taken from the input's last 8 bytes.
 * Properties: only the four results; a reason that fits and is "" exactly on
 * success; *ret untouched unless MO_CB_OK; a parsed snapshot has version 1 or
 * 2, an even generation above 0, bound >= 0, drift below 1e9 ppb, 0 <= as_of
 * <= void_after; a longer file parses the same, a copy shorter than the
 * version's size never does; the bound equals bound_ns + ceil(elapsed x ppb
 * / 1e9) computed in 128 bits (saturated), grows with the moment, and is
 * never below bound_ns; usable only for SYNCHRONIZED or FREE_RUNNING, whose
 * raw status was one of those; nothing synchronized after the grace, nothing
 * usable past both the grace and void_after.
 */
#include <config.h>

#include <stdbool.h>

#include "clockbound.h"
#include "fuzz.h"

#define SEC 1000000000LL

static enum mo_cb_parse_result parse(const uint8_t *data, size_t len, uint64_t file_size,
                                     struct mo_cb_snapshot *s)
{
    char reason[MO_CB_REASON_MAX];
    memset(reason, 'x', sizeof reason);
    struct mo_cb_snapshot before;
    memset(&before, 0xa5, sizeof before);
    *s = before;
    enum mo_cb_parse_result r = mo_cb_parse(data, len, file_size, s, reason, sizeof reason);
    FUZZ_CHECK(r == MO_CB_OK || r == MO_CB_MALFORMED || r == MO_CB_RESTARTING ||
               r == MO_CB_UPDATING);
    FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
    FUZZ_CHECK((r == MO_CB_OK) == (reason[0] == '\0'));
    if (r != MO_CB_OK)
        FUZZ_CHECK(memcmp(s, &before, sizeof before) == 0);
    /* the same with a one-byte reason buffer, and with none */
    char tiny[1] = {'x'};
    struct mo_cb_snapshot t;
    FUZZ_CHECK(mo_cb_parse(data, len, file_size, &t, tiny, sizeof tiny) == r && tiny[0] == '\0');
    FUZZ_CHECK(mo_cb_parse(data, len, file_size, &t, NULL, 0) == r);
    return r;
}

static void check_snapshot(const struct mo_cb_snapshot *s)
{
    FUZZ_CHECK(s->version == 1 || s->version == 2);
    FUZZ_CHECK(s->generation > 0 && s->generation % 2 == 0);
    FUZZ_CHECK(s->bound_ns >= 0);
    FUZZ_CHECK(s->max_drift_ppb < 1000000000U);
    FUZZ_CHECK(s->as_of_ns >= 0 && s->as_of_ns <= s->void_after_ns);
    if (s->version == 1)
        FUZZ_CHECK(s->disruption_marker == 0 && !s->disruption_support);
}

/* The bound at mono, computed apart in 128 bits. */
static int64_t expected_bound(const struct mo_cb_snapshot *s, int64_t mono)
{
    __int128 elapsed = mono > s->as_of_ns ? (__int128)mono - s->as_of_ns : 0;
    if (elapsed > INT64_MAX)
        elapsed = INT64_MAX;
    __int128 b = s->bound_ns + (elapsed * s->max_drift_ppb + SEC - 1) / SEC;
    return b > INT64_MAX ? INT64_MAX : (int64_t)b;
}

static int64_t check_bound_at(const struct mo_cb_snapshot *s, int64_t mono)
{
    int64_t bound = -1;
    enum mo_cb_status st = (enum mo_cb_status)99;
    bool usable = mo_cb_bound_at(s, mono, &bound, &st);
    FUZZ_CHECK(bound >= s->bound_ns);
    FUZZ_CHECK(bound == expected_bound(s, mono));
    FUZZ_CHECK(st == MO_CB_UNKNOWN || st == MO_CB_SYNCHRONIZED || st == MO_CB_FREE_RUNNING ||
               st == MO_CB_DISRUPTED);
    FUZZ_CHECK(usable == (st == MO_CB_SYNCHRONIZED || st == MO_CB_FREE_RUNNING));
    if (usable)
        FUZZ_CHECK(s->status == MO_CB_SYNCHRONIZED || s->status == MO_CB_FREE_RUNNING);
    if (st == MO_CB_SYNCHRONIZED)
        FUZZ_CHECK(s->status == MO_CB_SYNCHRONIZED);
    bool past_grace = (__int128)mono >= (__int128)s->as_of_ns + MO_CB_GRACE_NS;
    if (past_grace)
        FUZZ_CHECK(st != MO_CB_SYNCHRONIZED);
    if (past_grace && mono >= s->void_after_ns)
        FUZZ_CHECK(!usable);
    FUZZ_CHECK(mo_cb_status_name(st) != NULL);
    return bound;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact heap copy, so that a read past the input is caught */
    uint8_t *buf = fuzz_memdup(data, size);
    struct mo_cb_snapshot s, t;
    enum mo_cb_parse_result r = parse(buf, size, size, &s);
    if (r == MO_CB_OK) {
        check_snapshot(&s);
        /* a longer file changes nothing; a copy shorter than the layout fails */
        FUZZ_CHECK(parse(buf, size, (uint64_t)size + 4096, &t) == MO_CB_OK);
        FUZZ_CHECK(memcmp(&s, &t, sizeof s) == 0);
        FUZZ_CHECK(parse(buf, size, UINT64_MAX, &t) == MO_CB_OK);
        size_t need = s.version == 2 ? MO_CB_V2_SIZE : MO_CB_V1_SIZE;
        FUZZ_CHECK(size >= need);
        FUZZ_CHECK(parse(buf, need - 1, size, &t) == MO_CB_MALFORMED);

        int64_t moments[] = {
            INT64_MIN, 0, s.as_of_ns - 1, s.as_of_ns, s.as_of_ns + 1,
            s.as_of_ns + SEC / 3, s.as_of_ns + MO_CB_GRACE_NS - 1,
            s.as_of_ns > INT64_MAX - MO_CB_GRACE_NS ? INT64_MAX : s.as_of_ns + MO_CB_GRACE_NS,
            s.void_after_ns - 1, s.void_after_ns, INT64_MAX - 1, INT64_MAX,
        };
        int64_t last = INT64_MIN;
        for (size_t i = 0; i < sizeof moments / sizeof moments[0]; i++) {
            int64_t b = check_bound_at(&s, moments[i]);
            if (i > 0 && moments[i] >= moments[i - 1])
                FUZZ_CHECK(b >= last); /* the bound never shrinks with time */
            last = b;
        }
        if (size >= 8) {
            int64_t m;
            memcpy(&m, buf + size - 8, 8);
            check_bound_at(&s, m);
        }
    } else {
        /* a shorter file or copy never turns a refusal into a snapshot,
         * except a refusal for an update or a restart, which is judged first */
        if (size > 0 && r == MO_CB_MALFORMED)
            FUZZ_CHECK(parse(buf, size - 1, size - 1, &t) == MO_CB_MALFORMED);
    }
    /* a file shorter than the copy: at most what the shorter file allows */
    if (r == MO_CB_OK)
        FUZZ_CHECK(parse(buf, size, 15, &t) == MO_CB_MALFORMED);
    free(buf);
    return 0;
}
