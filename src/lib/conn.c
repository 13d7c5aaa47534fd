/* conn.c - channel creation (TLS or plaintext, keepalive) and per-call headers. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "conn.h"

struct mo_conn {
    grpc_channel *channel;
    char *token;
    char agent[128];
    char runtime[128];
    bool once_sent; /* agent/runtime-version already went out on this connection */
};

int mo_conn_new(const struct mo_endpoint *ep, const char *token, const struct mo_conn_opts *opts,
                mo_conn **ret, char *err, size_t errlen)
{
    mo_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->token = strdup(token ? token : ""))) {
        free(c);
        snprintf(err, errlen, "out of memory creating a gRPC connection");
        return -ENOMEM;
    }
    if (opts && opts->agent)
        snprintf(c->agent, sizeof c->agent, "%s", opts->agent);
    else
        snprintf(c->agent, sizeof c->agent, "c:topic:%s", PACKAGE_VERSION);
    snprintf(c->runtime, sizeof c->runtime, "c:grpc-core-%s", grpc_version_string());

    grpc_arg args[10];
    size_t n = 0;
    args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIME_MS, {.integer = MO_KEEPALIVE_TIME_MS}};
    args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, {.integer = MO_KEEPALIVE_TIMEOUT_MS}};
    args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, {.integer = 1}};
    args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, {.integer = 0}};
    args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, {.integer = 1}};
    args[n++] = (grpc_arg){GRPC_ARG_STRING, GRPC_ARG_PRIMARY_USER_AGENT_STRING,
                           {.string = (char *)"momento-subscriber/" PACKAGE_VERSION}};
    if (opts && opts->max_reconnect_backoff_ms > 0)
        args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                               {.integer = opts->max_reconnect_backoff_ms}};
    if (opts && opts->max_receive_bytes > 0)
        args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                               {.integer = opts->max_receive_bytes}};
    if (opts && opts->disable_retries)
        args[n++] = (grpc_arg){GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_RETRIES, {.integer = 0}};
    grpc_channel_args cargs = {.num_args = n, .args = args};

    char *ca = NULL; /* momento.ca_file: its CA instead of the system's store */
    if (ep->tls && ep->ca_file[0] && !(ca = mo_endpoint_read_ca(ep->ca_file, err, errlen))) {
        free(c->token);
        free(c);
        return -EINVAL;
    }
    grpc_channel_credentials *cr = ep->tls ? grpc_ssl_credentials_create(ca, NULL, NULL, NULL)
                                           : grpc_insecure_credentials_create();
    free(ca);
    if (!cr) {
        snprintf(err, errlen, "cannot create %s channel credentials", ep->tls ? "TLS" : "plaintext");
        free(c->token);
        free(c);
        return -EINVAL;
    }
    c->channel = grpc_channel_create(ep->target, cr, &cargs);
    grpc_channel_credentials_release(cr);
    if (!c->channel) {
        snprintf(err, errlen, "cannot create a gRPC channel to %s", ep->target);
        free(c->token);
        free(c);
        return -EINVAL;
    }
    *ret = c;
    return 0;
}

void mo_conn_free(mo_conn *c)
{
    if (!c)
        return;
    grpc_channel_destroy(c->channel);
    explicit_bzero(c->token, strlen(c->token));
    free(c->token);
    free(c);
}

grpc_channel *mo_conn_channel(mo_conn *c) { return c->channel; }

static bool header_value_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

size_t mo_conn_metadata(mo_conn *c, const char *cache, grpc_metadata *md)
{
    size_t n = 0;
    memset(md, 0, MO_CALL_MD_MAX * sizeof *md);
    md[n].key = grpc_slice_from_static_string("authorization");
    md[n++].value = grpc_slice_from_static_string(c->token);
    if (!c->once_sent) {
        c->once_sent = true;
        md[n].key = grpc_slice_from_static_string("agent");
        md[n++].value = grpc_slice_from_static_string(c->agent);
        md[n].key = grpc_slice_from_static_string("runtime-version");
        md[n++].value = grpc_slice_from_static_string(c->runtime);
    }
    if (header_value_ok(cache)) {
        md[n].key = grpc_slice_from_static_string("cache");
        md[n++].value = grpc_slice_from_static_string(cache);
    }
    return n;
}

grpc_call *mo_conn_call(mo_conn *c, grpc_completion_queue *cq, const char *method,
                        gpr_timespec deadline)
{
    return grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                    grpc_slice_from_static_string(method), NULL, deadline, NULL);
}
