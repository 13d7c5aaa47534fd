/* mover.c - subscriptions moving to new connection settings (mover.h). */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cleanup.h"
#include "clock.h"
#include "remote/mover.h"

#define POLL_US (10 * MO_USEC_PER_MSEC)

struct move {
    mo_sub *s;
    mo_conn *to;    /* acquired from the pool for it */
    bool stop_sent; /* mo_sub_stop called; the owner hears when it is done */
};

struct mo_mover {
    mo_loop *loop;
    mo_pool *pool;
    struct move *v;
    size_t n;
    uint64_t deadline_us;
    /* polls the new connections' states: a few times at a reload, so a
     * watch on the completion queue (which the loop's shutdown would have
     * to wait out) is not worth it */
    mo_timer timer;
};

static void on_timer(mo_timer *t);

int mo_mover_new(mo_loop *loop, mo_pool *pool, mo_mover **ret)
{
    mo_mover *mv = calloc(1, sizeof *mv);
    if (!mv)
        return -ENOMEM;
    mv->loop = loop;
    mv->pool = pool;
    mo_timer_init(&mv->timer, on_timer);
    *ret = mv;
    return 0;
}

void mo_mover_free(mo_mover *mv)
{
    if (!mv)
        return;
    mo_timer_stop(mv->loop, &mv->timer);
    for (size_t i = 0; i < mv->n; i++)
        mo_pool_release(mv->pool, mv->v[i].to);
    free(mv->v);
    free(mv);
}

static ssize_t find(const mo_mover *mv, const mo_sub *s)
{
    for (size_t i = 0; i < mv->n; i++)
        if (mv->v[i].s == s)
            return (ssize_t)i;
    return -1;
}

size_t mo_mover_begin(mo_mover *mv, mo_sub *const *subs, size_t n, const struct mo_conn_opts *opts)
{
    size_t moving = 0;
    for (size_t i = 0; i < n; i++) {
        ssize_t k = find(mv, subs[i]);
        if (k < 0) {
            struct move *v = realloc(mv->v, (mv->n + 1) * sizeof *v);
            if (!v)
                continue;
            mv->v = v;
        }
        mo_conn *to;
        if (mo_pool_acquire(mv->pool, opts, &to) < 0)
            continue;
        if (k >= 0) {
            mo_pool_release(mv->pool, mv->v[k].to);
            mv->v[k].to = to;
        } else {
            mv->v[mv->n++] = (struct move){.s = subs[i], .to = to};
        }
        /* make: the new connection starts connecting now, not at the first call */
        grpc_channel_check_connectivity_state(mo_conn_channel(to), 1);
        moving++;
    }
    mv->deadline_us = mo_mono_us() + MO_MOVER_CONNECT_WAIT_US;
    if (mv->n)
        mo_timer_start(mv->loop, &mv->timer, POLL_US);
    return moving;
}

/* ... then break: each old stream is stopped once its new connection is up. */
static void on_timer(mo_timer *t)
{
    mo_mover *mv = container_of(t, mo_mover, timer);
    bool late = mo_mono_us() >= mv->deadline_us, waiting = false;
    for (size_t i = 0; i < mv->n; i++) {
        struct move *m = &mv->v[i];
        if (m->stop_sent)
            continue;
        grpc_connectivity_state st = grpc_channel_check_connectivity_state(mo_conn_channel(m->to), 0);
        if (!late && (st == GRPC_CHANNEL_IDLE || st == GRPC_CHANNEL_CONNECTING)) {
            waiting = true;
            continue;
        }
        /* up, or failed: a new connection that fails is the stream's to
         * retry, with backoff, as after any failure */
        m->stop_sent = true;
        mo_sub_set_moving(m->s, true);
        mo_sub_stop(m->s); /* the owner hears from the loop, never from in here */
    }
    if (waiting)
        mo_timer_start(mv->loop, t, POLL_US);
}

mo_conn *mo_mover_take(mo_mover *mv, const mo_sub *s)
{
    ssize_t i = find(mv, s);
    if (i < 0)
        return NULL;
    mo_conn *to = mv->v[i].to;
    mv->v[i] = mv->v[--mv->n];
    return to;
}

void mo_mover_stop(mo_mover *mv) { mo_timer_stop(mv->loop, &mv->timer); }
