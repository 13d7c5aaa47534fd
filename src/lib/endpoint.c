/* endpoint.c - resolve the data-plane target from config, key and environment. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "secret.h"

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool mo_host_valid(const char *h, size_t n)
{
    char buf[256]; /* 253 characters, a final dot, and the NUL */
    if (n == 0 || n >= sizeof buf || memchr(h, '\0', n))
        return false;
    /* a key pasted where a host belongs can be made of valid labels */
    if (mo_secret_like(h, n))
        return false;
    memcpy(buf, h, n);
    buf[n] = '\0';
    if (buf[0] == '[') {
        struct in6_addr a6;
        if (n < 3 || buf[n - 1] != ']')
            return false;
        buf[n - 1] = '\0';
        return inet_pton(AF_INET6, buf + 1, &a6) == 1;
    }
    if (buf[n - 1] == '.') /* a fully qualified name */
        buf[--n] = '\0';
    if (n == 0 || n > 253)
        return false;
    bool numeric = false; /* the last label so far is all digits */
    for (const char *label = buf;;) {
        const char *dot = strchr(label, '.');
        size_t l = dot ? (size_t)(dot - label) : strlen(label);
        if (l == 0 || l > 63 || label[0] == '-' || label[l - 1] == '-')
            return false;
        numeric = true;
        for (size_t i = 0; i < l; i++) {
            if (!is_alpha(label[i]) && !is_digit(label[i]) && label[i] != '-')
                return false;
            numeric = numeric && is_digit(label[i]);
        }
        if (!dot)
            break;
        label = dot + 1;
    }
    /* no top-level domain is all digits (RFC 1123 2.1): this is an address */
    struct in_addr a4;
    return !numeric || inet_pton(AF_INET, buf, &a4) == 1;
}

bool mo_hostport_valid(const char *s)
{
    if (!s)
        return false;
    const char *colon = strrchr(s, ':');
    if (!colon || !mo_host_valid(s, (size_t)(colon - s)))
        return false;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    long port = strtol(p, NULL, 10);
    return port >= 1 && port <= 65535;
}

int mo_endpoint_check_tls(int tls, const char *override, char *err, size_t errlen)
{
    if (tls != 0 || (override && *override))
        return 0;
    if (err && errlen > 0)
        snprintf(err, errlen,
                 "tls: false is only allowed together with endpoint_override (a local server "
                 "or a proxy); the Momento service needs TLS");
    return -EINVAL;
}

char *mo_endpoint_read_ca(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "momento.ca_file %.300s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            snprintf(err, errlen, "momento.ca_file %.300s: out of memory", path);
            return NULL;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0 || len > MO_CA_FILE_MAX)
            break;
        if (cap - len - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (!b)
                free(buf);
            buf = b;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    buf[len] = '\0';
    const char *why = bad                 ? "cannot be read"
                      : len > MO_CA_FILE_MAX ? "is over 1 MiB: not a CA file"
                      : !strstr(buf, "-----BEGIN CERTIFICATE-----")
                          ? "holds no PEM certificate (no -----BEGIN CERTIFICATE----- line)"
                          : NULL;
    if (why) {
        snprintf(err, errlen, "momento.ca_file %.300s %s", path, why);
        free(buf);
        return NULL;
    }
    return buf;
}

int mo_endpoint_resolve(const struct mo_creds *creds, const struct mo_endpoint_opts *o,
                        struct mo_endpoint *ret, char *err, size_t errlen)
{
    struct mo_endpoint e = {.tls = o->tls != 0};
    if (o->ca_file && *o->ca_file) {
        if (strlen(o->ca_file) >= sizeof e.ca_file) {
            snprintf(err, errlen, "momento.ca_file: the path is over %zu bytes", sizeof e.ca_file - 1);
            return -EINVAL;
        }
        char *pem = mo_endpoint_read_ca(o->ca_file, err, errlen);
        if (!pem)
            return -EINVAL;
        free(pem);
        snprintf(e.ca_file, sizeof e.ca_file, "%s", o->ca_file);
    }

    if (o->override && *o->override) {
        if (mo_secret_like(o->override, strlen(o->override))) {
            snprintf(err, errlen, "endpoint_override looks like an API key, not HOST:PORT; the "
                                  "key belongs in a key file");
            return -EINVAL;
        }
        if (!mo_hostport_valid(o->override)) {
            snprintf(err, errlen, "endpoint_override \"%.200s\" is not HOST:PORT", o->override);
            return -EINVAL;
        }
        snprintf(e.target, sizeof e.target, "%s", o->override);
        const char *colon = strrchr(o->override, ':');
        size_t hl = (size_t)(colon - o->override);
        if (o->override[0] == '[') /* [::1]:8080 -> ::1 */
            snprintf(e.authority, sizeof e.authority, "%.*s", (int)(hl - 2), o->override + 1);
        else
            snprintf(e.authority, sizeof e.authority, "%.*s", (int)hl, o->override);
        e.overridden = true;
        *ret = e;
        return 0;
    }

    if (mo_endpoint_check_tls(o->tls, NULL, err, errlen) < 0)
        return -EINVAL;
    if (!creds || creds->kind == MO_KEY_NONE) {
        snprintf(err, errlen,
                 "no Momento API key found: set api_key_file in the config, pass the systemd "
                 "credential momento-api-key, or set MOMENTO_API_KEY (or set endpoint_override "
                 "to use a local server)");
        return -EINVAL;
    }

    char host[300];
    const char *from; /* where the host came from, for messages */
    if (creds->kind == MO_KEY_LEGACY_JWT) {
        snprintf(host, sizeof host, "%s", creds->cache_host);
        from = "the cache host the legacy key names";
    } else {
        const char *base = o->endpoint && *o->endpoint ? o->endpoint : NULL;
        from = "the endpoint given (momento.endpoint or --endpoint)";
        if (!base && creds->kind == MO_KEY_V1) {
            base = creds->endpoint;
            from = "the endpoint the v1 key carries";
        }
        if (!base) {
            const char *env = getenv("MOMENTO_ENDPOINT");
            if (env && *env)
                base = env;
            from = "MOMENTO_ENDPOINT";
        }
        if (!base) {
            snprintf(err, errlen,
                     "a v2 API key does not carry its endpoint: set momento.endpoint in the "
                     "config or MOMENTO_ENDPOINT (e.g. cell-1-us-east-1-1.prod.a.momentohq.com)");
            return -EINVAL;
        }
        if (strncmp(base, "cache.", 6) == 0)
            base += 6; /* tolerate a full cache host where the base was meant */
        snprintf(host, sizeof host, "cache.%s", base);
    }
    if (mo_secret_like(host, strlen(host))) {
        snprintf(err, errlen, "%s looks like an API key, not a host name; the key belongs in a "
                              "key file, the endpoint is a host name such as "
                              "cell-1-us-east-1-1.prod.a.momentohq.com", from);
        return -EINVAL;
    }
    if (!mo_host_valid(host, strlen(host))) {
        snprintf(err, errlen, "endpoint host \"%.200s\" (from %s) is not a valid host name", host,
                 from);
        return -EINVAL;
    }
    snprintf(e.authority, sizeof e.authority, "%s", host);
    snprintf(e.target, sizeof e.target, "%s:443", host);
    e.tls = true;
    *ret = e;
    return 0;
}

int mo_endpoint_control(const struct mo_endpoint *data, struct mo_endpoint *ret)
{
    *ret = *data;
    if (data->overridden)
        return 0;
    if (strncmp(data->authority, "cache.", 6) != 0)
        return -ENOENT;
    const char *base = data->authority + 6;
    snprintf(ret->authority, sizeof ret->authority, "control.%s", base);
    snprintf(ret->target, sizeof ret->target, "control.%s:443", base);
    return 0;
}
