/* pool.c - connections shared by streams (pool.h). */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "remote/pool.h"

struct slot {
    mo_conn *conn;
    size_t streams;
    bool retired; /* opened for an earlier target */
    /* what it was opened with: a reload back to it makes it current again */
    struct mo_endpoint ep;
    char *token;
};

struct mo_pool {
    struct mo_endpoint ep;
    char *token;
    struct slot *v;
    size_t n;
};

static void free_token(char *t)
{
    if (t) {
        explicit_bzero(t, strlen(t)); /* no key left in freed memory */
        free(t);
    }
}

int mo_pool_new(const struct mo_endpoint *ep, const char *token, mo_pool **ret)
{
    mo_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->ep = *ep;
    p->token = strdup(token ? token : "");
    if (!p->token) {
        free(p);
        return -ENOMEM;
    }
    *ret = p;
    return 0;
}

void mo_pool_free(mo_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        mo_conn_free(p->v[i].conn);
        free_token(p->v[i].token);
    }
    free(p->v);
    free_token(p->token);
    free(p);
}

/* Closes slot i; the others keep their order (the order they were opened). */
static void drop(mo_pool *p, size_t i)
{
    mo_conn_free(p->v[i].conn);
    free_token(p->v[i].token);
    memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof p->v[0]);
    p->n--;
}

static bool same_target(const struct slot *sl, const struct mo_endpoint *ep, const char *token)
{
    return strcmp(sl->ep.target, ep->target) == 0 && strcmp(sl->ep.authority, ep->authority) == 0 &&
           sl->ep.tls == ep->tls && strcmp(sl->token, token) == 0;
}

int mo_pool_set_target(mo_pool *p, const struct mo_endpoint *ep, const char *token)
{
    char *t = strdup(token ? token : "");
    if (!t)
        return -ENOMEM;
    free_token(p->token);
    p->token = t;
    p->ep = *ep;
    for (size_t i = p->n; i-- > 0;) {
        p->v[i].retired = !same_target(&p->v[i], ep, t);
        if (p->v[i].retired && p->v[i].streams == 0)
            drop(p, i);
    }
    return 0;
}

int mo_pool_acquire(mo_pool *p, const struct mo_conn_opts *opts, mo_conn **ret)
{
    /* the first with room in the order opened: the oldest current
     * connection fills up first */
    for (size_t i = 0; i < p->n; i++)
        if (!p->v[i].retired && p->v[i].streams < MO_STREAMS_PER_CONN) {
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
    char *token = strdup(p->token);
    if (!token)
        return -ENOMEM;
    int r = mo_conn_new(&p->ep, p->token, opts, &c, err, sizeof err);
    if (r < 0) {
        free_token(token);
        return r;
    }
    p->v[p->n++] = (struct slot){.conn = c, .streams = 1, .ep = p->ep, .token = token};
    *ret = c;
    return 0;
}

void mo_pool_release(mo_pool *p, mo_conn *conn)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].conn == conn) {
            if (p->v[i].streams)
                p->v[i].streams--;
            if (p->v[i].retired && p->v[i].streams == 0)
                drop(p, i);
            return;
        }
}

bool mo_pool_current(const mo_pool *p, const mo_conn *conn)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].conn == conn)
            return !p->v[i].retired;
    return false;
}

const char *mo_pool_target(const mo_pool *p, const mo_conn *conn)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].conn == conn)
            return p->v[i].ep.target;
    return "";
}

size_t mo_pool_connections(const mo_pool *p) { return p->n; }
