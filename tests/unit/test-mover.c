/* Unit tests for the mover (src/daemon/remote/mover.h): make before break,
 * with fake subscriptions, a fake pool, a fake probe call and fake timers, so
 * every path of a move runs with no gRPC call: a probe answered by a message
 * or by the account's limit, refused, silent past its wait, retried with
 * backoff (said at the 1st, 2nd, 4th... failure), cancelled by a reload back,
 * given up when its subscription goes, and drained at the stop.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "clock.h"
#include "log/event.h"
#include "loop.h"
#include "remote/mover.h"
#include "sub/subcall.h"
#include "test.h"

#include "fake-loop.h"
#include "fake-call.h"

/* ---- subscriptions and the pool ---- */

struct mo_sub {
    const char *topic;
    mo_conn *conn;
    int moves; /* mo_sub_stop_to_move calls */
};
const char *mo_sub_cache(const mo_sub *s) { return (void)s, "c"; }
const char *mo_sub_topic(const mo_sub *s) { return s->topic; }
mo_conn *mo_sub_conn(const mo_sub *s) { return s->conn; }
void mo_sub_stop_to_move(mo_sub *s) { s->moves++; }

struct fake_conn {
    bool current;
    const char *target;
    int streams;
};
static const char *pool_target = "new:443";
static int conns_open; /* acquired and not released */
static bool pool_fail; /* the next acquire fails as a connection gRPC would not create */

int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret)
{
    (void)p, (void)opts;
    if (pool_fail) {
        pool_fail = false;
        return -EINVAL;
    }
    struct fake_conn *c = calloc(1, sizeof *c);
    c->current = true;
    c->target = pool_target;
    c->streams = 1;
    conns_open++;
    *ret = (mo_conn *)c;
    return 0;
}
void mo_pool_release(mo_pool *p, mo_conn *conn)
{
    (void)p;
    if (!conn)
        return;
    conns_open--;
    free(conn);
}
bool mo_pool_current(const mo_pool *p, const mo_conn *conn)
{
    (void)p;
    return ((const struct fake_conn *)conn)->current;
}
const char *mo_pool_target(const mo_pool *p, const mo_conn *conn)
{
    (void)p;
    return ((const struct fake_conn *)conn)->target;
}

/* ---- the probe calls (fake-call.h) ---- */

static struct mo_subcall *probe(int i) { return i < fake_n_calls ? fake_calls[i].c : NULL; }
static struct fake_call *call_of(struct mo_subcall *c) { return fake_call_of(c); }
static void answer(struct mo_subcall *c) /* the server's first message: a heartbeat */
{
    fake_deliver(c, grpc_slice_from_static_buffer("\x1a\x00", 2));
}
static void finish(struct mo_subcall *c, grpc_status_code status, const char *details)
{
    fake_finish(c, status, details);
}

/* ---- what the mover said ---- */

static int drained;
static void on_drained(void *ctx)
{
    (void)ctx;
    drained++;
}

static char out_path[] = "/tmp/test-mover-XXXXXX";

/* the events so far, as JSON lines */
static char *events(void)
{
    mo_event_close(MO_USEC_PER_SEC);
    FILE *f = fopen(out_path, "r");
    static char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static const struct mo_sub_settings set = {
    .backoff_initial_us = 100 * MO_USEC_PER_MSEC,
    .backoff_max_us = MO_USEC_PER_SEC,
    .key_source = "API key file /k",
    .target = "new:443",
    .config_path = "/etc/x.yaml",
};

int main(void)
{
    mo_clock_override(fake_mono, NULL);
    int fd = mkstemp(out_path);
    TEST_CHECK(fd >= 0);
    dup2(fd, STDOUT_FILENO); /* the events, JSON lines, to the file */
    close(fd);
    mo_event_set_format(MO_LOG_JSON);

    struct fake_conn old_a = {.current = false, .target = "old:443"}, old_b = old_a, old_c = old_a;
    mo_sub a = {.topic = "a", .conn = (mo_conn *)&old_a}, b = {.topic = "b", .conn = (mo_conn *)&old_b},
           c = {.topic = "c", .conn = (mo_conn *)&old_c};
    mo_mover *mv;
    TEST_EQ_INT(mo_mover_new(NULL, NULL, &set, on_drained, NULL, &mv), 0);
    mo_sub *subs[] = {&a, &b};
    const struct mo_conn_opts opts = {0};

    /* 1. two moves: each proves the new side with a probe first */
    struct mo_mover_begun g = mo_mover_begin(mv, subs, 2, &opts);
    TEST_EQ_INT(g.moving, 2);
    TEST_EQ_INT(g.cancelled, 0);
    TEST_EQ_INT(mo_mover_busy(mv), 2);
    TEST_EQ_INT(fake_opens, 2);
    TEST_EQ_INT(fake_resume_at + fake_page, 0); /* a probe asks for new messages only */
    TEST_EQ_INT(a.moves + b.moves, 0); /* nothing stopped before an answer */
    /* a's probe is answered: cancelled, and once over the old stream stops */
    struct mo_subcall *pa = probe(0), *pb = probe(1);
    answer(pa);
    TEST_CHECK(call_of(pa)->cancelled);
    TEST_EQ_INT(a.moves, 0);
    finish(pa, GRPC_STATUS_CANCELLED, "");
    TEST_EQ_INT(a.moves, 1);
    TEST_EQ_INT(mo_mover_busy(mv), 1);
    mo_conn *to = mo_mover_take(mv, &a);
    TEST_CHECK(to != NULL && mo_pool_target(NULL, to) == pool_target);
    TEST_CHECK(mo_mover_take(mv, &a) == NULL); /* once */
    mo_pool_release(NULL, to);

    /* 2. b's new side refuses: the old stream stays, move_failed, retried
     * after the backoff; said at the 1st, 2nd and 4th failure, not the 3rd */
    finish(pb, GRPC_STATUS_UNAVAILABLE, "failed to connect to all addresses");
    TEST_EQ_INT(b.moves, 0);
    TEST_EQ_INT(mo_mover_busy(mv), 0);
    uint64_t d1 = fake_step(); /* the next probe */
    TEST_CHECK(d1 >= set.backoff_initial_us / 4 && d1 <= set.backoff_initial_us);
    TEST_EQ_INT(fake_opens, 3);
    finish(probe(0), GRPC_STATUS_UNAVAILABLE, "failed to connect to all addresses");
    fake_step();
    finish(probe(0), GRPC_STATUS_UNAVAILABLE, "failed to connect to all addresses");
    fake_step();
    /* 4th: no first message within the probe's wait: cancelled, said as such */
    uint64_t wait = fake_step();
    TEST_EQ_INT(wait, MO_MOVER_PROBE_WAIT_US);
    TEST_CHECK(call_of(probe(0))->cancelled);
    finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(b.moves, 0);
    char *ev = events();
    TEST_EQ_INT(count(ev, "\"event\":\"move_failed\""), 3); /* attempts 1, 2, 4: the 4th's status changed too */
    TEST_EQ_INT(count(ev, "\"attempt\":3"), 0);
    TEST_CHECK(strstr(ev, "\"status\":\"UNAVAILABLE\"") && strstr(ev, "\"from\":\"old:443\"") &&
               strstr(ev, "\"endpoint\":\"new:443\""));
    TEST_CHECK(strstr(ev, "\"status\":\"DEADLINE_EXCEEDED\"") && strstr(ev, "no answer within 2500 ms"));
    TEST_CHECK(strstr(ev, "check that new:443 is the endpoint meant"));
    mo_event_set_format(MO_LOG_JSON);

    /* 3. the account's subscription limit answers too (the place is the old
     * stream's): the move goes ahead; `moved` says it did after failing */
    fake_step();
    finish(probe(0), GRPC_STATUS_RESOURCE_EXHAUSTED, "Too many subscribers (limit: 100)");
    TEST_EQ_INT(b.moves, 1);
    to = mo_mover_take(mv, &b);
    TEST_CHECK(to != NULL);
    mo_pool_release(NULL, to);
    ev = events();
    TEST_EQ_INT(count(ev, "\"event\":\"moved\""), 1);
    TEST_CHECK(strstr(ev, "\"attempts\":5"));
    mo_event_set_format(MO_LOG_JSON);

    /* 4. a rejected key: move_failed with the key's hint; then a reload back
     * (its connection is current again) cancels the move under way */
    mo_sub *one[] = {&c};
    g = mo_mover_begin(mv, one, 1, &opts);
    TEST_EQ_INT(g.moving, 1);
    finish(probe(0), GRPC_STATUS_UNAUTHENTICATED, "Invalid signature");
    ev = events();
    TEST_CHECK(strstr(ev, "\"status\":\"UNAUTHENTICATED\"") && strstr(ev, "API key file /k"));
    mo_event_set_format(MO_LOG_JSON);
    fake_step(); /* probing again */
    TEST_EQ_INT(mo_mover_busy(mv), 1);
    old_c.current = true; /* the pool: back to the settings c runs on */
    g = mo_mover_begin(mv, one, 1, &opts);
    TEST_EQ_INT(g.moving, 0);
    TEST_EQ_INT(g.cancelled, 1);
    TEST_CHECK(call_of(probe(0))->cancelled); /* the probe in flight goes */
    finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(mo_mover_busy(mv), 0);
    TEST_EQ_INT(fake_n_armed, 0); /* no retry left */
    TEST_EQ_INT(c.moves, 0);
    TEST_EQ_INT(conns_open, 0); /* its new connection released */
    TEST_CHECK(mo_mover_take(mv, &c) == NULL);

    /* 5. a subscription removed while its probe is in flight, and a probe
     * that could not start (said from the loop, then retried) */
    old_c.current = false;
    mo_mover_begin(mv, one, 1, &opts);
    TEST_CHECK(mo_mover_take(mv, &c) == NULL); /* not switching: nothing to restart */
    TEST_CHECK(call_of(probe(0))->cancelled);
    finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(conns_open, 0);
    fake_fail_open = true;
    mo_mover_begin(mv, one, 1, &opts);
    TEST_EQ_INT(fake_n_calls, 0);
    fake_step(); /* the failure, from the loop: a retry armed */
    TEST_EQ_INT(fake_n_armed, 1);
    TEST_EQ_INT(mo_mover_busy(mv), 0);

    /* 5b. a move that cannot be set up: move_failed (attempt 0), and the move
     * already under way goes on */
    pool_fail = true;
    TEST_EQ_INT(mo_mover_begin(mv, one, 1, &opts).moving, 0);
    TEST_EQ_INT(fake_n_armed, 1); /* the retry of the move under way, still armed */
    ev = events();
    TEST_CHECK(strstr(ev, "\"attempt\":0") && strstr(ev, "cannot set up a connection for the move"));
    mo_event_set_format(MO_LOG_JSON);

    /* 6. the stop: probes cancelled; drained once the last is over */
    fake_step(); /* probing again */
    mo_sub *both[] = {&a, &b};
    a.conn = (mo_conn *)&old_a, b.conn = (mo_conn *)&old_b;
    mo_mover_begin(mv, both, 2, &opts);
    TEST_EQ_INT(mo_mover_busy(mv), 3);
    mo_mover_stop(mv);
    TEST_EQ_INT(drained, 0);
    while (fake_n_calls > 0)
        finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(drained, 1);
    TEST_EQ_INT(mo_mover_busy(mv), 0);
    TEST_EQ_INT(conns_open, 0);
    TEST_EQ_INT(fake_n_armed, 0);
    TEST_EQ_INT(a.moves + b.moves + c.moves, 2); /* a and b once each, in 1 and 3 */
    mo_mover_free(mv);
    mo_event_close(MO_USEC_PER_SEC);
    unlink(out_path);
    return test_result("test-mover");
}
