/* unary.c - one unary gRPC call's batch and its buffers (unary.h). */
#include <config.h>

#include <grpc/support/alloc.h>

#include "cleanup.h"
#include "rpc.h"
#include "unary.h"

void mo_unary_init(struct mo_unary *u)
{
    u->call = NULL;
    u->req = u->resp = NULL;
    u->status = GRPC_STATUS_OK;
    u->details = grpc_empty_slice();
    u->error_string = NULL;
    grpc_metadata_array_init(&u->init_md);
    grpc_metadata_array_init(&u->trail_md);
}

grpc_call_error mo_unary_start(struct mo_unary *u, mo_conn *conn, const char *cache, mo_tag *tag)
{
    size_t nmd = mo_conn_metadata(conn, cache, u->md);
    grpc_op ops[6];
    ops[0] = mo_op(GRPC_OP_SEND_INITIAL_METADATA);
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = u->md;
    ops[1] = mo_op(GRPC_OP_SEND_MESSAGE);
    ops[1].data.send_message.send_message = u->req;
    ops[2] = mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT);
    ops[3] = mo_op(GRPC_OP_RECV_INITIAL_METADATA);
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &u->init_md;
    ops[4] = mo_op(GRPC_OP_RECV_MESSAGE);
    ops[4].data.recv_message.recv_message = &u->resp;
    ops[5] = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    ops[5].data.recv_status_on_client.trailing_metadata = &u->trail_md;
    ops[5].data.recv_status_on_client.status = &u->status;
    ops[5].data.recv_status_on_client.status_details = &u->details;
    ops[5].data.recv_status_on_client.error_string = &u->error_string;
    return grpc_call_start_batch(u->call, ops, ARRAY_SIZE(ops), tag, NULL);
}

void mo_unary_clear(struct mo_unary *u)
{
    /* the arrays before the call: received keys and values belong to it */
    grpc_metadata_array_destroy(&u->init_md);
    grpc_metadata_array_destroy(&u->trail_md);
    if (u->req)
        grpc_byte_buffer_destroy(u->req);
    if (u->resp)
        grpc_byte_buffer_destroy(u->resp);
    grpc_slice_unref(u->details);
    gpr_free((void *)u->error_string);
    if (u->call)
        grpc_call_unref(u->call);
    mo_unary_init(u);
}
