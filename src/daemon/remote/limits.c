/* limits.c - ListCaches at start and reload, and what it says of the configuration. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "conn.h"
#include "log/event.h"
#include "remote/limits.h"
#include "rpc.h"
#include "unary.h"
#include "util.h"

/* ---- pure ---- */

struct mo_limits_cache *mo_limits_caches(const struct mo_config *cfg, size_t *n)
{
    struct mo_limits_cache *c = calloc(cfg->n_subs ? cfg->n_subs : 1, sizeof *c);
    size_t k = 0;
    if (!c)
        return NULL;
    for (size_t i = 0; i < cfg->n_subs; i++) {
        const char *name = cfg->subs[i].cache;
        size_t j = 0;
        while (j < k && strcmp(c[j].cache, name) != 0)
            j++;
        if (j == k) {
            if (!(c[k].cache = strdup(name))) {
                mo_limits_caches_free(c, k);
                return NULL;
            }
            k++;
        }
        c[j].configured++;
    }
    *n = k;
    return c;
}

void mo_limits_caches_free(struct mo_limits_cache *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].cache);
    free(c);
}

void mo_limits_take(struct mo_limits_cache *c, size_t n, const struct mo_cache_list *page)
{
    for (size_t i = 0; i < mo_cache_list_count(page); i++) {
        const char *name = mo_cache_list_name(page, i);
        for (size_t j = 0; j < n; j++)
            if (strcmp(c[j].cache, name) == 0) {
                c[j].listed = true;
                c[j].has_limits = mo_cache_list_limits(page, i, &c[j].limits);
            }
    }
}

bool mo_limits_over(const struct mo_limits_cache *c)
{
    uint32_t max = c->has_limits ? c->limits.max_subscription_count : 0;
    return max && c->configured > max;
}

const char *mo_limits_why(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_PERMISSION_DENIED:
        return "the key may not use the control plane (a key limited to topics is normal)";
    case GRPC_STATUS_UNAUTHENTICATED:
        return "the control plane refused the key";
    case GRPC_STATUS_UNIMPLEMENTED:
        return "the endpoint has no control plane";
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return "the control plane could not be reached";
    default:
        return "the control plane answered with an error";
    }
}

/* "100 subscriptions, 10 publishes/s, 4 KiB messages" (0: no limit). */
static const char *limits_text(const struct mo_topic_limits *t, char *buf, size_t len)
{
    char s[32] = "no limit of", r[32] = "no limit of", k[32] = "no limit of";
    if (t->max_subscription_count)
        snprintf(s, sizeof s, "%" PRIu32, t->max_subscription_count);
    if (t->max_publish_rate)
        snprintf(r, sizeof r, "%" PRIu32, t->max_publish_rate);
    if (t->max_publish_message_size_kb)
        snprintf(k, sizeof k, "%" PRIu32 " KiB", t->max_publish_message_size_kb);
    snprintf(buf, len, "%s subscriptions, %s publishes a second, %s messages", s, r, k);
    return buf;
}

void mo_limits_report(const struct mo_limits_cache *c, size_t n, grpc_status_code code,
                      const char *details, const char *target)
{
    struct mo_event e;
    if (code != GRPC_STATUS_OK) {
        mo_event_init(&e, MO_EV_CACHE_LIMITS, "*", NULL);
        mo_event_str(&e, "status", mo_status_name(code));
        mo_event_str(&e, "details", details);
        mo_event_str(&e, "control_endpoint", target);
        mo_event_msg(&e,
                     "The account's topic limits are not known: %s (%s from %s); the daemon "
                     "runs on without them and asks again at the next reload",
                     mo_limits_why(code), mo_status_name(code), target);
        mo_event_emit(&e);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char text[160];
        if (!c[i].listed)
            continue; /* (its subscriptions say not_found themselves) */
        mo_event_init(&e, MO_EV_CACHE_LIMITS, c[i].cache, NULL);
        if (c[i].has_limits) {
            mo_event_uint(&e, "max_subscription_count", c[i].limits.max_subscription_count);
            mo_event_uint(&e, "max_publish_rate", c[i].limits.max_publish_rate);
            mo_event_uint(&e, "max_publish_message_size_kb", c[i].limits.max_publish_message_size_kb);
        }
        mo_event_uint(&e, "configured", c[i].configured);
        if (c[i].has_limits)
            mo_event_msg(&e, "Cache %s allows %s; %zu subscription%s configured", c[i].cache,
                         limits_text(&c[i].limits, text, sizeof text), c[i].configured,
                         c[i].configured == 1 ? "" : "s");
        else
            mo_event_msg(&e, "Cache %s: the control plane gives no topic limits", c[i].cache);
        mo_event_emit(&e);
        if (!mo_limits_over(&c[i]))
            continue;
        mo_event_init(&e, MO_EV_OVER_LIMIT, c[i].cache, NULL);
        mo_event_uint(&e, "configured", c[i].configured);
        mo_event_uint(&e, "max_subscription_count", c[i].limits.max_subscription_count);
        mo_event_str(&e, "hint",
                     "ask Momento support to raise the limit, or subscribe to fewer topics of "
                     "this cache");
        mo_event_msg(&e,
                     "%zu subscriptions are configured on cache %s, which allows %" PRIu32
                     ": the ones over it will be refused (limit_exceeded)",
                     c[i].configured, c[i].cache, c[i].limits.max_subscription_count);
        mo_event_emit(&e);
    }
}

/* ---- one check: every page, on a channel of its own ---- */

static void key_free(char *k)
{
    if (k)
        explicit_bzero(k, strlen(k));
    free(k);
}

struct mo_limits {
    mo_loop *loop;
    mo_limits_report_fn report;
    void *ud;
    void (*drained)(void *ctx); /* told when a cancelled call is back */
    int deadline_ms;            /* a page's */
    void *drained_ctx;
    mo_tag tag;
    mo_conn *conn;
    struct mo_unary u;
    bool out;     /* a call's tag is not back yet */
    bool stopped; /* cancelled: what it says is dropped */
    struct mo_endpoint ep; /* the control plane's */
    struct mo_limits_cache *caches;
    size_t n;
    char *token;  /* next_token of the page asked for ("": the first) */
    int pages;
    /* a check asked for while one was out */
    struct {
        bool due;
        struct mo_limits_cache *caches;
        size_t n;
        struct mo_endpoint ep;
        char *key;
    } next;
};

static void check_end(mo_limits *l);
static void page_ask(mo_limits *l);
static void cancel(mo_limits *l);

static void check_clear(mo_limits *l)
{
    mo_conn_free(l->conn);
    l->conn = NULL;
    mo_limits_caches_free(l->caches, l->n);
    l->caches = NULL;
    l->n = 0;
    free(l->token);
    l->token = NULL;
    l->pages = 0;
}

static void begin(mo_limits *l, struct mo_limits_cache *caches, size_t n,
                  const struct mo_endpoint *ep, const char *key)
{
    char err[256];
    l->caches = caches;
    l->n = n;
    l->ep = *ep;
    l->stopped = false;
    if (mo_conn_new(ep, key, &(struct mo_conn_opts){.disable_retries = true}, &l->conn, err,
                    sizeof err) < 0) {
        l->report(l->ud, NULL, 0, GRPC_STATUS_INTERNAL, err, ep->target);
        check_clear(l);
        return;
    }
    page_ask(l);
}

static void on_page(mo_tag *tag, bool ok)
{
    mo_limits *l = container_of(tag, mo_limits, tag);
    l->out = false;
    grpc_status_code code = ok ? l->u.status : GRPC_STATUS_UNKNOWN;
    if (l->stopped) {
        mo_unary_clear(&l->u);
        check_end(l);
        if (!l->out && l->drained)
            l->drained(l->drained_ctx);
        return;
    }
    _cleanup_free_ char *details = mo_slice_strdup(l->u.details);
    grpc_slice body;
    struct mo_cache_list page = {0};
    if (code == GRPC_STATUS_OK && !(l->u.resp && mo_bb_read(l->u.resp, &body))) {
        code = GRPC_STATUS_INTERNAL;
        free(details);
        details = strdup("the ListCaches answer carried no message");
    } else if (code == GRPC_STATUS_OK) {
        bool decoded = mo_cache_list_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &page);
        grpc_slice_unref(body);
        if (!decoded) {
            code = GRPC_STATUS_INTERNAL;
            free(details);
            details = strdup("the ListCaches answer is not a _ListCachesResponse");
        }
    }
    mo_unary_clear(&l->u);
    if (code != GRPC_STATUS_OK) {
        l->report(l->ud, NULL, 0, code, details ? details : "", l->ep.target);
        check_end(l);
        return;
    }
    mo_limits_take(l->caches, l->n, &page);
    const char *next = mo_cache_list_next(&page);
    free(l->token);
    l->token = next ? strdup(next) : NULL;
    mo_cache_list_free(&page);
    if (l->token && ++l->pages < 1000) {
        page_ask(l);
        return;
    }
    l->report(l->ud, l->caches, l->n, GRPC_STATUS_OK, "", l->ep.target);
    check_end(l);
}

static void page_ask(mo_limits *l)
{
    mo_unary_init(&l->u);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(l->deadline_ms, GPR_TIMESPAN));
    l->u.call = mo_conn_call(l->conn, mo_loop_cq(l->loop), MO_METHOD_LIST_CACHES, deadline);
    l->u.req = mo_list_caches_request(l->token);
    if (!l->u.call || !l->u.req || mo_unary_start(&l->u, l->conn, NULL, &l->tag) != GRPC_CALL_OK) {
        mo_unary_clear(&l->u);
        l->report(l->ud, NULL, 0, GRPC_STATUS_INTERNAL, "cannot start the ListCaches call",
                         l->ep.target);
        check_end(l);
        return;
    }
    l->out = true;
}

/* The check is over: the one asked for meanwhile starts. */
static void check_end(mo_limits *l)
{
    check_clear(l);
    if (!l->next.due)
        return;
    l->next.due = false;
    begin(l, l->next.caches, l->next.n, &l->next.ep, l->next.key);
    l->next.caches = NULL;
    key_free(l->next.key);
    l->next.key = NULL;
}

static void report_events(void *ud, const struct mo_limits_cache *c, size_t n,
                          grpc_status_code code, const char *details, const char *target)
{
    (void)ud;
    mo_limits_report(c, n, code, details, target);
}

int mo_limits_new(mo_loop *loop, mo_limits_report_fn report, void *ud, mo_limits **ret)
{
    mo_limits *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->loop = loop;
    l->report = report ? report : report_events;
    l->deadline_ms = MO_LIMITS_DEADLINE_MS;
    l->ud = ud;
    l->tag.fn = on_page;
    *ret = l;
    return 0;
}

void mo_limits_start(mo_limits *l, const struct mo_config *cfg, const struct mo_endpoint *data,
                     const char *token)
{
    struct mo_endpoint ep;
    if (mo_endpoint_control(data, &ep) < 0)
        return; /* (a legacy key's own host: its control plane is not known here) */
    size_t n;
    struct mo_limits_cache *c = mo_limits_caches(cfg, &n);
    if (!c)
        return;
    if (!l->out && !l->conn) {
        begin(l, c, n, &ep, token ? token : "");
        return;
    }
    /* one out: cancelled, and this one follows it */
    mo_limits_caches_free(l->next.caches, l->next.n);
    key_free(l->next.key);
    l->next.caches = c;
    l->next.n = n;
    l->next.ep = ep;
    l->next.key = strdup(token ? token : "");
    l->next.due = l->next.key != NULL;
    if (!l->next.due) {
        mo_limits_caches_free(c, n);
        l->next.caches = NULL;
    }
    cancel(l);
}

/* The call out, if any, cancelled: what it says is dropped. */
static void cancel(mo_limits *l)
{
    if (!l->out)
        return;
    l->stopped = true;
    grpc_call_cancel(l->u.call, NULL);
}

void mo_limits_stop(mo_limits *l)
{
    if (!l)
        return;
    /* the daemon stops: a check asked for meanwhile does not start either */
    mo_limits_caches_free(l->next.caches, l->next.n);
    key_free(l->next.key);
    l->next.caches = NULL;
    l->next.n = 0;
    l->next.key = NULL;
    l->next.due = false;
    cancel(l);
}

bool mo_limits_busy(const mo_limits *l) { return l && l->out; }

void mo_limits_on_drained(mo_limits *l, void (*fn)(void *ctx), void *ctx)
{
    l->drained = fn;
    l->drained_ctx = ctx;
}

void mo_limits_free(mo_limits *l)
{
    if (!l)
        return;
    check_clear(l);
    mo_limits_caches_free(l->next.caches, l->next.n);
    key_free(l->next.key);
    free(l);
}

/* ---- --check-config ---- */

struct printer {
    mo_loop *loop;
};

static void print_report(void *ud, const struct mo_limits_cache *c, size_t n,
                         grpc_status_code code, const char *details, const char *target)
{
    struct printer *p = ud;
    mo_loop_quit(p->loop);
    if (code != GRPC_STATUS_OK) {
        printf("limits: not checked: %s (%s from %s%s%s)\n", mo_limits_why(code),
               mo_status_name(code), target, *details ? ": " : "", details);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char text[160];
        if (!c[i].listed)
            printf("limits: cache %s: not among the account's caches (its subscriptions would "
                   "be refused with not_found)\n",
                   c[i].cache);
        else if (!c[i].has_limits)
            printf("limits: cache %s: the control plane gives no topic limits\n", c[i].cache);
        else
            printf("limits: cache %s allows %s; %zu subscription%s configured\n", c[i].cache,
                   limits_text(&c[i].limits, text, sizeof text), c[i].configured,
                   c[i].configured == 1 ? "" : "s");
        if (mo_limits_over(&c[i]))
            printf("warning: over_limit: %zu subscriptions on cache %s, which allows %" PRIu32
                   ": ask Momento support to raise the limit, or subscribe to fewer topics\n",
                   c[i].configured, c[i].cache, c[i].limits.max_subscription_count);
    }
}

void mo_limits_check_print(const struct mo_config *cfg, const struct mo_endpoint *data,
                           const char *token)
{
    struct mo_endpoint ep;
    if (mo_endpoint_control(data, &ep) < 0) {
        printf("limits: not checked: the control plane of %s is not known\n", data->target);
        return;
    }
    grpc_init();
    struct printer p = {0};
    mo_limits *l = NULL;
    if (mo_loop_new(&p.loop) < 0 || mo_limits_new(p.loop, print_report, &p, &l) < 0) {
        printf("limits: not checked: out of memory\n");
    } else {
        l->deadline_ms = MO_LIMITS_CHECK_DEADLINE_MS;
        mo_limits_start(l, cfg, data, token);
        if (mo_limits_busy(l))
            mo_loop_run(p.loop);
    }
    mo_limits_free(l);
    mo_loop_free(p.loop);
    mo_grpc_shutdown_wait(2000);
}
