/* dataport.c - the data port's gRPC server: made, bound and started (again
 * after /unblock), cut off by /block, stopped cleanly, freed. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "conn.h"
#include "control.h"
#include "port.h"
#include "pubsub.h"
#include "server-int.h"
#include "stream.h"
#include "util.h"

/* The methods registered, in slot_kind's order (SLOT_OTHER takes the rest). */
static const char *const slot_method[SLOT_KINDS] = {
    MO_METHOD_PUBLISH,      MO_METHOD_SUBSCRIBE,   MO_METHOD_CREATE_CACHE,
    MO_METHOD_DELETE_CACHE, MO_METHOD_LIST_CACHES, NULL,
};


static int server_open(tl_server *s, const char *addr, char *err, size_t errlen);

/* ---- shutdown bookkeeping ---- */

static void maybe_stopped(tl_server *s)
{
    if (s->stopping && s->stopped && s->armed == 0 && s->env.live == 0)
        mo_loop_quit(s->env.loop);
}

static void on_released(struct tl_env *env)
{
    maybe_stopped(container_of(env, tl_server, env));
}

static void on_shutdown_done(mo_tag *tag, bool ok)
{
    tl_server *s = container_of(tag, tl_server, shutdown_tag);
    s->stopped = true;
    maybe_stopped(s);
}

void tl_server_shutdown(tl_server *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    tl_log(&s->env, "stopping: %zu calls open", s->env.live);
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->data == PORT_OPEN)
        grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->shutdown_tag);
    else if (s->data == PORT_CLOSED)
        s->stopped = true; /* (PORT_CLOSING: on_drained says when) */
    /* streams never end by themselves: cancel them so the shutdown completes */
    if (s->srv)
        grpc_server_cancel_all_calls(s->srv);
    /* and replies held back go now (to cancelled calls), so that they are released */
    while (s->late.next != &s->late) {
        struct reply *r = s->late.next;
        mo_timer_stop(s->env.loop, &r->timer);
        tl_reply_send(r);
    }
    maybe_stopped(s);
}

/* ---- the test-admin port: /block and /unblock ---- */

/* Listens again once nothing of the old server is left: its shutdown done and
 * every slot back (they are armed again on the new one). */
static void reopen_if_due(tl_server *s)
{
    if (s->data != PORT_CLOSED || s->blocked || s->stopping || s->armed > 0)
        return;
    char err[512];
    if (server_open(s, s->addr, err, sizeof err) < 0) {
        if (!s->reopen_failed) /* once, not at every retry */
            mo_warn("test-admin /unblock: %s; trying again every %d ms", err,
                    REOPEN_RETRY_US / 1000);
        s->reopen_failed = true;
        mo_timer_start(s->env.loop, &s->reopen_timer, REOPEN_RETRY_US);
        return;
    }
    s->reopen_failed = false;
    tl_log(&s->env, "test-admin /unblock: the data port listens again on %s", s->addr);
}

/* A slot took its call (or came back from a shutdown): what waited for it. */
static void slot_back(tl_server *s)
{
    reopen_if_due(s);
    maybe_stopped(s);
}

static void on_reopen_due(mo_timer *t) { reopen_if_due(container_of(t, tl_server, reopen_timer)); }

static void on_drain_slow(mo_timer *t)
{
    tl_server *s = container_of(t, tl_server, drain_timer);
    tl_log(&s->env, "test-admin /block: %zu calls still open after %d ms: cancelled", s->env.live,
           DRAIN_GRACE_US / 1000);
    grpc_server_cancel_all_calls(s->srv);
}

static void on_drained(mo_tag *tag, bool ok)
{
    tl_server *s = container_of(tag, tl_server, drain_tag);
    mo_timer_stop(s->env.loop, &s->drain_timer);
    grpc_server_destroy(s->srv);
    s->srv = NULL;
    s->data = PORT_CLOSED;
    tl_log(&s->env, "test-admin /block: the data port is closed");
    if (s->stopping)
        s->stopped = true;
    reopen_if_due(s);
    maybe_stopped(s);
}

bool tl_server_block(tl_server *s)
{
    if (s->stopping || s->blocked)
        return false;
    s->blocked = true;
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->data != PORT_OPEN) { /* an /unblock had not opened it yet */
        tl_log(&s->env, "test-admin /block: the data port stays closed");
        return true;
    }
    tl_log(&s->env, "test-admin /block: cutting the data port off (%zu calls open)", s->env.live);
    /* The listeners close and GOAWAY tells the clients' channels to go, so
     * that new calls and reconnects fail until /unblock; then the streams are
     * lost, as UNAVAILABLE (what a client sees when its connection breaks).
     * In this order, a client that subscribes again at once, on the status,
     * has seen the GOAWAY before it: it does not try the old connection, where
     * the shutting-down server would cancel its call. */
    s->data = PORT_CLOSING;
    grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->drain_tag);
    mo_timer_start(s->env.loop, &s->drain_timer, DRAIN_GRACE_US);
    tl_streams_end(&s->env, NULL, GRPC_STATUS_UNAVAILABLE, BLOCKED_DETAILS);
    while (s->late.next != &s->late) { /* Publish answers held back are lost too */
        struct reply *r = s->late.next;
        mo_timer_stop(s->env.loop, &r->timer);
        r->code = GRPC_STATUS_UNAVAILABLE;
        grpc_slice_unref(r->details);
        r->details = grpc_slice_from_static_string(BLOCKED_DETAILS);
        grpc_byte_buffer_destroy(r->msg);
        r->msg = NULL;
        tl_reply_send(r);
    }
    return true;
}

bool tl_server_unblock(tl_server *s)
{
    if (s->stopping || !s->blocked)
        return false;
    s->blocked = false;
    tl_log(&s->env, "test-admin /unblock: opening the data port%s",
           s->data == PORT_CLOSING ? " once the blocked server has shut down" : "");
    reopen_if_due(s);
    return true;
}

/* ---- creation ---- */

/* Creates the gRPC server on `addr`, binds and starts it, and arms every slot
 * not armed: at start, and again after a /block (reopen). Returns 0 (s->srv
 * serving on s->port), or a negative errno with a sentence in err. */
static int server_open(tl_server *s, const char *addr, char *err, size_t errlen)
{
    const struct tl_opts *o = s->env.opts;
    grpc_arg args[] = {
        {GRPC_ARG_INTEGER, GRPC_ARG_MAX_CONCURRENT_STREAMS, {.integer = MO_STREAMS_PER_CONN}},
        /* the SDKs ping every 5 s (Node.js), also with no call open */
        {GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, {.integer = 1000}},
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, {.integer = 1}},
        {GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MAX_PING_STRIKES, {.integer = 0}},
        /* a taken port must be an error, not a shared port */
        {GRPC_ARG_INTEGER, GRPC_ARG_ALLOW_REUSEPORT, {.integer = 0}},
        /* a client's grpc-timeout must not cut a Subscribe stream on our side */
        {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_DEADLINE_CHECKS, {.integer = 0}},
        /* find dead clients (a half-open connection) within a minute */
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIME_MS, {.integer = 30000}},
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, {.integer = 20000}},
        /* no optional filters: 20% less CPU per Publish (measured: 24 -> 19 us on
         * this 2-core box), which matters as this server is a benchmark's load
         * sink. What they would add is off or ours anyway: deadlines (off,
         * above), message size (--max-payload), compression (no SDK uses it). */
        {GRPC_ARG_INTEGER, GRPC_ARG_MINIMAL_STACK, {.integer = 1}},
    };
    grpc_channel_args cargs = {.num_args = ARRAY_SIZE(args), .args = args};
    s->srv = grpc_server_create(&cargs, NULL);
    grpc_server_register_completion_queue(s->srv, mo_loop_cq(s->env.loop), NULL);
    for (int k = 0; k < SLOT_KINDS; k++)
        if (slot_method[k])
            s->methods[k] = grpc_server_register_method(
                s->srv, slot_method[k], NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    int port = grpc_server_add_http2_port(s->srv, addr, s->creds);
    if (port <= 0) {
        if (!tl_port_explain_bind_failure(addr, err, errlen) && o->tls_cert)
            snprintf(err, errlen,
                     "cannot serve TLS with --tls-cert %s and --tls-key %s: the key does not "
                     "match the certificate, or one of them is not valid (--verbose shows "
                     "gRPC's reason)",
                     o->tls_cert, o->tls_key);
        grpc_server_destroy(s->srv); /* never started: no shutdown needed */
        s->srv = NULL;
        return -EADDRINUSE;
    }
    s->port = port;
    grpc_server_start(s->srv);
    s->started = true;
    s->data = PORT_OPEN;
    for (int k = 0; k < SLOT_KINDS; k++)
        for (int i = 0; i < slots_of((enum slot_kind)k); i++) {
            struct slot *sl = &s->slots[k][i];
            sl->tag.fn = tl_on_call;
            sl->srv = s;
            sl->kind = (enum slot_kind)k;
            if (!sl->armed)
                tl_slot_arm(sl);
        }
    return 0;
}

int tl_server_new(const struct tl_opts *o, mo_loop *loop, tl_store *store, tl_ledger *ledger,
                  tl_server **ret, char *err, size_t errlen)
{
    grpc_server_credentials *creds = tl_port_credentials(o, err, errlen);
    if (!creds)
        return -EINVAL;

    tl_server *s = calloc(1, sizeof *s);
    if (!s) {
        grpc_server_credentials_release(creds);
        return -ENOMEM;
    }
    s->creds = creds; /* kept (one ref) to listen again after a /block */
    s->slot_back = slot_back;
    s->env = (struct tl_env){.loop = loop, .opts = o, .store = store, .ledger = ledger,
                             .released = on_released};
    s->late.next = s->late.prev = &s->late;
    s->shutdown_tag.fn = on_shutdown_done;
    s->drain_tag.fn = on_drained;
    mo_timer_init(&s->drain_timer, on_drain_slow);
    mo_timer_init(&s->reopen_timer, on_reopen_due);
    int r = tl_mdfault_new(&s->mdf) < 0 ? -ENOMEM : server_open(s, o->listen, err, errlen);
    if (r < 0) {
        tl_server_free(s);
        return r;
    }
    /* where /unblock listens again: the same port, also when --listen said 0 */
    tl_port_addr(o->listen, s->port, s->addr, sizeof s->addr);
    *ret = s;
    return 0;
}

int tl_server_port(const tl_server *s) { return s->port; }

void tl_server_free(tl_server *s)
{
    if (!s)
        return;
    if (s->srv) {
        if (s->started && !s->stopping) {
            /* never started, or the loop was left early: stop without waiting */
            if (s->data == PORT_OPEN)
                grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop),
                                                &s->shutdown_tag);
            grpc_server_cancel_all_calls(s->srv);
        }
        grpc_server_destroy(s->srv);
    }
    mo_timer_stop(s->env.loop, &s->drain_timer);
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->creds)
        grpc_server_credentials_release(s->creds);
    tl_mdfault_free(s->mdf);
    free(s);
}
