/* no-calls.c - an LD_PRELOAD library for tests: no Publish call can be
 * created, as if gRPC could not allocate one; every other call (the loop's
 * own waker among them) is created as usual. It gives momento-publish a
 * failure that never reaches the wire and repeats for every publish, which
 * nothing outside the process can cause. Used by publish-local-failure.sh. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/slice.h>

typedef grpc_call *create_call_fn(grpc_channel *, grpc_call *, uint32_t, grpc_completion_queue *,
                                  grpc_slice, const grpc_slice *, gpr_timespec, void *);

grpc_call *grpc_channel_create_call(grpc_channel *channel, grpc_call *parent_call,
                                    uint32_t propagation_mask, grpc_completion_queue *cq,
                                    grpc_slice method, const grpc_slice *host,
                                    gpr_timespec deadline, void *reserved)
{
    if (grpc_slice_str_cmp(method, "/cache_client.pubsub.Pubsub/Publish") == 0)
        return NULL;
    create_call_fn *real = (create_call_fn *)dlsym(RTLD_NEXT, "grpc_channel_create_call");
    return real(channel, parent_call, propagation_mask, cq, method, host, deadline, reserved);
}
