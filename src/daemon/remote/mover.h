/* mover.h - subscriptions moving to new connection settings: make before break.
 *
 * When a reload changes the key, the endpoint or TLS, the pool gets the new
 * target (mo_pool_set_target) and every subscription on a connection of an
 * older target moves. Each move first proves the new side: on a connection
 * from the pool it opens a probe, a Subscribe call of its own to the same
 * cache and topic for new messages only. The old stream goes on delivering
 * meanwhile. The new side has answered when the probe gets its first server
 * message (the service sends a heartbeat at once), or is refused for the
 * account's subscription limit (the old stream holds the place it needs):
 * only then is the old stream stopped, and when the owner hears that it has
 * stopped (owner->stopped) it takes the new connection from here and starts the
 * subscription again on it (mo_sub_restart), resuming after the last item the
 * old stream delivered. The service replays what came meanwhile, so nothing
 * is lost, and nothing arrives twice: the probe's own messages are never
 * counted, and the old stream is over before the new one starts. (A
 * subscription with no position yet, which has received no item, asks the
 * new side for new messages: one published in the moment between the two
 * streams is neither seen nor counted as lost.)
 *
 * While the new side fails (refused, unreachable, a TLS failure, a rejected
 * key, no first message within MO_MOVER_PROBE_WAIT_US) the old stream keeps
 * delivering; `move_failed` (an error) names the cause with a hint, and the
 * probe is tried again with the subscriptions' backoff (reconnect:). The
 * error is logged at the 1st, 2nd, 4th, 8th... failure of a move and whenever
 * its status changes; `moved` says when a move that failed has completed. A
 * reload back to the settings a subscription's connection already has
 * cancels its move.
 *
 *   mo_mover_new / mo_mover_free   for a loop, a pool and the subscriptions' settings
 *   mo_mover_begin                 these subscriptions move if their connection is not current
 *   mo_mover_take                  s has stopped (or goes): its new connection, if it was switching
 *   mo_mover_stop                  the daemon stops: probes cancelled, no more stops from here
 *   mo_mover_busy                  probes whose calls are still in flight
 */
#ifndef MO_MOVER_H
#define MO_MOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "loop.h"
#include "remote/pool.h"
#include "sub/sub.h"

/* How long a probe may wait for the new side's first message. */
#define MO_MOVER_PROBE_WAIT_US (2500 * MO_USEC_PER_MSEC)

typedef struct mo_mover mo_mover;

/* `drained` (may be NULL) is called from the loop when, after mo_mover_stop,
 * the last probe's call is over. loop, pool and set must outlive the mover. */
int mo_mover_new(mo_loop *loop, mo_pool *pool, const struct mo_sub_settings *set,
                 void (*drained)(void *ctx), void *ctx, mo_mover **ret);
/* Releases the connections of moves not taken. Only once mo_mover_busy is 0
 * (a probe's tags would come back into freed memory). Accepts NULL. */
void mo_mover_free(mo_mover *mv);

struct mo_mover_begun {
    size_t moving;    /* subscriptions now moving (a new move, or a newer one) */
    size_t cancelled; /* moves given up: the subscription's connection is current again */
};
/* For each of the n subscriptions: on a connection the pool still hands out
 * (mo_pool_current), a move under way is cancelled; otherwise it starts
 * moving to a connection from the pool (opened with `opts`), replacing an
 * older move. One whose move cannot be set up (out of memory, a connection gRPC
 * would not create) stays where it is, an older move of it goes on, and a
 * move_failed says so. */
struct mo_mover_begun mo_mover_begin(mo_mover *mv, mo_sub *const *subs, size_t n,
                                     const struct mo_conn_opts *opts);

/* Forgets the move of s. Returns its new connection when the mover stopped s
 * to switch (then restart s on it, or release it); NULL otherwise (not
 * moving, or not yet switching: the mover releases its connection itself).
 * Call it from owner->stopped and before s is removed. */
mo_conn *mo_mover_take(mo_mover *mv, const mo_sub *s);

/* Cancels every probe and retry: moves not yet switching never stop their
 * streams. When probes were in flight (mo_mover_busy is not 0 on return),
 * `drained` follows once the last one is over. */
void mo_mover_stop(mo_mover *mv);
size_t mo_mover_busy(const mo_mover *mv);

#endif
