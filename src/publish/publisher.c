/* publisher.c - open-loop publishing over several connections, with latency statistics. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/time.h>

#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "hist.h"
#include "publisher.h"
#include "pubsub.h"
#include "rpc.h"
#include "secret.h"
#include "unary.h"
#include "util.h"

#define N_STATUS (GRPC_STATUS_UNAUTHENTICATED + 1)

/* One publish: a unary call with its six ops in one batch (src/lib/TRANSPORT.md §7). */
struct pub_call {
    mo_tag tag;
    publisher *p;
    struct mo_unary u; /* u.call NULL when the slot is free */
    struct pub_conn *conn;
    uint64_t seq;
    uint64_t start_us;
    struct pub_call *older, *newer; /* in-flight list, oldest first, until expired */
    bool listed;
    struct pub_call *next_free;
};

struct pub_conn {
    mo_tag watch_tag; /* connectivity watch while warming up */
    publisher *p;
    mo_conn *conn;
    bool settled; /* READY, failed or timed out during warm-up */
};

enum pub_state {
    PUB_IDLE,
    PUB_CONNECTING, /* waiting for the connections before taking t0 */
    PUB_RUNNING,
    PUB_DRAINING, /* no more scheduling; waiting for publishes in flight */
    PUB_DONE,
};

struct publisher {
    mo_loop *loop;
    struct publisher_opts o;
    char target[512];
    enum pub_state state;

    struct pub_conn *conns;
    unsigned nconns, unsettled, rr;

    struct pub_call *calls;
    struct pub_call *free_calls;
    unsigned in_flight;
    struct pub_call *oldest, *newest; /* in start order, so in deadline order */
    mo_timer expiry;

    char *buf; /* payload under construction */
    bool clock_read;           /* the clock was read, at clock_read_us */
    uint64_t clock_read_us;
    int64_t clock_bound_us;    /* of that reading */
    size_t buf_cap;

    mo_timer tick; /* next due message */
    uint64_t t0_us, end_us;
    uint64_t warmup_until_us;
    uint64_t next;  /* index of the next message to send (seq = next + 1) */
    double us_per_msg;

    mo_hist *latency; /* us, successful publishes */
    mo_hist *behind;  /* us, start minus due time (rate only) */
    uint64_t ok, failed;
    uint64_t by_status[N_STATUS + 1]; /* last slot: codes outside the known range */
    unsigned logged;
    bool fatal_seen;
};

static void pump(publisher *p);

/* ---- deadlines ----
 *
 * Every publish has the same timeout, so the calls in flight, in start order,
 * are also in deadline order and one timer at the oldest deadline covers them
 * all. This replaces gRPC's per-call deadline, whose timer costs about a sixth
 * of the client CPU of a publish; an expired call is cancelled with the status
 * gRPC would give it. (No grpc-timeout header goes out then: the service does
 * not need one for a unary call that answers at once.) */

static void list_remove(publisher *p, struct pub_call *c)
{
    if (!c->listed)
        return;
    c->listed = false;
    if (c->older)
        c->older->newer = c->newer;
    else
        p->oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        p->newest = c->older;
    c->older = c->newer = NULL;
}

static void list_append(publisher *p, struct pub_call *c)
{
    c->listed = true;
    c->newer = NULL;
    c->older = p->newest;
    if (p->newest)
        p->newest->newer = c;
    else
        p->oldest = c;
    p->newest = c;
    if (!mo_timer_armed(&p->expiry))
        mo_timer_start_at(p->loop, &p->expiry, c->start_us + p->o.timeout_us);
}

static void on_expiry(mo_timer *t)
{
    publisher *p = container_of(t, publisher, expiry);
    uint64_t now = mo_mono_us();
    while (p->oldest && p->oldest->start_us + p->o.timeout_us <= now) {
        struct pub_call *c = p->oldest;
        list_remove(p, c);
        grpc_call_cancel_with_status(c->u.call, GRPC_STATUS_DEADLINE_EXCEEDED, "Deadline Exceeded",
                                     NULL);
    }
    if (p->oldest)
        mo_timer_start_at(p->loop, &p->expiry, p->oldest->start_us + p->o.timeout_us);
}

/* ---- completion ---- */

static void finish_if_done(publisher *p)
{
    if (p->state != PUB_DRAINING || p->in_flight > 0)
        return;
    p->state = PUB_DONE;
    p->end_us = mo_mono_us();
    mo_loop_quit(p->loop);
}

static void drain(publisher *p)
{
    if (p->state == PUB_DONE)
        return;
    mo_timer_stop(p->loop, &p->tick);
    if (p->state == PUB_IDLE || p->state == PUB_CONNECTING)
        p->t0_us = mo_mono_us();
    p->state = PUB_DRAINING;
    finish_if_done(p);
}

/* Failures that every later publish would repeat: stop rather than count a
 * million of them. A service that cannot be reached before anything got
 * through is one of them; once publishes succeeded, outages are counted. */
static bool failure_is_final(const publisher *p, grpc_status_code s, const char *err_md)
{
    switch (s) {
    case GRPC_STATUS_UNAUTHENTICATED:
    case GRPC_STATUS_PERMISSION_DENIED:
    case GRPC_STATUS_NOT_FOUND:
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_UNIMPLEMENTED:
        return true;
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return p->ok == 0;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        /* every message has the same size; rate limits are worth counting */
        return strcmp(err_md, "item_size_limit_exceeded") == 0 ||
               strcmp(err_md, "request_size_limit_exceeded") == 0;
    default:
        return false;
    }
}

static void record_failure(publisher *p, struct pub_call *c)
{
    p->failed++;
    grpc_status_code status = c->u.status;
    p->by_status[(unsigned)status < N_STATUS ? (unsigned)status : N_STATUS]++;

    char err_md[128] = "";
    mo_md_copy(&c->u.trail_md, "err", err_md, sizeof err_md);
    _cleanup_free_ char *details = mo_slice_strdup(c->u.details);
    if (details) /* what a server sends can hold anything, a key included */
        mo_secret_scrub(details, strlen(details), details, strlen(details) + 1);

    if (p->logged < p->o.log_errors) {
        p->logged++;
        mo_warn("publish #%llu to %s failed: %s: %s%s%s%s", (unsigned long long)c->seq, p->target,
                mo_status_name(status), details && *details ? details : "(no details)",
                *err_md ? " (err=" : "", err_md, *err_md ? ")" : "");
    } else if (p->logged == p->o.log_errors) {
        p->logged++;
        mo_warn("more publishes failed; they are counted in the closing line, not described");
    }
    if (!p->fatal_seen && failure_is_final(p, status, err_md)) {
        p->fatal_seen = true;
        if (p->state == PUB_RUNNING) {
            mo_warn("stopping: further publishes would fail the same way");
            drain(p);
        }
    }
}

static void on_publish_done(mo_tag *tag, bool ok)
{
    struct pub_call *c = container_of(tag, struct pub_call, tag);
    publisher *p = c->p;
    uint64_t now = mo_mono_us();

    list_remove(p, c);
    if (!ok) { /* not expected for a client batch that holds RECV_STATUS_ON_CLIENT */
        c->u.status = GRPC_STATUS_INTERNAL;
        grpc_slice_unref(c->u.details);
        c->u.details = grpc_slice_from_static_string("the publish batch failed");
    }
    if (c->u.status == GRPC_STATUS_OK) {
        p->ok++;
        mo_hist_record(p->latency, (int64_t)(now - c->start_us));
    } else {
        record_failure(p, c);
    }

    mo_unary_clear(&c->u);
    c->next_free = p->free_calls;
    p->free_calls = c;
    p->in_flight--;

    if (p->state == PUB_RUNNING)
        pump(p);
    else
        finish_if_done(p);
}

/* ---- sending ---- */

/* Fails a publish that never reached the wire, as if its call had ended with `status`. */
static void fail_locally(publisher *p, struct pub_call *c, grpc_status_code status, const char *why)
{
    c->u.status = status;
    grpc_slice_unref(c->u.details);
    c->u.details = grpc_slice_from_copied_string(why);
    record_failure(p, c);
    if (c->u.call)
        grpc_call_cancel(c->u.call, NULL);
    mo_unary_clear(&c->u);
    c->next_free = p->free_calls;
    p->free_calls = c;
}

/* This host's clock bound for the next message: read at most once a second
 * (a reading's bound holds until the next, clocksrc.h); -1 without a reader. */
static int64_t clock_bound(publisher *p)
{
    if (!p->o.clock)
        return -1;
    uint64_t now = mo_mono_us();
    if (!p->clock_read || now - p->clock_read_us >= MO_USEC_PER_SEC) {
        struct mo_clock_reading r;
        mo_clocksrc_read(p->o.clock, &r);
        p->clock_bound_us = r.bound_us;
        p->clock_read_us = now;
        p->clock_read = true;
    }
    return p->clock_bound_us;
}

/* Starts the next publish; false when it failed before reaching the wire. */
static bool send_one(publisher *p, uint64_t due_us)
{
    struct pub_call *c = p->free_calls;
    p->free_calls = c->next_free;
    struct pub_conn *pc = &p->conns[p->rr++ % p->nconns];
    c->conn = pc;
    c->seq = ++p->next;
    mo_unary_init(&c->u);

    /* The publish time is read as late as possible: only the encoding of
     * this one message separates it from the hand-over to gRPC. */
    int64_t bound = clock_bound(p);
    long len = payload_build(&p->o.payload, c->seq, mo_real_ns(), bound, p->buf, p->buf_cap);
    if (len < 0) { /* the size was checked up front; this is a bug */
        fail_locally(p, c, GRPC_STATUS_INTERNAL, "cannot build the message");
        return false;
    }
    c->u.req = mo_publish_request(p->o.cache, p->o.topic, p->buf, (size_t)len, p->o.binary);
    if (!c->u.req) {
        fail_locally(p, c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }

    c->start_us = mo_mono_us();
    if (due_us)
        mo_hist_record(p->behind, c->start_us > due_us ? (int64_t)(c->start_us - due_us) : 0);
    c->u.call = mo_conn_call(pc->conn, mo_loop_cq(p->loop), MO_METHOD_PUBLISH,
                             gpr_inf_future(GPR_CLOCK_MONOTONIC));
    if (!c->u.call) {
        fail_locally(p, c, GRPC_STATUS_INTERNAL, "cannot create the call");
        return false;
    }

    p->in_flight++;
    grpc_call_error e = mo_unary_start(&c->u, pc->conn, p->o.cache, &c->tag);
    if (e != GRPC_CALL_OK) {
        p->in_flight--;
        char why[96];
        snprintf(why, sizeof why, "grpc_call_start_batch failed (%d)", (int)e);
        fail_locally(p, c, GRPC_STATUS_INTERNAL, why);
        return false;
    }
    list_append(p, c);
    return true;
}

static uint64_t due_of(const publisher *p, uint64_t index)
{
    return p->t0_us + (uint64_t)llround((double)index * p->us_per_msg);
}

/* After a publish failed before reaching the wire, the next one waits this
 * long. Such a failure takes no time and holds no in-flight slot, so nothing
 * else would end the loop below before the count (or, with a high rate, the
 * schedule) ran out: signals would wait for that. A timer due at once would
 * not do: the loop runs every due timer before it looks at signals. */
#define LOCAL_FAILURE_PAUSE_US MO_USEC_PER_MSEC

/* Sends every message that is due, as far as the in-flight limit allows, and
 * arms the timer for the next one; returns to the loop after a local failure. */
static void pump(publisher *p)
{
    while (p->state == PUB_RUNNING) {
        if (p->o.count && p->next >= p->o.count) {
            drain(p);
            return;
        }
        if (p->in_flight >= p->o.max_in_flight)
            return; /* a completion calls us again */
        uint64_t due = 0;
        if (p->o.rate > 0) {
            due = due_of(p, p->next);
            if (due > mo_mono_us()) {
                mo_timer_start_at(p->loop, &p->tick, due);
                return;
            }
        }
        if (!send_one(p, due)) {
            if (p->state == PUB_RUNNING) /* a failure that stops the run has drained it */
                mo_timer_start(p->loop, &p->tick, LOCAL_FAILURE_PAUSE_US);
            return;
        }
    }
}

static void on_tick(mo_timer *t)
{
    pump(container_of(t, publisher, tick));
}

/* ---- warm-up ---- */

static void begin_running(publisher *p)
{
    if (p->state != PUB_CONNECTING)
        return;
    p->state = PUB_RUNNING;
    p->t0_us = mo_mono_us();
    pump(p);
}

static void settle(struct pub_conn *pc)
{
    if (pc->settled)
        return;
    pc->settled = true;
    if (--pc->p->unsettled == 0)
        begin_running(pc->p);
}

/* How long the warm-up waits for a connection at most; the publishes then go
 * out anyway and wait for it within their own deadline. */
#define WARMUP_MAX_US (2 * MO_USEC_PER_SEC)

static void watch(struct pub_conn *pc, grpc_connectivity_state last)
{
    uint64_t now = mo_mono_us(), until = pc->p->warmup_until_us;
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_micros(until > now ? (int64_t)(until - now) : 0, GPR_TIMESPAN));
    grpc_channel_watch_connectivity_state(mo_conn_channel(pc->conn), last, deadline,
                                          mo_loop_cq(pc->p->loop), &pc->watch_tag);
}

/* A connection that fails to come up is not an error here: the publishes
 * sent on it fail with UNAVAILABLE and the reason gRPC gives. */
static void on_connectivity(mo_tag *tag, bool ok)
{
    struct pub_conn *pc = container_of(tag, struct pub_conn, watch_tag);
    if (pc->p->state != PUB_CONNECTING) {
        pc->settled = true;
        return;
    }
    grpc_connectivity_state s = grpc_channel_check_connectivity_state(mo_conn_channel(pc->conn), 0);
    if (!ok || s == GRPC_CHANNEL_READY || s == GRPC_CHANNEL_TRANSIENT_FAILURE ||
        s == GRPC_CHANNEL_SHUTDOWN)
        settle(pc);
    else
        watch(pc, s);
}

/* ---- public ---- */

int publisher_new(mo_loop *loop, const struct mo_endpoint *ep, const char *token,
                  const struct publisher_opts *o, publisher **ret, char *err, size_t errlen)
{
    publisher *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->loop = loop;
    p->o = *o;
    snprintf(p->target, sizeof p->target, "%s", ep->target);
    mo_timer_init(&p->tick, on_tick);
    mo_timer_init(&p->expiry, on_expiry);
    if (o->rate > 0)
        p->us_per_msg = 1e6 / o->rate;

    p->buf_cap = 512 + o->payload.size + (o->payload.literal ? strlen(o->payload.literal) : 0);
    p->buf = malloc(p->buf_cap);
    p->calls = calloc(o->max_in_flight, sizeof *p->calls);
    p->conns = calloc(o->connections, sizeof *p->conns);
    int r = -ENOMEM;
    if (!p->buf || !p->calls || !p->conns || mo_hist_new(&p->latency) < 0 ||
        mo_hist_new(&p->behind) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (unsigned i = o->max_in_flight; i-- > 0;) {
        p->calls[i] = (struct pub_call){.tag.fn = on_publish_done, .p = p, .next_free = p->free_calls};
        p->free_calls = &p->calls[i];
    }
    for (unsigned i = 0; i < o->connections; i++) {
        struct pub_conn *pc = &p->conns[i];
        pc->p = p;
        pc->watch_tag.fn = on_connectivity;
        r = mo_conn_new(ep, token, &(struct mo_conn_opts){.disable_retries = true}, &pc->conn,
                        err, errlen);
        if (r < 0)
            goto fail;
        p->nconns++;
    }
    *ret = p;
    return 0;
fail:
    publisher_free(p);
    return r;
}

void publisher_free(publisher *p)
{
    if (!p)
        return;
    if (p->loop) {
        mo_timer_stop(p->loop, &p->tick);
        mo_timer_stop(p->loop, &p->expiry);
    }
    for (unsigned i = 0; i < p->nconns; i++)
        mo_conn_free(p->conns[i].conn);
    free(p->conns);
    free(p->calls);
    free(p->buf);
    mo_hist_free(p->latency);
    mo_hist_free(p->behind);
    free(p);
}

void publisher_start(publisher *p)
{
    if (p->state != PUB_IDLE)
        return;
    p->state = PUB_CONNECTING;
    p->unsettled = p->nconns;
    p->warmup_until_us = mo_mono_us() + (p->o.timeout_us < WARMUP_MAX_US ? p->o.timeout_us : WARMUP_MAX_US);
    for (unsigned i = 0; i < p->nconns; i++) {
        struct pub_conn *pc = &p->conns[i];
        grpc_connectivity_state s = grpc_channel_check_connectivity_state(mo_conn_channel(pc->conn), 1);
        if (s == GRPC_CHANNEL_READY)
            settle(pc);
        else
            watch(pc, s);
    }
}

void publisher_stop(publisher *p)
{
    if (p->state == PUB_CONNECTING || p->state == PUB_RUNNING || p->state == PUB_IDLE)
        drain(p);
}

void publisher_cancel(publisher *p)
{
    publisher_stop(p);
    for (unsigned i = 0; i < p->o.max_in_flight; i++)
        if (p->calls[i].u.call)
            grpc_call_cancel(p->calls[i].u.call, NULL);
}

uint64_t publisher_errors(const publisher *p) { return p->failed; }

static void print_ms(FILE *out, const char *label, int64_t us)
{
    char b[32];
    fprintf(out, " %s %s", label, mo_fmt_ms(us, b, sizeof b));
}

void publisher_report(const publisher *p, FILE *out)
{
    uint64_t end = p->end_us ? p->end_us : mo_mono_us();
    double secs = end > p->t0_us ? (double)(end - p->t0_us) / 1e6 : 0.0;
    fprintf(out, "published %llu messages in %.3f s (%.0f msg/s, target ", (unsigned long long)p->ok,
            secs, secs > 0 ? (double)p->ok / secs : 0.0);
    if (p->o.rate > 0)
        fprintf(out, "%.10g", p->o.rate);
    else
        fputs("none", out);
    fputs("); publish latency ms:", out);
    print_ms(out, "p50", mo_hist_quantile(p->latency, 0.5));
    print_ms(out, "p90", mo_hist_quantile(p->latency, 0.9));
    print_ms(out, "p99", mo_hist_quantile(p->latency, 0.99));
    print_ms(out, "p99.9", mo_hist_quantile(p->latency, 0.999));
    print_ms(out, "max", mo_hist_max(p->latency));
    fputs("; behind schedule ms:", out);
    if (p->o.rate > 0) {
        print_ms(out, "p99", mo_hist_quantile(p->behind, 0.99));
        print_ms(out, "max", mo_hist_max(p->behind));
    } else {
        fputs(" none", out);
    }
    fprintf(out, "; errors: %llu", (unsigned long long)p->failed);
    if (p->failed) {
        const char *sep = " (";
        for (unsigned s = 0; s <= N_STATUS; s++) {
            if (!p->by_status[s])
                continue;
            fprintf(out, "%s%s %llu", sep, s < N_STATUS ? mo_status_name((grpc_status_code)s) : "OTHER",
                    (unsigned long long)p->by_status[s]);
            sep = ", ";
        }
        fputc(')', out);
    }
    fputc('\n', out);
    fflush(out);
}
