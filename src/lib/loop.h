/* loop.h - the one event loop: a gRPC completion queue, timers and signals.
 *
 * Every completion-queue tag is a struct mo_tag embedded in its owner; the
 * loop calls tag->fn(tag, ok) and the owner recovers itself with container_of.
 * Timers live in a heap; the loop sleeps in grpc_completion_queue_next() until
 * the earliest timer. Signals are taken by a small thread (sigwait) that only
 * wakes the loop; the program's handler then runs on the loop thread, so no
 * program code ever runs in signal context or off the loop thread.
 */
#ifndef MO_LOOP_H
#define MO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

/* A tag passed to grpc_call_start_batch on the loop's queue. The loop reads
 * tag->fn when the batch completes, so the tag (and its owner) must stay
 * valid from the start of the batch until fn has run; fn then owns what the
 * batch filled in and may free the owner. A batch gRPC refused never comes
 * back. */
typedef struct mo_tag mo_tag;
typedef void (*mo_tag_fn)(mo_tag *tag, bool ok);
struct mo_tag {
    mo_tag_fn fn;
};

typedef struct mo_timer mo_timer;
typedef void (*mo_timer_fn)(mo_timer *timer);
struct mo_timer {
    mo_timer_fn fn;
    uint64_t due_us; /* monotonic */
    size_t slot;     /* heap position + 1; 0 when not armed */
};

typedef struct mo_loop mo_loop;

/* Creates a loop with its own completion queue. grpc_init() must have run. */
int mo_loop_new(mo_loop **ret);
/* Stops the signal thread, shuts down and drains the queue. Events still in
 * it are discarded without calling their tags, so every call on the queue
 * must be finished or cancelled and unreferenced before (otherwise the drain
 * waits for them). Owners of tags may be freed afterwards. Accepts NULL. */
void mo_loop_free(mo_loop *loop);
grpc_completion_queue *mo_loop_cq(mo_loop *loop);

/* A timer is embedded in its owner. It is disarmed before its fn runs, so fn
 * may re-arm it or free the owner. An armed timer must be stopped before its
 * memory goes. */
void mo_timer_init(mo_timer *timer, mo_timer_fn fn);
/* (Re)arms a timer `delay_us` from now, or at an absolute monotonic time. */
void mo_timer_start(mo_loop *loop, mo_timer *timer, uint64_t delay_us);
void mo_timer_start_at(mo_loop *loop, mo_timer *timer, uint64_t due_us);
void mo_timer_stop(mo_loop *loop, mo_timer *timer);
static inline bool mo_timer_armed(const mo_timer *timer) { return timer->slot != 0; }

/* Blocks `signals` in the calling thread. Call it first in main(), before
 * grpc_init(), so that every thread gRPC starts inherits the mask. */
int mo_signals_block(const int *signals, size_t n);
/* Starts the signal thread for the signals blocked above; `fn` runs on the
 * loop thread, once per delivered signal number (coalesced while pending). */
int mo_loop_watch_signals(mo_loop *loop, void (*fn)(int signo, void *userdata), void *userdata);

/* `fn` runs when the loop has nothing ready and is about to sleep, provided
 * `pending` says there is something for it to do (e.g. to flush buffered
 * output once per burst rather than once per event). While nothing is
 * pending the loop does not look for idleness at all. */
void mo_loop_set_idle(mo_loop *loop, bool (*pending)(void *userdata), void (*fn)(void *userdata),
                      void *userdata);

/* Runs the loop on the calling thread until mo_loop_quit() or until the queue
 * is shut down. Each turn runs every due timer (earliest first), then the
 * idle hook if output is pending and nothing is ready, then waits for one
 * completion (at most until the next timer) and calls its tag's fn.
 * Callbacks run one at a time on this thread and may do anything but run the
 * loop again: start batches and timers, stop timers, free their owners, quit.
 * Before: the loop is set up; timers may already be armed. After it returns,
 * timers stay armed and batches stay pending: the caller either runs it again
 * or cancels its calls before mo_loop_free. */
void mo_loop_run(mo_loop *loop);
/* The loop returns once the running callback returns, before the next one. */
void mo_loop_quit(mo_loop *loop);

#endif
