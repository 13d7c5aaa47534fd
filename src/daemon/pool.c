/* pool.c - connections shared by streams (pool.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "pool.h"

struct slot {
    mo_conn *conn;
    size_t streams;
};

struct mo_pool {
    const struct mo_endpoint *ep;
    const char *token;
    struct slot *v;
    size_t n;
};

int mo_pool_new(const struct mo_endpoint *ep, const char *token, mo_pool **ret)
{
    mo_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->ep = ep;
    p->token = token;
    *ret = p;
    return 0;
}

void mo_pool_free(mo_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        mo_conn_free(p->v[i].conn);
    free(p->v);
    free(p);
}

int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].streams < MO_STREAMS_PER_CONN) {
            p->v[i].streams++;
            *ret = p->v[i].conn;
            return 0;
        }
    struct slot *v = realloc(p->v, (p->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    p->v = v;
    /* the reason mo_conn_new gives is only ever out of memory or a channel
     * gRPC would not create; the caller reports the errno */
    char err[512];
    mo_conn *c;
    int r = mo_conn_new(p->ep, p->token, opts, &c, err, sizeof err);
    if (r < 0)
        return r;
    p->v[p->n++] = (struct slot){.conn = c, .streams = 1};
    *ret = c;
    return 0;
}

void mo_pool_release(mo_pool *p, mo_conn *conn)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].conn == conn) {
            p->v[i].streams--;
            return;
        }
}
