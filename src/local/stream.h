/* stream.h - one Subscribe stream: a heartbeat first, then the topic's ring.
 *
 * A stream is a cursor into its topic's ring plus two flags (heartbeat due,
 * discontinuity due), with exactly one SEND_MESSAGE in flight: when a send
 * completes the next thing goes out, in this order: a due heartbeat, a due
 * discontinuity, the entry under the cursor. A stream that fell out of the
 * ring gets a _Discontinuity and continues from the oldest entry, so its
 * memory is bounded whatever the client's speed. Heartbeats come from a timer
 * per stream, also while items flow. The stream fault options
 * (--fault-end-after, --fault-stall-after) and the call's metadata faults
 * (delay-ms: the first message held back; stream-error: the stream ended
 * after so many messages, heartbeats counted) are applied here, and each item
 * gRPC reports sent is a `delivered` line of the ledger (ledger.h).
 */
#ifndef TL_STREAM_H
#define TL_STREAM_H

#include <grpc/grpc.h>

#include "env.h"
#include "mdfault.h"
#include "topic.h"
#include "wire.h"

/* Takes over `call` (already accepted, request read) and starts streaming.
 * Releases the call through env->released when the stream is over.
 * Returns 0, or a negative errno after which the caller still owns the call. */
int tl_stream_start(struct tl_env *env, grpc_call *call, tl_cache *cache, tl_topic *topic,
                    const struct tl_subscribe_req *req, const struct tl_md_fault *mf);

/* Ends every stream of `cache` (every stream: NULL) with `code` and
 * `details`, as soon as the message each may have in flight is sent. Streams
 * already ending are left to end as they were. */
void tl_streams_end(struct tl_env *env, const tl_cache *cache, grpc_status_code code,
                    const char *details);

#endif
