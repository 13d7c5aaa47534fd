/* opts.h - the command line of momento-topics-local. */
#ifndef TL_OPTS_H
#define TL_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"

#define TL_OFF UINT64_MAX /* an unset count option */

/* Which calls --fault-reject refuses (--fault-reject-rpc). */
enum tl_rpc {
    TL_RPC_ANY,       /* Publish and Subscribe */
    TL_RPC_PUBLISH,
    TL_RPC_SUBSCRIBE,
    TL_RPC_CONTROL,   /* CreateCache, DeleteCache, ListCaches (never with TL_RPC_ANY) */
};

/* How --stream-items and --stream-lifetime end a healthy stream. */
enum tl_stream_end {
    TL_END_OK,  /* status OK, no message */
    TL_END_RST, /* what a client reports for RST_STREAM(NO_ERROR): INTERNAL */
};

struct tl_opts {
    const char *listen;       /* HOST:PORT, port 0 = ephemeral */
    const char *port_file;
    char *token;              /* owned (wiped when cleared); NULL: any token is accepted */
    char **caches;            /* NULL: every cache exists (else n_caches may be 0) */
    size_t n_caches;
    uint64_t heartbeat_us;    /* 0: only the first heartbeat */
    uint64_t replay;
    uint64_t replay_window_us; /* 0: no time limit */
    bool announce_page;        /* heartbeat + _Discontinuity with the page on fresh streams */
    bool disc_at;              /* new_topic_sequence is the next item's number (else: after it) */
    uint64_t stream_items;     /* end every stream after N items; 0 = never */
    uint64_t stream_lifetime_us; /* end every stream after this long; 0 = never */
    enum tl_stream_end stream_end;
    uint64_t max_subscribers; /* per cache; 0 = no limit */
    uint64_t max_payload;     /* bytes; 0 = no limit */
    /* --topic-limits: what ListCaches tells of every cache, and enforced
     * (each 0 = no limit) beside --max-subscribers and --max-payload */
    struct mo_topic_limits topic_limits;
    bool has_topic_limits;
    const char *tls_cert, *tls_key;
    const char *publisher_id;
    bool publisher_id_from_token; /* each item's publisher_id: its Publish call's authorization */
    bool verbose;
    const char *ledger;       /* --ledger FILE, or NULL */
    /* fault injection, for tests */
    uint64_t fault_end_after;   /* TL_OFF or items per stream */
    uint64_t fault_stall_after; /* TL_OFF or items per stream */
    uint64_t fault_drop_every;  /* 0 = off */
    uint64_t fault_reset_after; /* 0 = off */
    int fault_reject_code;      /* -1 = off */
    uint64_t fault_reject_count;/* 0 = every call (of fault_reject_rpc) */
    enum tl_rpc fault_reject_rpc; /* the calls it applies to */
    uint64_t fault_delay_publish_us; /* 0 = off; else every Publish is answered this late */
    uint64_t fault_malformed_every; /* 0 = off; else items per stream between malformed messages */
    /* the test-admin port (admin.h) */
    const char *admin_listen;    /* HOST:PORT, or NULL: off */
    const char *admin_port_file;
    bool admin_allow_remote;     /* a HOST that is not loopback is allowed */
};

enum tl_opts_result {
    TL_OPTS_RUN,
    TL_OPTS_HELP,    /* usage printed: exit 0 */
    TL_OPTS_VERSION, /* version printed: exit 0 */
};

/* Parses argv into `ret` (strings point into argv, except `caches` and
 * `token`; the argument of --token is wiped from argv). Returns a
 * tl_opts_result, or a negative errno with a sentence naming the option in
 * err. tl_opts_clear frees what it took, whatever the result. */
int tl_opts_parse(int argc, char **argv, struct tl_opts *ret, char *err, size_t errlen);
void tl_opts_clear(struct tl_opts *o);
/* Wipes and frees the token only. */
void tl_opts_clear_token(struct tl_opts *o);
void tl_opts_usage(FILE *f);

#endif
