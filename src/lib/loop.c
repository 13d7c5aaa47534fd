/* loop.c - completion-queue loop with a timer heap and a signal waker. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "clock.h"
#include "cleanup.h"
#include "loop.h"

/* The longest sleep in the queue when no timer is armed. Signals wake the
 * loop by themselves, so this is only a safety net. */
#define MAX_WAIT_US (60 * MO_USEC_PER_SEC)

struct mo_loop {
    grpc_completion_queue *cq;
    bool quit;

    mo_timer **heap;
    size_t heap_len, heap_cap;

    /* signal delivery */
    sigset_t sigs;
    bool sig_thread_running;
    pthread_t sig_thread;
    pthread_mutex_t wake_lock;
    grpc_channel *wake_channel; /* never connects: it only carries the waker call */
    grpc_call *waker;
    mo_tag wake_tag;
    atomic_bool wake_pending;
    atomic_bool sig_quit;
    atomic_uint_fast64_t sig_mask;
    void (*sig_fn)(int, void *);
    void *sig_ud;

    bool (*idle_pending)(void *);
    void (*idle_fn)(void *);
    void *idle_ud;
    bool timer_ran; /* a timer ran since the idle hook last did */
};

/* ---- timer heap ---- */

static bool timer_before(const mo_timer *a, const mo_timer *b) { return a->due_us < b->due_us; }

static void heap_set(mo_loop *l, size_t i, mo_timer *t)
{
    l->heap[i] = t;
    t->slot = i + 1;
}

static void heap_up(mo_loop *l, size_t i)
{
    mo_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, l->heap[parent]))
            break;
        heap_set(l, i, l->heap[parent]);
        i = parent;
    }
    heap_set(l, i, t);
}

static void heap_down(mo_loop *l, size_t i)
{
    mo_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && timer_before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!timer_before(l->heap[c], t))
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void mo_timer_init(mo_timer *timer, mo_timer_fn fn)
{
    *timer = (mo_timer){.fn = fn};
}

void mo_timer_stop(mo_loop *l, mo_timer *t)
{
    if (!t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    mo_timer *last = l->heap[l->heap_len];
    heap_set(l, i, last);
    heap_up(l, i);
    heap_down(l, last->slot - 1);
}

void mo_timer_start_at(mo_loop *l, mo_timer *t, uint64_t due_us)
{
    mo_timer_stop(l, t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        mo_timer **h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            abort(); /* out of memory: nothing sensible to do in a timer */
        l->heap = h;
        l->heap_cap = cap;
    }
    t->due_us = due_us;
    heap_set(l, l->heap_len++, t);
    heap_up(l, l->heap_len - 1);
}

void mo_timer_start(mo_loop *l, mo_timer *t, uint64_t delay_us)
{
    mo_timer_start_at(l, t, mo_mono_us() + delay_us);
}

/* Runs every due timer; returns how long the loop may sleep. */
static uint64_t run_timers(mo_loop *l)
{
    for (;;) {
        if (l->quit)
            return 0;
        uint64_t now = mo_mono_us();
        if (l->heap_len == 0)
            return MAX_WAIT_US;
        mo_timer *t = l->heap[0];
        if (t->due_us > now) {
            uint64_t wait = t->due_us - now;
            return wait < MAX_WAIT_US ? wait : MAX_WAIT_US;
        }
        mo_timer_stop(l, t);
        l->timer_ran = true;
        t->fn(t);
    }
}

/* ---- signals ---- */

/* The signals the program blocked for the loop: only these are waited for,
 * not whatever else the process inherited blocked. */
static sigset_t watched;

int mo_signals_block(const int *signals, size_t n)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < n; i++) {
        sigaddset(&set, signals[i]);
        sigaddset(&watched, signals[i]);
    }
    int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
    return r ? -r : 0;
}

static void wake_locked(mo_loop *l)
{
    pthread_mutex_lock(&l->wake_lock);
    /* An empty batch completes at once: that is the whole wake-up. Should it
     * ever be refused, the loop still finds the signal on its next turn. */
    if (grpc_call_start_batch(l->waker, NULL, 0, &l->wake_tag, NULL) != GRPC_CALL_OK)
        atomic_store(&l->wake_pending, false);
    pthread_mutex_unlock(&l->wake_lock);
}

static void *sig_thread_main(void *arg)
{
    mo_loop *l = arg;
    for (;;) {
        int signo = 0;
        if (sigwait(&l->sigs, &signo) != 0)
            continue;
        if (atomic_load(&l->sig_quit))
            return NULL;
        if (signo > 0 && signo < 64)
            atomic_fetch_or(&l->sig_mask, (uint_fast64_t)1 << signo);
        if (!atomic_exchange(&l->wake_pending, true))
            wake_locked(l);
    }
}

static void deliver_signals(mo_loop *l)
{
    uint_fast64_t mask = atomic_exchange(&l->sig_mask, 0);
    for (int s = 1; s < 64; s++)
        if (mask & ((uint_fast64_t)1 << s))
            l->sig_fn(s, l->sig_ud);
}

static void on_wake(mo_tag *tag, bool ok)
{
    (void)ok;
    mo_loop *l = container_of(tag, mo_loop, wake_tag);
    atomic_store(&l->wake_pending, false);
    deliver_signals(l);
}

int mo_loop_watch_signals(mo_loop *l, void (*fn)(int, void *), void *ud)
{
    if (l->sig_thread_running)
        return -EALREADY;
    l->sigs = watched;
    l->sig_fn = fn;
    l->sig_ud = ud;
    l->wake_tag.fn = on_wake;
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    l->wake_channel = grpc_channel_create("127.0.0.1:9", cr, NULL);
    grpc_channel_credentials_release(cr);
    l->waker = grpc_channel_create_call(l->wake_channel, NULL, GRPC_PROPAGATE_DEFAULTS, l->cq,
                                        grpc_slice_from_static_string("/mo.Loop/Wake"), NULL,
                                        gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (!l->waker)
        return -ENOMEM;
    int r = pthread_create(&l->sig_thread, NULL, sig_thread_main, l);
    if (r)
        return -r;
    l->sig_thread_running = true;
    return 0;
}

/* ---- loop ---- */

int mo_loop_new(mo_loop **ret)
{
    mo_loop *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->cq = grpc_completion_queue_create_for_next(NULL);
    pthread_mutex_init(&l->wake_lock, NULL);
    *ret = l;
    return 0;
}

grpc_completion_queue *mo_loop_cq(mo_loop *l) { return l->cq; }

void mo_loop_quit(mo_loop *l) { l->quit = true; }

void mo_loop_set_idle(mo_loop *l, bool (*pending)(void *), void (*fn)(void *), void *ud)
{
    l->idle_pending = pending;
    l->idle_fn = fn;
    l->idle_ud = ud;
}

void mo_loop_run(mo_loop *l)
{
    l->quit = false;
    bool busy = false; /* the last poll returned an event */
    while (!l->quit) {
        uint64_t wait = run_timers(l);
        if (l->quit)
            break;
        if (l->idle_fn && (busy || l->timer_ran) && l->idle_pending(l->idle_ud)) {
            /* look without sleeping first; run the idle hook only if nothing is ready */
            grpc_event ev = grpc_completion_queue_next(l->cq, gpr_inf_past(GPR_CLOCK_MONOTONIC), NULL);
            if (ev.type == GRPC_OP_COMPLETE) {
                mo_tag *tag = ev.tag;
                tag->fn(tag, ev.success != 0);
                continue;
            }
            if (ev.type == GRPC_QUEUE_SHUTDOWN)
                break;
            l->timer_ran = false;
            l->idle_fn(l->idle_ud);
            busy = false;
            continue; /* the hook may have armed timers */
        }
        gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                             gpr_time_from_micros((int64_t)wait, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(l->cq, deadline, NULL);
        busy = ev.type == GRPC_OP_COMPLETE;
        if (l->sig_fn && ev.type == GRPC_QUEUE_TIMEOUT && atomic_load(&l->sig_mask))
            deliver_signals(l); /* a wake-up that could not be posted */
        if (ev.type == GRPC_OP_COMPLETE) {
            mo_tag *tag = ev.tag;
            tag->fn(tag, ev.success != 0);
        } else if (ev.type == GRPC_QUEUE_SHUTDOWN) {
            break;
        }
    }
}

void mo_loop_free(mo_loop *l)
{
    if (!l)
        return;
    if (l->sig_thread_running) {
        atomic_store(&l->sig_quit, true);
        /* any signal of the set wakes sigwait(); pick the first one */
        for (int s = 1; s < 64; s++)
            if (sigismember(&l->sigs, s) == 1) {
                pthread_kill(l->sig_thread, s);
                break;
            }
        pthread_join(l->sig_thread, NULL);
    }
    if (l->waker)
        grpc_call_unref(l->waker);
    if (l->wake_channel)
        grpc_channel_destroy(l->wake_channel);
    grpc_completion_queue_shutdown(l->cq);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(l->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
    }
    grpc_completion_queue_destroy(l->cq);
    pthread_mutex_destroy(&l->wake_lock);
    free(l->heap);
    free(l);
}
