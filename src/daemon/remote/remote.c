/* remote.c - the momento: settings resolved, and compared (remote.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "remote/remote.h"

int mo_remote_resolve(const struct mo_config *cfg, bool lenient, struct mo_remote *ret,
                      bool *ret_unresolved, char *err, size_t errlen)
{
    struct mo_remote r = {0};
    if (ret_unresolved)
        *ret_unresolved = false;
    int rc = mo_creds_load(cfg->api_key_file, &r.creds, err, errlen);
    if (rc < 0) {
        mo_remote_clear(&r);
        *ret = (struct mo_remote){0};
        return rc;
    }
    if (lenient && r.creds.kind == MO_KEY_NONE && !cfg->endpoint_override) {
        if (ret_unresolved)
            *ret_unresolved = true;
        *ret = r;
        return 0;
    }
    struct mo_endpoint_opts o = {.endpoint = cfg->endpoint, .override = cfg->endpoint_override,
                                 .tls = cfg->tls, .ca_file = cfg->ca_file};
    if (mo_endpoint_resolve(&r.creds, &o, &r.ep, err, errlen) < 0) {
        mo_remote_clear(&r);
        *ret = (struct mo_remote){0};
        return -EINVAL;
    }
    *ret = r;
    return 0;
}

void mo_remote_clear(struct mo_remote *r)
{
    mo_creds_clear(&r->creds);
    r->ep = (struct mo_endpoint){0};
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

unsigned mo_remote_diff(const struct mo_remote *a, const struct mo_remote *b)
{
    unsigned d = 0;
    /* the bytes sent in `authorization`; compared, never copied anywhere */
    if (!same(a->creds.token, b->creds.token))
        d |= MO_REMOTE_KEY;
    if (strcmp(a->ep.target, b->ep.target) != 0 || strcmp(a->ep.authority, b->ep.authority) != 0)
        d |= MO_REMOTE_ENDPOINT;
    if (a->ep.tls != b->ep.tls || strcmp(a->ep.ca_file, b->ep.ca_file) != 0)
        d |= MO_REMOTE_TLS;
    return d;
}

const char *mo_remote_diff_names(unsigned diff, char *buf, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{MO_REMOTE_KEY, "key"}, {MO_REMOTE_ENDPOINT, "endpoint"}, {MO_REMOTE_TLS, "tls"}};
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(diff & names[i].bit))
            continue;
        int k = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? ", " : "", names[i].name);
        if (k < 0 || (size_t)k >= (len > n ? len - n : 0)) {
            if (len > n)
                buf[n] = '\0'; /* whole names only */
            break;
        }
        n += (size_t)k;
    }
    return buf;
}
