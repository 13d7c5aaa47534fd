/* conn.h - one gRPC connection to the data plane, and the headers its calls carry.
 *
 * Each mo_conn is its own TCP connection (local subchannel pool), with HTTP/2
 * keepalive pings every 10 s, a 5 s ack timeout, also while no call is open,
 * so a dead peer is found within about 15 s. Every call carries
 * `authorization`; the first call on a connection also carries `agent` and
 * `runtime-version`, as the official SDKs do.
 */
#ifndef MO_CONN_H
#define MO_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/grpc.h>

#include "endpoint.h"

#define MO_KEEPALIVE_TIME_MS 10000
#define MO_KEEPALIVE_TIMEOUT_MS 5000
/* What the official SDKs assume the service allows per connection. */
#define MO_STREAMS_PER_CONN 100
/* Largest request metadata array mo_conn_metadata() fills. */
#define MO_CALL_MD_MAX 4

typedef struct mo_conn mo_conn;

struct mo_conn_opts {
    const char *agent;          /* `agent` header; NULL = "c:topic:<version>" */
    int max_reconnect_backoff_ms; /* 0 = gRPC default */
    /* Leave out gRPC's retry layer. For calls that are never retried (Publish
     * is not retryable, src/proto/README.md §10) it only costs: about a quarter
     * of the client CPU of a small unary call. */
    bool disable_retries;
    /* The largest message the channel receives (GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH);
     * 0 = gRPC's default (4 MiB). A larger one ends its call with
     * RESOURCE_EXHAUSTED "Received message larger than max (SIZE vs. LIMIT)". */
    int max_receive_bytes;
};

/* Creates the channel (it connects lazily). `token` is copied. Every failure
 * (-ENOMEM, -EINVAL) writes a sentence to err. */
int mo_conn_new(const struct mo_endpoint *ep, const char *token, const struct mo_conn_opts *opts,
                mo_conn **ret, char *err, size_t errlen);
/* Destroys the channel; calls still referenced keep it alive until unref. Accepts NULL. */
void mo_conn_free(mo_conn *conn);
grpc_channel *mo_conn_channel(mo_conn *conn);

/* Fills md (MO_CALL_MD_MAX entries) for the next call on this connection and
 * returns the count. `cache` (may be NULL) is sent as the `cache` header when
 * it is a legal header value; it must outlive the batch. */
size_t mo_conn_metadata(mo_conn *conn, const char *cache, grpc_metadata *md);

/* Starts a call to `method` (a string literal) with an optional deadline
 * (gpr_inf_future for none). */
grpc_call *mo_conn_call(mo_conn *conn, grpc_completion_queue *cq, const char *method,
                        gpr_timespec deadline);

#endif
