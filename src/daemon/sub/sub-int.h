/* sub-int.h - what sub.c (the lifecycle) and message.c (the message path)
 * share of a subscription. Nothing outside src/daemon/sub/ includes it.
 */
#ifndef MO_SUB_INT_H
#define MO_SUB_INT_H

#include <grpc/grpc.h>

#include "latency/pubfloor.h"
#include "sub/continuity.h"
#include "sub/sub.h"
#include "sub/subcall.h"
#include "sub/sublog.h"

/* What is known of the current stream; reset when it starts. Facts, not
 * states: the lifecycle is mo_sub.state alone. */
struct mo_sub_stream {
    uint64_t started_us;
    uint64_t items;            /* items received, duplicates included */
    uint64_t delivered_before; /* `delivered` when it started */
    bool got_message;          /* a server message came (it reached UP) */
    bool got_item;             /* an item came: first_seq */
    uint64_t first_seq;
    /* how the server answered a resume (resumed: it asked for a position),
     * known at its first item or discontinuity (answered) */
    bool resumed, answered;
    enum mo_cont_resume resume_outcome;
    uint64_t resume_at, resume_page; /* what it asked for */
};

struct mo_sub {
    mo_loop *loop;
    mo_conn *conn;
    const struct mo_sub_settings *set;
    struct mo_sub_owner owner;
    char *cache, *topic;
    char *field; /* the decoder's dotted path points into this copy */
    struct mo_decoder dec;
    enum mo_sub_state state;
    bool ever_up; /* reached UP at least once (the owner's READY) */
    /* the cause of the last connect_error said (mo_ending_connect_cause),
     * until a stream comes up: said once per cause, again when it changes */
    const char *connect_said;

    struct mo_subcall rpc; /* the current call */
    struct mo_sub_stream stream;
    struct mo_cont cont;

    /* reconnect */
    unsigned failures; /* consecutive streams that ended without being healthy */
    unsigned seed;
    mo_timer backoff_timer, idle_timer, done_timer;
    uint64_t last_activity_us;

    struct mo_stats stats;
    struct mo_sublog log;
    mo_pubfloor *floor; /* per-publisher floors; made at the first publisher_id */
    uint64_t delivered; /* since mo_sub_new, for the owner's rates */
    mo_sub_tap_fn tap;  /* sees each delivered item (the canary's stream); NULL for most */
    void *tap_ctx;
};

/* message.c: one server message, in order through the rooms (sub.h), once
 * sub.c has noted the activity (last_activity_us is its arrival). */
void mo_sub_on_message(mo_sub *s, grpc_byte_buffer *bb, int64_t received_ns);
/* message.c: the stream ended on a message over the receive limit: it takes
 * the number due, so the next stream resumes past it, and it is reported. */
void mo_sub_skip_oversized(mo_sub *s, const char *details);

#endif
