/* unary.h - one unary gRPC call from the client: its one batch of six ops and
 * the buffers gRPC fills (src/lib/TRANSPORT.md §7).
 *
 * The owner embeds a struct mo_unary next to its own fields (its tag, what
 * the call stands for), makes the call and the request, and decides what the
 * outcome means; nothing here logs or decides.
 *
 *   mo_unary_init    before each call: nothing owned, status OK, empty details
 *   mo_unary_start   the metadata filled in and the six ops started in one batch with the owner's tag
 *   mo_unary_clear   everything it owns freed, ready for mo_unary_init again
 */
#ifndef MO_UNARY_H
#define MO_UNARY_H

#include <grpc/grpc.h>

#include "conn.h"
#include "loop.h"

struct mo_unary {
    grpc_call *call;        /* the owner's (mo_conn_call), NULL until made */
    grpc_byte_buffer *req;  /* the request, the owner's to set; NULL until made */
    grpc_byte_buffer *resp; /* the answer, when gRPC received one */
    grpc_metadata md[MO_CALL_MD_MAX];
    grpc_metadata_array init_md, trail_md;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
};

void mo_unary_init(struct mo_unary *u);

/* With u->call and u->req made: fills u->md for the next call on conn (cache
 * as in mo_conn_metadata; it must outlive the batch) and starts
 * SEND_INITIAL_METADATA, SEND_MESSAGE, SEND_CLOSE_FROM_CLIENT,
 * RECV_INITIAL_METADATA, RECV_MESSAGE and RECV_STATUS_ON_CLIENT in one batch
 * with `tag`. GRPC_CALL_OK: the tag comes back once, the outcome in status,
 * details and trail_md; anything else: nothing started and the tag never
 * comes back (TRANSPORT.md §8). gRPC writes into u until then: it must stay put. */
grpc_call_error mo_unary_start(struct mo_unary *u, mo_conn *conn, const char *cache, mo_tag *tag);

/* Frees the metadata arrays, the buffers, the details, the error string and
 * the call's reference: once the tag is back, or when no batch started. Leaves
 * u as mo_unary_init does, so a second clear does nothing harmful. */
void mo_unary_clear(struct mo_unary *u);

#endif
