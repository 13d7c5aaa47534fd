/* pool.h - the daemon's gRPC connections, each carrying up to
 * MO_STREAMS_PER_CONN streams (conn.h); a new one is opened when all are full.
 *
 * A reload with another key or endpoint changes the target: connections opened
 * from then on use the new one, those opened before are no longer handed out
 * and each is closed when its last stream is released, so streams can move to
 * new connections one by one while the old ones still serve the rest.
 *
 *   mo_pool_new / mo_pool_free    the pool; free closes every connection
 *   mo_pool_set_target            endpoint and key of connections opened from now on
 *   mo_pool_acquire               a connection with room, one more stream counted on it
 *   mo_pool_release               that stream is over; an old connection left empty is closed
 *   mo_pool_current               whether a connection is of the current target
 *   mo_pool_target                the target a connection was opened for
 *   mo_pool_connections           how many are open, old ones included
 */
#ifndef MO_POOL_H
#define MO_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "endpoint.h"

typedef struct mo_pool mo_pool;

/* An empty pool for `ep` and `token`, both copied. -ENOMEM. */
int mo_pool_new(const struct mo_endpoint *ep, const char *token, mo_pool **ret);
/* Frees every connection (calls still referenced keep theirs alive until
 * unref, conn.h). Wipes the key. Accepts NULL. */
void mo_pool_free(mo_pool *p);

/* Connections opened from now on go to `ep` with `token` (both copied);
 * every connection open now for another target or key is retired: never
 * handed out again, closed once its streams are all released (at once if it
 * has none). One opened for this very target and key (a reload back, before
 * its streams moved away) is current again. -ENOMEM leaves the pool as it was. */
int mo_pool_set_target(mo_pool *p, const struct mo_endpoint *ep, const char *token);

/* The first current connection with room for one more stream, or a new one
 * opened with `opts`; counts the stream on it. -ENOMEM, or mo_conn_new's error. */
int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret);
/* One stream on `conn` (from mo_pool_acquire) is over; its room is reused,
 * or, on a retired connection, the connection is closed with its last
 * stream. A current connection stays open. */
void mo_pool_release(mo_pool *p, mo_conn *conn);

/* True when conn is open in the pool and not retired: streams on it need not move. */
bool mo_pool_current(const mo_pool *p, const mo_conn *conn);

/* The target (HOST:PORT) conn was opened for; "" for one not in the pool. */
const char *mo_pool_target(const mo_pool *p, const mo_conn *conn);

size_t mo_pool_connections(const mo_pool *p);

#endif
