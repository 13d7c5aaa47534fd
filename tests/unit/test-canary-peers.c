/* Unit tests for other instances' probes per host: one entry per host, lost
 * probes from gaps in an instance's numbers, a new instance on a host
 * starting over without a loss, two instances on one host each keeping their
 * numbering, the bound only where both sides know theirs,
 * a full table making room only from a host silent a whole interval (else
 * the probe is dropped and counted), and the interval's report. */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include "canary/peers.h"
#include "test.h"

#define ID_A "aaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccc"

static struct mo_probe probe(const char *host, const char *id, uint64_t seq, int64_t clock_error_us)
{
    struct mo_probe p = {.seq = seq, .clock_error_us = clock_error_us};
    snprintf(p.host, sizeof p.host, "%s", host);
    snprintf(p.id, sizeof p.id, "%s", id);
    return p;
}

static int rec(struct mo_peers *ps, const char *host, const char *id, uint64_t seq, int64_t lat,
               int64_t clock_error_us, int64_t own_bound_us)
{
    struct mo_probe p = probe(host, id, seq, clock_error_us);
    return mo_peers_record(ps, &p, lat, own_bound_us);
}

static struct mo_peer *entry(struct mo_peers *ps, const char *host)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->v[i].host, host) == 0)
            return &ps->v[i];
    return NULL;
}

/* What the end of an interval reported. */
#define SEEN_MAX (MO_PEERS_MAX + 4)
struct seen {
    size_t n;
    struct {
        char host[MO_PROBE_HOST_MAX + 1];
        char id[MO_PROBE_ID_LEN + 1];
        uint64_t received, lost, count;
        int64_t bound_us, max_us;
    } v[SEEN_MAX];
};

static void on_peer(const struct mo_peer *p, void *ud)
{
    struct seen *s = ud;
    TEST_CHECK(s->n < SEEN_MAX);
    if (s->n >= SEEN_MAX)
        return;
    snprintf(s->v[s->n].host, sizeof s->v[s->n].host, "%s", p->host);
    snprintf(s->v[s->n].id, sizeof s->v[s->n].id, "%s", p->id);
    s->v[s->n].received = p->received;
    s->v[s->n].lost = p->lost;
    s->v[s->n].bound_us = p->bound_us;
    s->v[s->n].count = mo_hist_count(p->hist);
    s->v[s->n].max_us = mo_hist_max(p->hist);
    s->n++;
}

static int seen_index(const struct seen *s, const char *host)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].host, host) == 0)
            return (int)i;
    return -1;
}

static void test_hosts_and_gaps(void)
{
    struct mo_peers ps;
    mo_peers_init(&ps);
    TEST_EQ_INT(ps.n, 0);
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 1, 1000, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "web-2", ID_B, 10, 2000, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 2, 1500, -1, -1), 0);
    TEST_EQ_INT(ps.n, 2);
    struct mo_peer *a = entry(&ps, "web-1"), *b = entry(&ps, "web-2");
    TEST_CHECK(a && b);
    TEST_EQ_STR(a->id, ID_A);
    TEST_EQ_INT(a->received, 2);
    TEST_EQ_INT(a->lost, 0);
    TEST_EQ_INT(a->last_seq, 2);
    TEST_EQ_INT(mo_hist_count(a->hist), 2);
    /* the first probe of an instance is not a gap, whatever its number */
    TEST_EQ_INT(b->received, 1);
    TEST_EQ_INT(b->lost, 0);
    TEST_EQ_INT(b->last_seq, 10);
    /* a gap: 3 and 4 lost */
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 5, 1000, -1, -1), 0);
    TEST_EQ_INT(a->lost, 2);
    TEST_EQ_INT(a->received, 3);
    TEST_EQ_INT(a->last_seq, 5);
    /* an older one arriving after: received, no new loss, the last stays */
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 4, 1000, -1, -1), 0);
    TEST_EQ_INT(a->lost, 2);
    TEST_EQ_INT(a->received, 4);
    TEST_EQ_INT(a->last_seq, 5);
    /* a copy of the last: no loss */
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 5, 1000, -1, -1), 0);
    TEST_EQ_INT(a->lost, 2);
    TEST_EQ_INT(rec(&ps, "web-1", ID_A, 6, 1000, -1, -1), 0);
    TEST_EQ_INT(a->lost, 2);
    TEST_EQ_INT(a->last_seq, 6);
    /* a restarted daemon on web-1: a new id, numbering from 1, no loss */
    TEST_EQ_INT(rec(&ps, "web-1", ID_C, 1, 1000, -1, -1), 0);
    TEST_EQ_INT(ps.n, 2);
    TEST_EQ_STR(a->id, ID_C);
    TEST_EQ_INT(a->last_seq, 1);
    TEST_EQ_INT(a->lost, 2);
    TEST_EQ_INT(a->received, 7);
    TEST_EQ_INT(rec(&ps, "web-1", ID_C, 2, 1000, -1, -1), 0);
    TEST_EQ_INT(a->lost, 2);
    /* the new id's first probe need not be 1 */
    TEST_EQ_INT(rec(&ps, "web-2", ID_A, 500, 1000, -1, -1), 0);
    TEST_EQ_INT(b->lost, 0);
    TEST_EQ_INT(b->last_seq, 500);
    TEST_EQ_INT(rec(&ps, "web-2", ID_A, 503, 1000, -1, -1), 0);
    TEST_EQ_INT(b->lost, 2);
    /* two instances on one host alternating: each switch starts over */
    TEST_EQ_INT(rec(&ps, "web-2", ID_B, 11, 1000, -1, -1), 0);
    TEST_EQ_INT(b->lost, 2);
    TEST_EQ_STR(b->id, ID_B);
    /* latencies: negative ones too (the clocks disagree) */
    TEST_EQ_INT(rec(&ps, "web-2", ID_B, 12, -300, -1, -1), 0);
    TEST_EQ_INT(mo_hist_negative(b->hist), 1);
    TEST_EQ_INT(ps.dropped, 0);
    mo_peers_clear(&ps);
    TEST_EQ_INT(ps.n, 0);
}

static void test_bound(void)
{
    struct mo_peers ps;
    mo_peers_init(&ps);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 1, 10, -1, -1), 0);
    struct mo_peer *e = entry(&ps, "h");
    TEST_EQ_INT(e->bound_us, -1);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 2, 10, 100, -1), 0); /* ours unknown */
    TEST_EQ_INT(e->bound_us, -1);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 3, 10, -1, 50), 0); /* theirs unknown */
    TEST_EQ_INT(e->bound_us, -1);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 4, 10, 100, 50), 0); /* both: the sum */
    TEST_EQ_INT(e->bound_us, 150);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 5, 10, 20, 10), 0); /* narrower: the widest stays */
    TEST_EQ_INT(e->bound_us, 150);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 6, 10, 100, 200), 0);
    TEST_EQ_INT(e->bound_us, 300);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 7, 10, -1, 5000), 0);
    TEST_EQ_INT(e->bound_us, 300);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 8, 10, 0, 0), 0);
    TEST_EQ_INT(e->bound_us, 300);
    struct seen s = {0};
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 1);
    TEST_EQ_INT(s.v[0].bound_us, 300);
    TEST_EQ_INT(e->bound_us, -1); /* per interval */
    /* both zero: a bound of zero, not none */
    TEST_EQ_INT(rec(&ps, "h", ID_A, 9, 10, 0, 0), 0);
    TEST_EQ_INT(e->bound_us, 0);
    mo_peers_clear(&ps);
}

static void test_end_interval(void)
{
    struct mo_peers ps;
    mo_peers_init(&ps);
    TEST_EQ_INT(rec(&ps, "a", ID_A, 1, 100, 5, 5), 0);
    TEST_EQ_INT(rec(&ps, "a", ID_A, 4, 300, 5, 5), 0);
    TEST_EQ_INT(rec(&ps, "b", ID_B, 1, 200, -1, 5), 0);
    TEST_EQ_INT(rec(&ps, "c", ID_C, 1, 200, -1, 5), 0);
    struct seen s = {0};
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 3);
    int ia = seen_index(&s, "a"), ib = seen_index(&s, "b");
    TEST_CHECK(ia >= 0 && ib >= 0);
    if (ia >= 0) {
        TEST_EQ_STR(s.v[ia].id, ID_A);
        TEST_EQ_INT(s.v[ia].received, 2);
        TEST_EQ_INT(s.v[ia].lost, 2);
        TEST_EQ_INT(s.v[ia].count, 2);
        TEST_EQ_INT(s.v[ia].max_us, 300);
        TEST_EQ_INT(s.v[ia].bound_us, 10);
    }
    if (ib >= 0)
        TEST_EQ_INT(s.v[ib].bound_us, -1);
    /* everything of the interval starts again; the numbering goes on */
    for (size_t i = 0; i < ps.n; i++) {
        TEST_EQ_INT(ps.v[i].received, 0);
        TEST_EQ_INT(ps.v[i].lost, 0);
        TEST_EQ_INT(ps.v[i].bound_us, -1);
        TEST_EQ_INT(mo_hist_count(ps.v[i].hist), 0);
        TEST_EQ_INT(ps.v[i].idle_intervals, 0);
    }
    TEST_EQ_INT(entry(&ps, "a")->last_seq, 4);
    /* only the active hosts are reported: a gap across intervals is this one's loss */
    TEST_EQ_INT(rec(&ps, "a", ID_A, 7, 100, -1, -1), 0);
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 1);
    TEST_EQ_STR(s.v[0].host, "a");
    TEST_EQ_INT(s.v[0].received, 1);
    TEST_EQ_INT(s.v[0].lost, 2);
    TEST_EQ_INT(entry(&ps, "b")->idle_intervals, 1);
    TEST_EQ_INT(entry(&ps, "a")->idle_intervals, 0);
    /* nothing at all: no call */
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 0);
    TEST_EQ_INT(entry(&ps, "b")->idle_intervals, 2);
    TEST_EQ_INT(entry(&ps, "a")->idle_intervals, 1);
    /* a silent host that speaks again is active again, its numbering kept */
    TEST_EQ_INT(rec(&ps, "b", ID_B, 2, 100, -1, -1), 0);
    TEST_EQ_INT(entry(&ps, "b")->idle_intervals, 0);
    TEST_EQ_INT(entry(&ps, "b")->lost, 0);
    mo_peers_clear(&ps);

    /* an empty table: no call */
    mo_peers_init(&ps);
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 0);
    mo_peers_clear(&ps);
}

static void test_full(void)
{
    struct mo_peers ps;
    mo_peers_init(&ps);
    char host[32];
    for (int i = 0; i < MO_PEERS_MAX; i++) {
        snprintf(host, sizeof host, "host-%d", i);
        TEST_EQ_INT(rec(&ps, host, ID_A, 1, 10, -1, -1), 0);
    }
    TEST_EQ_INT(ps.n, MO_PEERS_MAX);
    /* full, none silent: the newcomer is dropped and counted, nowhere else */
    TEST_EQ_INT(rec(&ps, "late", ID_B, 1, 10, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "late", ID_B, 2, 10, -1, -1), 0);
    TEST_EQ_INT(ps.dropped, 2);
    TEST_EQ_INT(ps.n, MO_PEERS_MAX);
    TEST_CHECK(entry(&ps, "late") == NULL);
    /* the hosts in the table go on */
    TEST_EQ_INT(rec(&ps, "host-3", ID_A, 2, 10, -1, -1), 0);
    TEST_EQ_INT(entry(&ps, "host-3")->received, 2);
    struct seen s = {0};
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, MO_PEERS_MAX);
    TEST_EQ_INT(seen_index(&s, "late"), -1);
    TEST_EQ_INT(ps.dropped, 0); /* per interval */

    /* an interval in which host-0 and host-5 are silent, host-5 one more */
    for (int i = 0; i < MO_PEERS_MAX; i++) {
        snprintf(host, sizeof host, "host-%d", i);
        if (i != 0 && i != 5)
            TEST_EQ_INT(rec(&ps, host, ID_A, 2 + (i == 3), 10, -1, -1), 0);
    }
    /* silent, but not yet for a whole interval: still no room */
    TEST_EQ_INT(rec(&ps, "late", ID_B, 3, 10, -1, -1), 0);
    TEST_EQ_INT(ps.dropped, 1);
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, MO_PEERS_MAX - 2);
    for (int i = 0; i < MO_PEERS_MAX; i++) {
        snprintf(host, sizeof host, "host-%d", i);
        if (i != 5)
            TEST_EQ_INT(rec(&ps, host, ID_A, 3 + (i == 3), 10, -1, -1), 0);
    }
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(entry(&ps, "host-5")->idle_intervals, 2);
    TEST_EQ_INT(entry(&ps, "host-0")->idle_intervals, 0);
    /* one more silent interval for host-0 alone: 1 whole interval, host-5 three */
    for (int i = 1; i < MO_PEERS_MAX; i++) {
        snprintf(host, sizeof host, "host-%d", i);
        if (i != 5)
            TEST_EQ_INT(rec(&ps, host, ID_A, 4 + (i == 3), 10, -1, -1), 0);
    }
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(entry(&ps, "host-0")->idle_intervals, 1);
    TEST_EQ_INT(entry(&ps, "host-5")->idle_intervals, 3);
    /* the newcomer takes the place of the one silent longest, starting fresh */
    struct mo_peer *old5 = entry(&ps, "host-5");
    TEST_EQ_INT(rec(&ps, "late", ID_B, 40, 77, 3, 4), 0);
    TEST_EQ_INT(ps.dropped, 0);
    TEST_EQ_INT(ps.n, MO_PEERS_MAX);
    TEST_CHECK(entry(&ps, "host-5") == NULL);
    struct mo_peer *late = entry(&ps, "late");
    TEST_CHECK(late == old5);
    TEST_EQ_STR(late->id, ID_B);
    TEST_EQ_INT(late->last_seq, 40);
    TEST_EQ_INT(late->received, 1);
    TEST_EQ_INT(late->lost, 0); /* a first probe: no gap */
    TEST_EQ_INT(late->bound_us, 7);
    TEST_EQ_INT(late->idle_intervals, 0);
    TEST_EQ_INT(mo_hist_count(late->hist), 1);
    TEST_EQ_INT(mo_hist_max(late->hist), 77);
    /* the next newcomer takes host-0's place (silent one whole interval) */
    TEST_EQ_INT(rec(&ps, "later", ID_C, 1, 10, -1, -1), 0);
    TEST_CHECK(entry(&ps, "host-0") == NULL);
    TEST_CHECK(entry(&ps, "later") != NULL);
    /* then there is no room: host-5 coming back is dropped */
    TEST_EQ_INT(rec(&ps, "host-5", ID_A, 9, 10, -1, -1), 0);
    TEST_EQ_INT(ps.dropped, 1);
    TEST_CHECK(entry(&ps, "host-5") == NULL);
    s.n = 0;
    mo_peers_end_interval(&ps, on_peer, &s);
    TEST_EQ_INT(s.n, 2); /* only the newcomers spoke in this interval */
    int il = seen_index(&s, "late");
    TEST_CHECK(il >= 0);
    if (il >= 0) {
        TEST_EQ_INT(s.v[il].received, 1);
        TEST_EQ_INT(s.v[il].count, 1);
    }
    TEST_EQ_INT(ps.dropped, 0);
    mo_peers_clear(&ps);
}

/* Two daemons on one other host: their probes interleave, each keeps its
 * own numbering, and a gap in either is a loss. */
static void test_two_on_one_host(void)
{
    struct mo_peers ps;
    mo_peers_init(&ps);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 1, 100, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "h", ID_B, 1, 100, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "h", ID_A, 2, 100, -1, -1), 0);
    TEST_EQ_INT(rec(&ps, "h", ID_B, 3, 100, -1, -1), 0); /* B's 2 is missing */
    TEST_EQ_INT(rec(&ps, "h", ID_A, 3, 100, -1, -1), 0);
    struct mo_peer *e = entry(&ps, "h");
    TEST_CHECK(e != NULL);
    if (!e)
        return;
    TEST_EQ_INT(ps.n, 1);
    TEST_EQ_INT(e->received, 5);
    TEST_EQ_INT(e->lost, 1);
    TEST_EQ_STR(e->id, ID_A);
    TEST_EQ_INT(e->last_seq, 3);
    mo_peers_clear(&ps);
}

int main(void)
{
    test_two_on_one_host();
    test_hosts_and_gaps();
    test_bound();
    test_end_interval();
    test_full();
    return test_result("test-canary-peers");
}
