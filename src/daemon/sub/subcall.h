/* subcall.h - the gRPC side of one Subscribe call: its three batches and
 * the buffers gRPC fills.
 *
 * A call holds three batches (src/lib/TRANSPORT.md §6): A sends the request
 * and receives the headers, B waits for the status, C receives one message at
 * a time and is re-armed after each. gRPC writes into the struct until a
 * batch's tag comes back; `pending` counts the tags not back yet. The owner
 * (sub.c) embeds the struct, gives the three tags their callbacks, and decides
 * what a message or an end means; nothing here logs or decides.
 *
 *   mo_subcall_init       once, before the first open: an empty details slice
 *   mo_subcall_open       creates the call and starts A, B and C
 *   mo_subcall_rearm      starts C again after a message (inline: the message path)
 *   mo_subcall_refused    a batch gRPC refused: local_failure set, the call cancelled
 *   mo_subcall_cancel     the owner ends the call (a stop; the idle watchdog with a status)
 *   mo_subcall_release    frees everything of the call once no batch is pending
 */
#ifndef MO_SUBCALL_H
#define MO_SUBCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "conn.h"
#include "loop.h"
#include "rpc.h"

struct mo_subcall {
    grpc_call *call;
    int pending; /* tags not yet back */
    mo_tag tag_start, tag_status, tag_recv;
    grpc_metadata md[MO_CALL_MD_MAX];
    grpc_byte_buffer *request;
    grpc_byte_buffer *recv;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
    /* a failure of ours (a batch gRPC refused, a call it could not create):
     * reported instead of the CANCELLED status gRPC then delivers */
    char local_failure[128];
};

void mo_subcall_init(struct mo_subcall *c);

/* Starts one Subscribe call for (cache, topic) at (resume_at, page) on conn,
 * with its three batches (A: request and headers, B: status, C: one message).
 * Before: no call in flight (call NULL, pending 0, the last call released).
 * After, one of:
 *  - all three batches started: pending 3; each tag comes back once through
 *    the loop (C once per message while the owner re-arms it);
 *  - a batch refused after others started: local_failure says why, the call
 *    is cancelled and the started batches come back (pending > 0);
 *  - nothing started (no call, no request, batch A refused): local_failure
 *    says why and pending is 0: the owner ends the stream itself.
 * Returns whether a tag is pending. From here until mo_subcall_release, c owns
 * the call, the request, the metadata arrays, recv, details and error_string;
 * c->md points into cache and the connection's strings, which outlive the call. */
bool mo_subcall_open(struct mo_subcall *c, mo_conn *conn, grpc_completion_queue *cq,
                     const char *cache, const char *topic, uint64_t resume_at, uint64_t page);

/* gRPC refused a batch: nothing of it was started and its tag never comes
 * back. The call is cancelled (src/lib/TRANSPORT.md §8: a failed batch leaves
 * it unusable) and local_failure says why. */
void mo_subcall_refused(struct mo_subcall *c, grpc_call_error e);

/* Cancels the call in flight: with `why` NULL as CANCELLED (a stop), else
 * with `status` and `why` (the idle watchdog). The tags come back. */
void mo_subcall_cancel(struct mo_subcall *c, grpc_status_code status, const char *why);

/* Batch C came back with a message the owner has taken out of recv: starts it
 * again with the same tag, so pending does not change. If gRPC refuses,
 * mo_subcall_refused has run, pending is one less, and false is returned: the
 * owner ends the stream at once if pending is then 0. Inline: it runs once per
 * message. A unit test of the subscription (tests/unit/test-sub.c) builds
 * sub.c with MO_SUB_FAKE and gives all of this module a fake call. */
#ifdef MO_SUB_FAKE
bool mo_subcall_rearm(struct mo_subcall *c);
#else
static inline bool mo_subcall_rearm(struct mo_subcall *c)
{
    grpc_op op = mo_op(GRPC_OP_RECV_MESSAGE);
    op.data.recv_message.recv_message = &c->recv;
    grpc_call_error e = grpc_call_start_batch(c->call, &op, 1, &c->tag_recv, NULL);
    if (__builtin_expect(e != GRPC_CALL_OK, 0)) {
        c->pending--;
        mo_subcall_refused(c, e);
        return false;
    }
    return true;
}
#endif

/* Frees everything of the current call: the call reference, the request, a
 * received buffer not taken yet, both metadata arrays, the status details and
 * the error string.
 * Before: no batch of the call is pending (gRPC writes into all of these until
 * its tag is back), and mo_subcall_open initialised the metadata arrays.
 * Exactly once per mo_subcall_open: grpc_metadata_array_destroy does not reset
 * the array, so a second call would free it twice.
 * After: call, request, recv and error_string are NULL, details is empty; the
 * next mo_subcall_open initialises the arrays again. */
void mo_subcall_release(struct mo_subcall *c);

#endif
