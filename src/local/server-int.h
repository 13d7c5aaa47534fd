/* server-int.h - what server.c (the calls) and dataport.c (the gRPC server
 * itself: made, cut off by /block, made again by /unblock, stopped) share of
 * momento-topics-local's server: the call slots, the unary replies, the
 * server's state, and the few functions each side calls of the other. */
#ifndef TL_SERVER_INT_H
#define TL_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "env.h"
#include "loop.h"
#include "mdfault.h"
#include "server.h"

/* Requests kept armed per method. Calls that find none armed wait in gRPC's
 * pending queue, which refuses calls past 1000 (grpc.server.max_pending_requests):
 * keep enough armed for a burst of new calls from several clients. */
#define SLOTS_PER_METHOD 64
#define SLOTS_PER_CONTROL 4 /* control calls are few and quick */

/* The control kinds are in tl_ctl's order, after the two topic methods. */
enum slot_kind {
    SLOT_PUBLISH,
    SLOT_SUBSCRIBE,
    SLOT_CREATE,
    SLOT_DELETE,
    SLOT_LIST,
    SLOT_OTHER,
    SLOT_KINDS
};
static inline bool is_control(enum slot_kind k) { return k >= SLOT_CREATE && k <= SLOT_LIST; }
static inline int slots_of(enum slot_kind k) { return is_control(k) ? SLOTS_PER_CONTROL : SLOTS_PER_METHOD; }

/* The data port (the gRPC server), which the test-admin port cuts off. */
enum port_state {
    PORT_OPEN,    /* s->srv serving */
    PORT_CLOSING, /* /block: s->srv shutting down, its streams ending */
    PORT_CLOSED,  /* no s->srv: blocked, or /unblock waiting for the slots */
};

/* What a stream cut off by /block ends with, and a call that comes meanwhile. */
#define BLOCKED_DETAILS "the data port is blocked (test-admin /block)"
/* How long the streams ended at /block have to send their status before
 * whatever holds the shutdown up is cancelled. */
#define DRAIN_GRACE_US (1000 * 1000)
#define REOPEN_RETRY_US (500 * 1000)

struct slot {
    mo_tag tag;
    tl_server *srv;
    enum slot_kind kind;
    bool armed;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_call_details details;
    struct tl_md_fault mf; /* what the call's metadata asks for (mdfault.h) */
};

/* A unary answer: a Publish reply or a Trailers-Only refusal. */
struct reply {
    mo_tag tag;
    struct tl_env *env;
    grpc_call *call;
    int cancelled;
    grpc_status_code code;
    grpc_byte_buffer *msg;
    grpc_slice details;
    grpc_metadata trailer;
    bool has_trailer;
    /* --fault-delay-publish: waiting to be sent, in the server's list */
    mo_timer timer;
    struct reply *prev, *next;
};

struct tl_server {
    struct tl_env env;
    grpc_server *srv;
    void (*slot_back)(tl_server *s); /* told after every call a slot took (dataport.c) */
    void *methods[SLOT_KINDS]; /* registered methods; SLOT_OTHER's is NULL */
    int port;
    struct slot slots[SLOT_KINDS][SLOTS_PER_METHOD];
    size_t armed;
    uint64_t rejected; /* calls refused by --fault-reject */
    tl_mdfault *mdf;   /* the metadata faults' counts per request id */
    struct reply late; /* head of the circular list of replies held back */
    bool started, stopping, stopped;
    mo_tag shutdown_tag;

    /* the test-admin port's /block and /unblock (tl_server_block) */
    grpc_server_credentials *creds; /* one ref, to listen again */
    char addr[300];                 /* --listen with the real port */
    enum port_state data;
    bool blocked;          /* /block asked for it (and no /unblock since) */
    mo_tag drain_tag;      /* the blocked server's shutdown */
    mo_timer drain_timer;  /* what has not ended after the grace is cancelled */
    mo_timer reopen_timer; /* listening again failed: try again */
    bool reopen_failed;
};

/* server.c: a slot waits for its next call; the call that came to a slot;
 * a reply sent (taken off the list of those held back first). */
void tl_slot_arm(struct slot *sl);
void tl_on_call(mo_tag *tag, bool ok);
void tl_reply_send(struct reply *r);

#endif
