/* Unit tests for the mover (src/daemon/remote/mover.h): make before break,
 * with fake subscriptions, a fake pool, a fake probe call and fake timers, so
 * every path of a move runs with no gRPC call: a probe answered by a message
 * or by the account's limit, refused, silent past its wait, retried with
 * backoff (said at the 1st, 2nd, 4th... failure), cancelled by a reload back,
 * given up when its subscription goes, and drained at the stop.
 */
#include <config.h>

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

/* ---- clock and timers ---- */

static uint64_t now_us = 5000 * MO_USEC_PER_SEC;
static uint64_t fake_mono(void) { return now_us; }

#define MAX_TIMERS 32
static mo_timer *armed[MAX_TIMERS];
static size_t n_armed;

grpc_completion_queue *mo_loop_cq(mo_loop *loop)
{
    (void)loop;
    return NULL;
}
void mo_timer_init(mo_timer *t, mo_timer_fn fn)
{
    t->fn = fn;
    t->slot = 0;
}
void mo_timer_stop(mo_loop *loop, mo_timer *t)
{
    (void)loop;
    for (size_t i = 0; i < n_armed; i++)
        if (armed[i] == t) {
            armed[i] = armed[--n_armed];
            break;
        }
    t->slot = 0;
}
void mo_timer_start_at(mo_loop *loop, mo_timer *t, uint64_t due)
{
    mo_timer_stop(loop, t);
    t->due_us = due;
    t->slot = 1;
    if (n_armed < MAX_TIMERS)
        armed[n_armed++] = t;
}
void mo_timer_start(mo_loop *loop, mo_timer *t, uint64_t delay) { mo_timer_start_at(loop, t, now_us + delay); }

/* the earliest armed timer alone; returns its delay from now */
static uint64_t step(void)
{
    mo_timer *next = NULL;
    for (size_t i = 0; i < n_armed; i++)
        if (!next || armed[i]->due_us < next->due_us)
            next = armed[i];
    TEST_CHECK(next != NULL);
    if (!next)
        return 0;
    uint64_t delay = next->due_us > now_us ? next->due_us - now_us : 0;
    now_us += delay;
    mo_timer_stop(NULL, next);
    next->fn(next);
    return delay;
}

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

int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret)
{
    (void)p, (void)opts;
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

/* ---- the probe calls ---- */

#define MAX_CALLS 8
static struct call {
    struct mo_subcall *c;
    bool recv_armed, cancelled;
} calls[MAX_CALLS];
static int n_calls, opens;
static bool fail_open;
static int a_call;

static struct call *call_of(struct mo_subcall *c)
{
    for (int i = 0; i < n_calls; i++)
        if (calls[i].c == c)
            return &calls[i];
    return NULL;
}

void mo_subcall_init(struct mo_subcall *c) { c->details = grpc_empty_slice(); }
bool mo_subcall_open(struct mo_subcall *c, mo_conn *conn, grpc_completion_queue *cq, const char *cache,
                     const char *topic, uint64_t resume_at, uint64_t page)
{
    (void)conn, (void)cq, (void)cache, (void)topic;
    TEST_EQ_INT(resume_at, 0); /* a probe asks for new messages only */
    TEST_EQ_INT(page, 0);
    opens++;
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->status = GRPC_STATUS_OK;
    c->local_failure[0] = '\0';
    c->pending = 0;
    if (fail_open) {
        fail_open = false;
        snprintf(c->local_failure, sizeof c->local_failure, "could not create the call (test)");
        return false;
    }
    c->call = (grpc_call *)&a_call;
    c->pending = 3;
    calls[n_calls++] = (struct call){.c = c, .recv_armed = true};
    return true;
}
void mo_subcall_refused(struct mo_subcall *c, grpc_call_error e) { (void)c, (void)e; }
void mo_subcall_cancel(struct mo_subcall *c, grpc_status_code status, const char *why)
{
    (void)status, (void)why;
    struct call *k = call_of(c);
    TEST_CHECK(k != NULL);
    if (k)
        k->cancelled = true;
}
void mo_subcall_release(struct mo_subcall *c)
{
    TEST_EQ_INT(c->pending, 0);
    c->call = NULL;
    if (c->recv) {
        grpc_byte_buffer_destroy(c->recv);
        c->recv = NULL;
    }
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);
    c->details = grpc_empty_slice();
    for (int i = 0; i < n_calls; i++)
        if (calls[i].c == c) {
            calls[i] = calls[--n_calls];
            break;
        }
}

/* the newest probe of topic t's move: the last opened (tests keep one per step) */
static struct mo_subcall *probe(int i) { return i < n_calls ? calls[i].c : NULL; }

static void answer(struct mo_subcall *c) /* the server's first message: a heartbeat */
{
    struct call *k = call_of(c);
    grpc_slice hb = grpc_slice_from_static_buffer("\x1a\x00", 2);
    c->recv = grpc_raw_byte_buffer_create(&hb, 1);
    k->recv_armed = false;
    c->tag_recv.fn(&c->tag_recv, true);
}

static void finish(struct mo_subcall *c, grpc_status_code status, const char *details)
{
    struct call *k = call_of(c);
    TEST_CHECK(k != NULL);
    if (!k)
        return;
    if (k->cancelled) {
        status = GRPC_STATUS_CANCELLED;
        details = "Cancelled";
    }
    c->status = status;
    grpc_slice_unref(c->details);
    c->details = grpc_slice_from_copied_string(details);
    mo_tag *recv = &c->tag_recv, *start = &c->tag_start, *st = &c->tag_status;
    if (k->recv_armed) {
        k->recv_armed = false;
        recv->fn(recv, false);
    }
    start->fn(start, true);
    st->fn(st, true);
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
    TEST_EQ_INT(opens, 2);
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
    uint64_t d1 = step(); /* the next probe */
    TEST_CHECK(d1 >= set.backoff_initial_us / 4 && d1 <= set.backoff_initial_us);
    TEST_EQ_INT(opens, 3);
    finish(probe(0), GRPC_STATUS_UNAVAILABLE, "failed to connect to all addresses");
    step();
    finish(probe(0), GRPC_STATUS_UNAVAILABLE, "failed to connect to all addresses");
    step();
    /* 4th: no first message within the probe's wait: cancelled, said as such */
    uint64_t wait = step();
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
    step();
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
    step(); /* probing again */
    TEST_EQ_INT(mo_mover_busy(mv), 1);
    old_c.current = true; /* the pool: back to the settings c runs on */
    g = mo_mover_begin(mv, one, 1, &opts);
    TEST_EQ_INT(g.moving, 0);
    TEST_EQ_INT(g.cancelled, 1);
    TEST_CHECK(call_of(probe(0))->cancelled); /* the probe in flight goes */
    finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(mo_mover_busy(mv), 0);
    TEST_EQ_INT(n_armed, 0); /* no retry left */
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
    fail_open = true;
    mo_mover_begin(mv, one, 1, &opts);
    TEST_EQ_INT(n_calls, 0);
    step(); /* the failure, from the loop: a retry armed */
    TEST_EQ_INT(n_armed, 1);
    TEST_EQ_INT(mo_mover_busy(mv), 0);

    /* 6. the stop: probes cancelled; drained once the last is over */
    step(); /* probing again */
    mo_sub *both[] = {&a, &b};
    a.conn = (mo_conn *)&old_a, b.conn = (mo_conn *)&old_b;
    mo_mover_begin(mv, both, 2, &opts);
    TEST_EQ_INT(mo_mover_busy(mv), 3);
    mo_mover_stop(mv);
    TEST_EQ_INT(drained, 0);
    while (n_calls > 0)
        finish(probe(0), GRPC_STATUS_OK, "");
    TEST_EQ_INT(drained, 1);
    TEST_EQ_INT(mo_mover_busy(mv), 0);
    TEST_EQ_INT(conns_open, 0);
    TEST_EQ_INT(n_armed, 0);
    TEST_EQ_INT(a.moves + b.moves + c.moves, 2); /* a and b once each, in 1 and 3 */
    mo_mover_free(mv);
    mo_event_close(MO_USEC_PER_SEC);
    unlink(out_path);
    return test_result("test-mover");
}
