/* mover.c - subscriptions moving to new connection settings (mover.h).
 *
 * A move is PROBING (its probe call in flight, the wait timer armed), WAITING
 * (the probe failed; the timer brings the next one), or SWITCHING (the new
 * side answered; the old stream is stopping and the owner takes the
 * connection). A move whose subscription went away, or that was cancelled or
 * replaced while its probe was in flight, is DETACHED: it only waits for the
 * probe's tags, then frees itself and releases its connection. Every move is
 * allocated on its own, so the probe's tags (which point into it) stay valid
 * whatever happens to the list.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "log/event.h"
#include "remote/mover.h"
#include "rpc.h"
#include "secret.h"
#include "sub/backoff.h"
#include "sub/ending.h"
#include "sub/subcall.h"

enum move_state { PROBING, WAITING, SWITCHING, DETACHED };

struct move {
    mo_mover *mv;
    mo_sub *s; /* NULL once DETACHED */
    mo_conn *to; /* acquired from the pool for it */
    enum move_state state;
    struct mo_subcall probe;
    bool answered;  /* the probe got a server message (or a limit refusal) */
    bool timed_out; /* the wait timer cancelled the probe */
    bool open_failed; /* nothing of the probe started: the timer reports it */
    mo_timer timer; /* PROBING: the wait for a first message; WAITING: the next probe */
    unsigned failures;
    grpc_status_code last_status;
    char from[512]; /* the target the stream is on */
    /* the probe's `cache` header points into this copy: a detached probe may
     * outlive its subscription, and gRPC reads the header until the call is over */
    char *cache;
};

struct mo_mover {
    mo_loop *loop;
    mo_pool *pool;
    const struct mo_sub_settings *set;
    void (*drained)(void *ctx);
    void *ctx;
    struct move **v; /* moves of subscriptions (DETACHED ones are not here) */
    size_t n;
    size_t busy; /* probe calls in flight, detached ones included */
    unsigned seed;
    bool stopped;
};

static void probe_start(struct move *m);
static void on_probe_start(mo_tag *tag, bool ok);
static void on_probe_status(mo_tag *tag, bool ok);
static void on_probe_recv(mo_tag *tag, bool ok);
static void on_timer(mo_timer *t);

int mo_mover_new(mo_loop *loop, mo_pool *pool, const struct mo_sub_settings *set,
                 void (*drained)(void *ctx), void *ctx, mo_mover **ret)
{
    mo_mover *mv = calloc(1, sizeof *mv);
    if (!mv)
        return -ENOMEM;
    mv->loop = loop;
    mv->pool = pool;
    mv->set = set;
    mv->drained = drained;
    mv->ctx = ctx;
    mv->seed = (unsigned)mo_mono_us() ^ (unsigned)(uintptr_t)mv;
    *ret = mv;
    return 0;
}

static void move_free(struct move *m)
{
    mo_timer_stop(m->mv->loop, &m->timer);
    mo_pool_release(m->mv->pool, m->to);
    free(m->cache);
    free(m);
}

void mo_mover_free(mo_mover *mv)
{
    if (!mv)
        return;
    for (size_t i = 0; i < mv->n; i++)
        move_free(mv->v[i]);
    free(mv->v);
    free(mv);
}

size_t mo_mover_busy(const mo_mover *mv) { return mv->busy; }

static ssize_t find(const mo_mover *mv, const mo_sub *s)
{
    for (size_t i = 0; i < mv->n; i++)
        if (mv->v[i]->s == s)
            return (ssize_t)i;
    return -1;
}

/* Takes move i out of the list. Its probe, if in flight, is cancelled and the
 * move frees itself when the tags are back; otherwise it is freed now. */
static void detach(mo_mover *mv, size_t i)
{
    struct move *m = mv->v[i];
    mv->v[i] = mv->v[--mv->n];
    m->s = NULL;
    if (m->state == PROBING) {
        m->state = DETACHED; /* probe_done frees it */
        if (!m->open_failed) { /* (else the timer armed for it brings probe_done) */
            mo_timer_stop(mv->loop, &m->timer);
            mo_subcall_cancel(&m->probe, GRPC_STATUS_CANCELLED, NULL);
        }
    } else {
        move_free(m);
    }
}

/* A move could not even be set up (out of memory, or a connection gRPC would
 * not create): said as a move_failed, the stream stays where it is; the next
 * reload that changes momento: tries again. */
static void setup_failed(mo_mover *mv, mo_sub *s, int err)
{
    const char *cache = mo_sub_cache(s), *topic = mo_sub_topic(s);
    char details[160];
    snprintf(details, sizeof details, "cannot set up a connection for the move: %s", strerror(-err));
    struct mo_event e;
    mo_event_init(&e, MO_EV_MOVE_FAILED, cache, topic);
    mo_event_str(&e, "endpoint", mv->set->target);
    mo_event_str(&e, "from", mo_pool_target(mv->pool, mo_sub_conn(s)));
    mo_event_str(&e, "status", "INTERNAL");
    mo_event_str(&e, "details", details);
    mo_event_uint(&e, "attempt", 0);
    mo_event_uint(&e, "retry_in_ms", 0);
    mo_event_str(&e, "hint", "the stream stays where it is; reload again to retry the move");
    mo_event_msg(&e, "%s/%s cannot move to %s: %s; the stream stays where it is: reload again to retry",
                 cache, topic, mv->set->target, details);
    mo_event_emit(&e);
}

/* A move for s to a new connection, or NULL (said). */
static struct move *move_new(mo_mover *mv, mo_sub *s, const struct mo_conn_opts *opts)
{
    struct move *m = calloc(1, sizeof *m);
    int r = -ENOMEM;
    if (!m || !(m->cache = strdup(mo_sub_cache(s))) || (r = mo_pool_acquire(mv->pool, opts, &m->to)) < 0) {
        if (m)
            free(m->cache);
        free(m);
        setup_failed(mv, s, r);
        return NULL;
    }
    m->mv = mv;
    m->s = s;
    snprintf(m->from, sizeof m->from, "%s", mo_pool_target(mv->pool, mo_sub_conn(s)));
    mo_subcall_init(&m->probe);
    m->probe.tag_start.fn = on_probe_start;
    m->probe.tag_status.fn = on_probe_status;
    m->probe.tag_recv.fn = on_probe_recv;
    mo_timer_init(&m->timer, on_timer);
    return m;
}

struct mo_mover_begun mo_mover_begin(mo_mover *mv, mo_sub *const *subs, size_t n,
                                     const struct mo_conn_opts *opts)
{
    struct mo_mover_begun b = {0};
    for (size_t i = 0; i < n; i++) {
        mo_sub *s = subs[i];
        ssize_t k = find(mv, s);
        if (k >= 0 && mv->v[k]->state == SWITCHING)
            continue; /* its old stream is stopping; the owner checks the new one */
        if (mo_pool_current(mv->pool, mo_sub_conn(s))) {
            if (k >= 0) {
                detach(mv, (size_t)k);
                b.cancelled++;
            }
            continue;
        }
        /* the new move first: one that cannot be made leaves an older one be */
        struct move **v = realloc(mv->v, (mv->n + 1) * sizeof *v);
        if (!v) {
            setup_failed(mv, s, -ENOMEM);
            continue;
        }
        mv->v = v;
        struct move *m = move_new(mv, s, opts);
        if (!m)
            continue;
        if (k >= 0)
            detach(mv, (size_t)k);
        mv->v[mv->n++] = m;
        b.moving++;
        probe_start(m);
    }
    return b;
}

mo_conn *mo_mover_take(mo_mover *mv, const mo_sub *s)
{
    ssize_t i = find(mv, s);
    if (i < 0)
        return NULL;
    struct move *m = mv->v[i];
    if (m->state != SWITCHING) {
        detach(mv, (size_t)i);
        return NULL;
    }
    mo_conn *to = m->to;
    m->to = NULL;
    mv->v[i] = mv->v[--mv->n];
    move_free(m);
    return to;
}

void mo_mover_stop(mo_mover *mv)
{
    mv->stopped = true;
    for (size_t i = mv->n; i-- > 0;)
        if (mv->v[i]->state != SWITCHING)
            detach(mv, i);
}

/* ---- the probe ---- */

/* A Subscribe call for new messages on the move's connection. */
static void probe_start(struct move *m)
{
    mo_mover *mv = m->mv;
    m->state = PROBING;
    m->answered = m->timed_out = false;
    mv->busy++;
    if (!mo_subcall_open(&m->probe, m->to, mo_loop_cq(mv->loop), m->cache, mo_sub_topic(m->s), 0, 0)) {
        /* nothing pending: it failed at once; said from the loop */
        m->open_failed = true;
        mo_timer_start(mv->loop, &m->timer, 0);
        return;
    }
    mo_timer_start(mv->loop, &m->timer, MO_MOVER_PROBE_WAIT_US);
}

static void probe_failed(struct move *m, const char *details, const char *err);

/* The probe is over (no tag pending): switch, wait and try again, or, when
 * detached, go. */
static void probe_done(struct move *m)
{
    mo_mover *mv = m->mv;
    mo_timer_stop(mv->loop, &m->timer);
    char details[512], err[128] = "";
    if (m->probe.local_failure[0]) {
        m->probe.status = GRPC_STATUS_INTERNAL;
        snprintf(details, sizeof details, "%s", m->probe.local_failure);
    } else if (m->timed_out) {
        m->probe.status = GRPC_STATUS_DEADLINE_EXCEEDED;
        snprintf(details, sizeof details, "no answer within %llu ms",
                 (unsigned long long)(MO_MOVER_PROBE_WAIT_US / MO_USEC_PER_MSEC));
    } else { /* what a server sends can hold anything, a key included (secret.h) */
        mo_secret_scrub((const char *)GRPC_SLICE_START_PTR(m->probe.details),
                        GRPC_SLICE_LENGTH(m->probe.details), details, sizeof details);
    }
    mo_md_copy(&m->probe.trailing_md, "err", err, sizeof err);
    /* the account's limit on subscriptions: the new side took the key and
     * knows the cache; the place it lacks is the one the old stream holds */
    if (m->probe.status == GRPC_STATUS_RESOURCE_EXHAUSTED &&
        mo_ending_classify(m->probe.status, details, false, false) != MO_END_OVERSIZED)
        m->answered = true;
    grpc_status_code status = m->probe.status;
    mo_subcall_release(&m->probe);
    mv->busy--;

    if (m->state == DETACHED) {
        move_free(m);
        if (mv->stopped && mv->busy == 0 && mv->drained)
            mv->drained(mv->ctx);
        return;
    }
    if (m->answered) {
        if (m->failures) {
            struct mo_event e;
            mo_event_init(&e, MO_EV_MOVED, mo_sub_cache(m->s), mo_sub_topic(m->s));
            mo_event_str(&e, "endpoint", mv->set->target);
            mo_event_uint(&e, "attempts", m->failures + 1);
            mo_event_msg(&e, "%s/%s: %s answers now (attempt %u); the stream moves there", mo_sub_cache(m->s),
                         mo_sub_topic(m->s), mv->set->target, m->failures + 1);
            mo_event_emit(&e);
        }
        m->state = SWITCHING;
        mo_sub_stop_to_move(m->s); /* the owner hears from the loop, and takes m->to */
        return;
    }
    m->probe.status = status;
    probe_failed(m, details, err);
}

/* The new side failed this probe: said (at the 1st, 2nd, 4th... failure, or
 * when the status changes), and tried again after the backoff. */
static void probe_failed(struct move *m, const char *details, const char *err)
{
    mo_mover *mv = m->mv;
    const struct mo_sub_settings *set = mv->set;
    grpc_status_code status = m->probe.status;
    m->failures++;
    uint64_t delay = mo_backoff_delay(set->backoff_initial_us, set->backoff_max_us, m->failures,
                                      (uint64_t)rand_r(&mv->seed));
    bool say = (m->failures & (m->failures - 1)) == 0 || status != m->last_status;
    m->last_status = status;
    if (say) {
        const char *cache = mo_sub_cache(m->s), *topic = mo_sub_topic(m->s);
        char hint[2048];
        enum mo_event_type type;
        const struct mo_ending_names names = {.cache = cache, .key_source = set->key_source,
                                              .target = set->target, .config_path = set->config_path};
        if (!mo_ending_explain(status, details, err, &names, &type, hint, sizeof hint))
            snprintf(hint, sizeof hint,
                     "check that %s is the endpoint meant (momento: in %s) and that this host reaches it; "
                     "a reload back to the old settings cancels the move",
                     set->target, set->config_path);
        struct mo_event e;
        mo_event_init(&e, MO_EV_MOVE_FAILED, cache, topic);
        mo_event_str(&e, "endpoint", set->target);
        mo_event_str(&e, "from", m->from);
        mo_event_str(&e, "status", mo_status_name(status));
        mo_event_str(&e, "details", details);
        mo_event_uint(&e, "attempt", m->failures);
        mo_event_uint(&e, "retry_in_ms", delay / MO_USEC_PER_MSEC);
        mo_event_str(&e, "hint", hint);
        mo_event_msg(&e, "%s/%s cannot move to %s: %s (%s); the stream on %s keeps delivering, "
                         "next try in %llu ms (attempt %u): %s",
                     cache, topic, set->target, mo_status_name(status), details, m->from,
                     (unsigned long long)(delay / MO_USEC_PER_MSEC), m->failures, hint);
        mo_event_emit(&e);
    }
    m->state = WAITING;
    mo_timer_start(mv->loop, &m->timer, delay);
}

static void tag_back(struct move *m)
{
    if (--m->probe.pending == 0)
        probe_done(m);
}

static void on_probe_start(mo_tag *tag, bool ok)
{
    (void)ok;
    tag_back(container_of(tag, struct move, probe.tag_start));
}

static void on_probe_status(mo_tag *tag, bool ok)
{
    (void)ok;
    tag_back(container_of(tag, struct move, probe.tag_status));
}

/* The first server message is all a probe waits for: then it is cancelled.
 * The message itself is dropped, never counted. */
static void on_probe_recv(mo_tag *tag, bool ok)
{
    struct move *m = container_of(tag, struct move, probe.tag_recv);
    if (ok && m->probe.recv) {
        grpc_byte_buffer_destroy(m->probe.recv);
        m->probe.recv = NULL;
        if (m->state == PROBING)
            m->answered = true;
        mo_subcall_cancel(&m->probe, GRPC_STATUS_CANCELLED, NULL);
    }
    tag_back(m);
}

/* A probe that could not start is over (open_failed); PROBING: no first
 * message in time, the probe is cancelled; WAITING: the next probe. */
static void on_timer(mo_timer *t)
{
    struct move *m = container_of(t, struct move, timer);
    if (m->open_failed) {
        m->open_failed = false;
        probe_done(m);
    } else if (m->state == WAITING) {
        probe_start(m);
    } else if (m->state == PROBING && !m->answered) {
        m->timed_out = true;
        mo_subcall_cancel(&m->probe, GRPC_STATUS_CANCELLED, NULL);
    }
}
