/* server.h - the gRPC server of momento-topics-local.
 *
 * Accepts calls on one completion queue (the program's loop), checks them as
 * the service would (fault rejection, token, names, cache, limits), answers
 * Publish and hands Subscribe calls to a stream. Every refusal is sent as a
 * Trailers-Only response, with the `err` trailer where the SDKs look for it.
 * With --fault-delay-publish every Publish answer is held back on a timer
 * (the message itself is delivered at once). What it accepts and rejects by
 * fault goes to the ledger (ledger.h).
 *
 * The test-admin port (admin.h) cuts the data port off and restores it:
 * tl_server_block ends every stream with UNAVAILABLE and shuts the gRPC server
 * down (listeners closed, GOAWAY sent); tl_server_unblock makes a new one on
 * the same port once the old one is gone. The topics (store) stay as they were.
 */
#ifndef TL_SERVER_H
#define TL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "ledger.h"
#include "loop.h"
#include "opts.h"
#include "topic.h"

typedef struct tl_server tl_server;

/* Creates the server, binds and starts it. `opts`, `loop`, `store` and
 * `ledger` (NULL: none) must outlive it. Returns 0, or a negative errno with a
 * sentence in err. */
int tl_server_new(const struct tl_opts *opts, mo_loop *loop, tl_store *store, tl_ledger *ledger,
                  tl_server **ret, char *err, size_t errlen);
/* The port it listens on (the real one when --listen asked for port 0). */
int tl_server_port(const tl_server *s);
/* /block: every stream ended with UNAVAILABLE, Publish answers held back
 * sent as UNAVAILABLE, the server shut down (what has not ended after a
 * second is cancelled). False when already blocked (or stopping). */
bool tl_server_block(tl_server *s);
/* /unblock: listening again on the same port, now or once the blocked server
 * has shut down. False when not blocked (or stopping). */
bool tl_server_unblock(tl_server *s);
/* Begins a clean stop: no new calls, every open call cancelled. The loop is
 * told to quit once every call is released. */
void tl_server_shutdown(tl_server *s);
/* Destroys the server (after the loop returned). Accepts NULL. */
void tl_server_free(tl_server *s);

#endif
