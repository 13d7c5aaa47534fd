/* pool.h - the daemon's gRPC connections, each carrying up to
 * MO_STREAMS_PER_CONN streams (conn.h); a new one is opened when all are full.
 *
 *   mo_pool_new / mo_pool_free    the pool; free closes every connection
 *   mo_pool_acquire               a connection with room, one more stream counted on it
 *   mo_pool_release               that stream is over
 */
#ifndef MO_POOL_H
#define MO_POOL_H

#include "conn.h"
#include "endpoint.h"

typedef struct mo_pool mo_pool;

/* An empty pool for `ep` and `token`, which must outlive it (they are read
 * each time a connection is opened). */
int mo_pool_new(const struct mo_endpoint *ep, const char *token, mo_pool **ret);
/* Frees every connection (calls still referenced keep theirs alive until
 * unref, conn.h). Accepts NULL. */
void mo_pool_free(mo_pool *p);

/* The first connection with room for one more stream, or a new one opened
 * with `opts`; counts the stream on it. -ENOMEM, or mo_conn_new's error. */
int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret);
/* One stream on `conn` (from mo_pool_acquire) is over; its room is reused.
 * The connection stays open. */
void mo_pool_release(mo_pool *p, mo_conn *conn);

#endif
