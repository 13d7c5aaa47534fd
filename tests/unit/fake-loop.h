/* fake-loop.h - a loop of the tests' own, for code built to run on
 * src/lib/loop.h without one: a fake monotonic clock and the timers, which
 * run only when a test moves time (fake_advance) or asks for the next one
 * (fake_step). There is no completion queue: mo_loop_cq gives NULL, for a
 * fake call (fake-call.h) to ignore. Include it in one test program, which
 * links no loop.o (the library's copy is then never pulled in).
 */
#ifndef MO_FAKE_LOOP_H
#define MO_FAKE_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "loop.h"
#include "test.h"

static uint64_t fake_now_us = 1000 * MO_USEC_PER_SEC;
static inline uint64_t fake_mono(void) { return fake_now_us; }

#define FAKE_MAX_TIMERS 32
static mo_timer *fake_armed[FAKE_MAX_TIMERS];
static size_t fake_n_armed;

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
    for (size_t i = 0; i < fake_n_armed; i++)
        if (fake_armed[i] == t) {
            fake_armed[i] = fake_armed[--fake_n_armed];
            break;
        }
    t->slot = 0;
}
void mo_timer_start_at(mo_loop *loop, mo_timer *t, uint64_t due)
{
    mo_timer_stop(loop, t);
    t->due_us = due;
    t->slot = 1;
    TEST_CHECK(fake_n_armed < FAKE_MAX_TIMERS);
    if (fake_n_armed < FAKE_MAX_TIMERS)
        fake_armed[fake_n_armed++] = t;
}
void mo_timer_start(mo_loop *loop, mo_timer *t, uint64_t delay) { mo_timer_start_at(loop, t, fake_now_us + delay); }

/* The earliest armed timer due by `until`, or NULL. */
static inline mo_timer *fake_next(uint64_t until)
{
    mo_timer *next = NULL;
    for (size_t i = 0; i < fake_n_armed; i++)
        if (fake_armed[i]->due_us <= until && (!next || fake_armed[i]->due_us < next->due_us))
            next = fake_armed[i];
    return next;
}

static inline void fake_fire(mo_timer *t)
{
    if (t->due_us > fake_now_us)
        fake_now_us = t->due_us;
    mo_timer_stop(NULL, t);
    t->fn(t);
}

/* Time moves on by `us`; every timer due by then runs, earliest first. */
static inline void fake_advance(uint64_t us)
{
    uint64_t until = fake_now_us + us;
    for (mo_timer *t; (t = fake_next(until));)
        fake_fire(t);
    fake_now_us = until;
}

/* The earliest armed timer alone runs, time moving to it; returns how far
 * time moved. */
static inline uint64_t fake_step(void)
{
    mo_timer *t = fake_next(UINT64_MAX);
    TEST_CHECK(t != NULL);
    if (!t)
        return 0;
    uint64_t before = fake_now_us;
    fake_fire(t);
    return fake_now_us - before;
}

#endif
