/* ending.c - stream ends and refusals explained (ending.h). */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sub/ending.h"

/* gRPC's own words for a received message over the channel's limit (the C
 * core's message size filter) */
static const char oversize_text[] = "Received message larger than max";

/* "error code 0" and not 01, 0x2 ... */
static bool code_zero(const char *details)
{
    static const char ec[] = "error code 0";
    const char *p = strstr(details, ec);
    if (!p)
        return false;
    char next = p[sizeof ec - 1];
    return !(next >= '0' && next <= '9') && next != 'x' && next != 'X';
}

enum mo_ending mo_ending_classify(grpc_status_code status, const char *details, bool stopping, bool idle)
{
    if (stopping)
        return MO_END_CANCELLED;
    if (idle)
        return MO_END_IDLE;
    switch (status) {
    case GRPC_STATUS_OK:
        return MO_END_OK;
    case GRPC_STATUS_INTERNAL:
        /* gRPC C core: "Received RST_STREAM with error code 0"; Go: "stream
         * terminated by RST_STREAM with error code: NO_ERROR" */
        return strstr(details, "RST_STREAM") && (strstr(details, "NO_ERROR") || code_zero(details))
                   ? MO_END_RST
                   : MO_END_ERROR;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        return strncmp(details, oversize_text, sizeof oversize_text - 1) == 0 ? MO_END_OVERSIZED
                                                                             : MO_END_ERROR;
    default:
        return MO_END_ERROR;
    }
}

const char *mo_ending_name(enum mo_ending e)
{
    static const char *const names[MO_END__COUNT] = {
        [MO_END_OK] = "ok",         [MO_END_RST] = "rst",           [MO_END_IDLE] = "idle",
        [MO_END_CANCELLED] = "cancelled", [MO_END_OVERSIZED] = "oversized", [MO_END_ERROR] = "error"};
    return (unsigned)e < MO_END__COUNT ? names[e] : "error";
}

bool mo_ending_normal(enum mo_ending e)
{
    return e == MO_END_OK || e == MO_END_RST || e == MO_END_OVERSIZED;
}

bool mo_ending_oversize(const char *details, uint64_t *ret_size, uint64_t *ret_limit)
{
    uint64_t size, limit;
    char end;
    if (strncmp(details, oversize_text, sizeof oversize_text - 1) != 0 ||
        sscanf(details + sizeof oversize_text - 1, " (%" SCNu64 " vs. %" SCNu64 "%c", &size, &limit,
               &end) != 3 ||
        end != ')')
        return false;
    *ret_size = size;
    *ret_limit = limit;
    return true;
}

const char *mo_ending_limit(const char *details, const char *err, long long *ret_limit)
{
    static const struct {
        const char *err, *word, *name;
    } limits[] = {
        {"topic_subscriptions_limit_exceeded", "subscribers", "subscriptions"},
        {"operations_rate_limit_exceeded", "operations", "operations rate"},
        {"throughput_rate_limit_exceeded", "throughput", "throughput"},
        {"request_size_limit_exceeded", "request limit", "request size"},
        {"item_size_limit_exceeded", "item size", "item size"},
        {"element_size_limit_exceeded", "element size", "element size"},
    };
    const char *name = NULL;
    for (size_t i = 0; i < sizeof limits / sizeof *limits && !name; i++)
        if (strcmp(err, limits[i].err) == 0)
            name = limits[i].name;
    for (size_t i = 0; i < sizeof limits / sizeof *limits && !name && !*err; i++)
        if (strstr(details, limits[i].word))
            name = limits[i].name;
    *ret_limit = -1;
    static const char *const before[] = {"limit of ", "limit: ", "limit "};
    for (size_t i = 0; i < sizeof before / sizeof *before; i++) {
        const char *p = strstr(details, before[i]);
        long long v;
        int used;
        if (p && sscanf(p + strlen(before[i]), "%lld%n", &v, &used) == 1 && v >= 0 && used > 0) {
            *ret_limit = v;
            break;
        }
    }
    return name;
}

static bool has(const char *details, const char *what) { return strcasestr(details, what) != NULL; }

const char *mo_ending_connect_cause(grpc_status_code status, const char *details)
{
    if (status != GRPC_STATUS_UNAVAILABLE)
        return NULL;
    if (has(details, "DNS resolution failed"))
        return "dns";
    if (has(details, "Peer name") && has(details, "is not in peer certificate"))
        return "tls_name";
    if (has(details, "CERTIFICATE_VERIFY_FAILED") || has(details, "certificate verify failed"))
        return "tls_untrusted";
    if (has(details, "Ssl handshake failed") || has(details, "SSL_ERROR"))
        return "tls";
    if (!has(details, "failed to connect") && !has(details, "Failed to connect"))
        return NULL;
    if (has(details, "Connection refused"))
        return "refused";
    if (has(details, "unreachable") || has(details, "No route to host"))
        return "unreachable";
    if (has(details, "Timeout") || has(details, "timed out") || has(details, "Deadline"))
        return "timeout";
    return "connect";
}

/* connect_error's hint for each cause. */
static void connect_hint(const char *cause, const struct mo_ending_names *n, char *hint,
                         size_t hint_len)
{
    const char *what;
    if (strcmp(cause, "dns") == 0)
        what = "the host name does not resolve: check the endpoint (or endpoint_override) and "
               "this host's resolver (/etc/resolv.conf)";
    else if (strcmp(cause, "tls_name") == 0)
        what = "the server's certificate is for another host name: check the endpoint (a "
               "proxy must present a certificate for the name the daemon dials)";
    else if (strcmp(cause, "tls_untrusted") == 0)
        what = n->ca_file ? "the server's certificate is not signed by the CA of momento.ca_file, "
                            "or it has expired (check this host's clock too)"
                          : "the server's certificate is not trusted by this host's CA store, or "
                            "it has expired: check the clock and the ca-certificates package; for "
                            "a proxy or a test rig with its own CA, set momento.ca_file";
    else if (strcmp(cause, "tls") == 0)
        what = "the TLS handshake failed: is it a TLS port? (a plaintext local server needs "
               "tls: false)";
    else if (strcmp(cause, "refused") == 0)
        what = "nothing listens there: check the endpoint, and that the server or proxy runs";
    else if (strcmp(cause, "unreachable") == 0)
        what = "the network has no route there: check this host's network and the endpoint";
    else if (strcmp(cause, "timeout") == 0)
        what = "the connection timed out: a firewall or a black hole on the way, or the server "
               "is down";
    else
        what = "the connection could not be made";
    snprintf(hint, hint_len, "cannot connect to %.200s: %s; the daemon keeps retrying with backoff",
             n->target, what);
}

bool mo_ending_explain(grpc_status_code status, const char *details, const char *err,
                       const struct mo_ending_names *n, enum mo_event_type *ret_type,
                       char *hint, size_t hint_len)
{
    const char *cause = mo_ending_connect_cause(status, details);
    if (cause) {
        connect_hint(cause, n, hint, hint_len);
        *ret_type = MO_EV_CONNECT_ERROR;
        return true;
    }
    switch (status) {
    case GRPC_STATUS_UNAUTHENTICATED:
    case GRPC_STATUS_PERMISSION_DENIED:
        if (status == GRPC_STATUS_UNAUTHENTICATED && n->key_expired_at) {
            snprintf(hint, hint_len,
                     "the API key (%s) expired at %s: the key is not wrong, it is too old; create "
                     "a new key, put it in its place and reload; the daemon keeps retrying",
                     n->key_source, n->key_expired_at);
            *ret_type = MO_EV_AUTH_ERROR;
            return true;
        }
        snprintf(hint, hint_len,
                 "the service rejected the API key (%s); check that it is valid, not expired, and "
                 "allowed to subscribe to cache %.200s; the daemon keeps retrying",
                 n->key_source, n->cache);
        *ret_type = MO_EV_AUTH_ERROR;
        return true;
    case GRPC_STATUS_NOT_FOUND:
        snprintf(hint, hint_len,
                 "cache %.200s does not exist at %.200s; create it or fix the subscription in %.400s; the "
                 "daemon keeps retrying",
                 n->cache, n->target, n->config_path);
        *ret_type = MO_EV_NOT_FOUND;
        return true;
    case GRPC_STATUS_RESOURCE_EXHAUSTED: {
        long long limit;
        const char *name = mo_ending_limit(details, err, &limit);
        if (name && strcmp(name, "subscriptions") == 0 && limit >= 0)
            snprintf(hint, hint_len,
                     "too many subscriptions for cache %.200s: this account allows %lld "
                     "subscriptions; ask Momento support to raise it, or subscribe to fewer "
                     "topics; the daemon keeps retrying",
                     n->cache, limit);
        else if (name && strcmp(name, "subscriptions") == 0)
            snprintf(hint, hint_len,
                     "too many subscriptions for cache %.200s: this account's limit is reached; "
                     "ask Momento support to raise it, or subscribe to fewer topics; the daemon "
                     "keeps retrying",
                     n->cache);
        else if (name)
            snprintf(hint, hint_len,
                     "this account's %s limit%s%.0lld was exceeded; ask Momento support to raise "
                     "it, or send less; the daemon keeps retrying with backoff",
                     name, limit >= 0 ? " of " : "", limit >= 0 ? limit : 0);
        else
            snprintf(hint, hint_len,
                     "a service limit was exceeded%s%s; the daemon keeps retrying with backoff",
                     *err ? ": " : "", err);
        *ret_type = MO_EV_LIMIT_EXCEEDED;
        return true;
    }
    default:
        return false;
    }
}
