/* subcall.c - the gRPC side of one Subscribe call (subcall.h). */
#include <config.h>

#include <stdio.h>

#include <grpc/support/alloc.h>

#include "pubsub.h"
#include "sub/subcall.h"

void mo_subcall_init(struct mo_subcall *c) { c->details = grpc_empty_slice(); }

void mo_subcall_refused(struct mo_subcall *c, grpc_call_error e)
{
    snprintf(c->local_failure, sizeof c->local_failure,
             "could not start a call batch (grpc_call_error %d)", (int)e);
    grpc_call_cancel(c->call, NULL);
}

void mo_subcall_cancel(struct mo_subcall *c, grpc_status_code status, const char *why)
{
    if (why)
        grpc_call_cancel_with_status(c->call, status, why, NULL);
    else
        grpc_call_cancel(c->call, NULL);
}

/* Starts one batch of ops with `tag`, counted in pending; false when gRPC
 * refused it (mo_subcall_refused has run). The ops point into c, which must
 * stay put until the tag is back; its owner does. */
static bool start_batch(struct mo_subcall *c, const grpc_op *ops, size_t n, mo_tag *tag)
{
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK) {
        mo_subcall_refused(c, e);
        return false;
    }
    c->pending++;
    return true;
}

bool mo_subcall_open(struct mo_subcall *c, mo_conn *conn, grpc_completion_queue *cq,
                     const char *cache, const char *topic, uint64_t resume_at, uint64_t page)
{
    c->call = mo_conn_call(conn, cq, MO_METHOD_SUBSCRIBE, gpr_inf_future(GPR_CLOCK_REALTIME));
    c->request = mo_subscribe_request(cache, topic, resume_at, page);
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->status = GRPC_STATUS_OK;
    c->local_failure[0] = '\0';
    c->pending = 0;

    size_t nmd = mo_conn_metadata(conn, cache, c->md);
    grpc_op a[4] = {mo_op(GRPC_OP_SEND_INITIAL_METADATA), mo_op(GRPC_OP_SEND_MESSAGE),
                    mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT), mo_op(GRPC_OP_RECV_INITIAL_METADATA)};
    a[0].data.send_initial_metadata.count = nmd;
    a[0].data.send_initial_metadata.metadata = c->md;
    a[1].data.send_message.send_message = c->request;
    a[3].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
    grpc_op b = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    b.data.recv_status_on_client.trailing_metadata = &c->trailing_md;
    b.data.recv_status_on_client.status = &c->status;
    b.data.recv_status_on_client.status_details = &c->details;
    b.data.recv_status_on_client.error_string = &c->error_string;
    grpc_op r = mo_op(GRPC_OP_RECV_MESSAGE);
    r.data.recv_message.recv_message = &c->recv;

    if (!c->call || !c->request)
        snprintf(c->local_failure, sizeof c->local_failure, "could not create the call (out of memory?)");
    if (!c->call || !c->request || !start_batch(c, a, 4, &c->tag_start) ||
        !start_batch(c, &b, 1, &c->tag_status) || !start_batch(c, &r, 1, &c->tag_recv))
        return c->pending > 0;
    return true;
}

void mo_subcall_release(struct mo_subcall *c)
{
    if (c->call) {
        grpc_call_unref(c->call);
        c->call = NULL;
    }
    if (c->request) {
        grpc_byte_buffer_destroy(c->request);
        c->request = NULL;
    }
    if (c->recv) {
        grpc_byte_buffer_destroy(c->recv);
        c->recv = NULL;
    }
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);
    c->details = grpc_empty_slice();
    if (c->error_string) {
        gpr_free((void *)c->error_string);
        c->error_string = NULL;
    }
}
