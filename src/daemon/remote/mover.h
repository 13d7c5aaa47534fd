/* mover.h - subscriptions moving to new connection settings, make before break.
 *
 * When a reload changes the key, the endpoint or TLS, the pool gets the new
 * target (mo_pool_set_target) and every subscription moves: it gets a
 * connection with the new settings, which starts connecting at once; its old
 * stream is stopped only once that connection is up (or has failed, or
 * MO_MOVER_CONNECT_WAIT_US has passed), so the streams are down for as
 * little as a stream start; and when the owner hears that the old stream
 * stopped (owner->stopped) it takes the new connection from here and starts
 * the subscription again on it (mo_sub_restart), resuming after the last item
 * the old stream delivered. Nothing is lost: the old stream delivers nothing
 * more once it has stopped, and the service replays what came meanwhile.
 *
 *   mo_mover_new / mo_mover_free   for a loop and a pool, which must outlive it
 *   mo_mover_begin                 these subscriptions move to new connections
 *   mo_mover_take                  s has stopped: its new connection, if it was moving
 *   mo_mover_stop                  no more stops from here (the daemon stops)
 */
#ifndef MO_MOVER_H
#define MO_MOVER_H

#include <stddef.h>

#include "conn.h"
#include "loop.h"
#include "remote/pool.h"
#include "sub/sub.h"

#define MO_MOVER_CONNECT_WAIT_US (2 * MO_USEC_PER_SEC)

typedef struct mo_mover mo_mover;

int mo_mover_new(mo_loop *loop, mo_pool *pool, mo_mover **ret);
/* Releases the connections of moves not taken. Accepts NULL. */
void mo_mover_free(mo_mover *mv);

/* Each of the n subscriptions gets a connection from the pool (opened with
 * `opts`) and is stopped from the loop once it is ready. One already moving
 * takes the newer connection instead (its older one is released). Returns how
 * many move; one that cannot get a connection (out of memory) stays where it is. */
size_t mo_mover_begin(mo_mover *mv, mo_sub *const *subs, size_t n, const struct mo_conn_opts *opts);

/* Forgets the move of s and returns its new connection, acquired for it, or
 * NULL when s was not moving. Call it from owner->stopped (then restart s on
 * the connection, or release it) and when s is removed (release it). */
mo_conn *mo_mover_take(mo_mover *mv, const mo_sub *s);

/* Stops the timer: moves not yet under way never stop their streams. */
void mo_mover_stop(mo_mover *mv);

#endif
