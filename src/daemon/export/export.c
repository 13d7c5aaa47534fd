/* export.c - the Prometheus textfile (rendered here, written by textfile.h's
 * thread) and the EMF lines, at each summary: the topics' and the canary's. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log/event.h"
#include "log/idle.h"
#include "export/export-emf.h"
#include "export/export-prom.h"
#include "export/export.h"
#include "export/textfile.h"

struct topic {
    char *cache, *topic;
    struct mo_prom_series series;
    bool up;
};

struct canary {
    char *cache, *topic;
    struct mo_prom_canary_series series;
};

struct mo_export {
    char *textfile; /* NULL: none */
    bool emf;
    char *ns;
    struct topic *t;
    size_t n;
    struct canary *c; /* every canary since start, by cache/topic */
    size_t nc;
    char last_error[256]; /* the last failure reported, so it is said once */
    bool failing;         /* the last write failed: its success is news */
    uint64_t log_dropped; /* message events left out of the log since start */
    uint64_t saves_ahead; /* saves of positions ahead of the log since start */
    mo_textfile *writer;  /* started with the first textfile to write */
};

/* At stop, how long the last textfile may take to be written. */
#define STOP_WAIT_US (250 * 1000)

int mo_export_new(mo_export **ret)
{
    mo_export *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    *ret = x;
    return 0;
}

void mo_export_free(mo_export *x)
{
    if (!x)
        return;
    if (x->writer) {
        mo_idle_set(NULL, NULL, x);
        mo_textfile_free(x->writer, STOP_WAIT_US);
    }
    for (size_t i = 0; i < x->n; i++) {
        free(x->t[i].cache);
        free(x->t[i].topic);
    }
    free(x->t);
    for (size_t i = 0; i < x->nc; i++) {
        free(x->c[i].cache);
        free(x->c[i].topic);
    }
    free(x->c);
    free(x->textfile);
    free(x->ns);
    free(x);
}

int mo_export_configure(mo_export *x, const struct mo_config *cfg)
{
    const char *ns = cfg->emf_namespace ? cfg->emf_namespace : MO_EMF_NAMESPACE_DEFAULT;
    char *file = cfg->prometheus_textfile ? strdup(cfg->prometheus_textfile) : NULL;
    char *nsc = strdup(ns);
    if ((cfg->prometheus_textfile && !file) || !nsc) {
        free(file);
        free(nsc);
        return -ENOMEM;
    }
    if (file == NULL || x->textfile == NULL || strcmp(file, x->textfile) != 0) {
        x->last_error[0] = '\0'; /* another file: its failures are news */
        x->failing = false;
    }
    free(x->textfile);
    free(x->ns);
    x->textfile = file;
    x->ns = nsc;
    x->emf = cfg->emf;
    return 0;
}

static struct topic *find_topic(mo_export *x, const char *cache, const char *topic)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->t[i].cache, cache) == 0 && strcmp(x->t[i].topic, topic) == 0)
            return &x->t[i];
    struct topic *v = realloc(x->t, (x->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    x->t = v;
    struct topic *t = &x->t[x->n];
    *t = (struct topic){.cache = strdup(cache), .topic = strdup(topic)};
    if (!t->cache || !t->topic) {
        free(t->cache);
        free(t->topic);
        return NULL;
    }
    x->n++;
    return t;
}

static void emf_line(void *ud, const char *line, size_t len)
{
    (void)ud;
    mo_event_emit_raw(MO_EV_EMF, line, len);
}

void mo_export_interval(mo_export *x, const char *cache, const char *topic, const struct mo_stats *s,
                        bool up, uint64_t now_us, int64_t now_ns, int64_t clock_bound_us)
{
    struct topic *t = find_topic(x, cache, topic);
    if (t) { /* out of memory: this topic's series miss the interval */
        mo_prom_fold(&t->series, s);
        t->up = up;
    }
    if (!x->emf)
        return;
    struct mo_emf_input in = {
        .ns = x->ns,
        .cache = cache,
        .topic = topic,
        .timestamp_ms = now_ns / 1000000,
        .interval_s = (double)(now_us - s->start_us) / 1e6,
        .s = s,
        .clock_bound_us = clock_bound_us,
    };
    mo_emf_render(&in, emf_line, NULL); /* out of memory: no document this time */
}

static struct canary *find_canary(mo_export *x, const char *cache, const char *topic)
{
    for (size_t i = 0; i < x->nc; i++)
        if (strcmp(x->c[i].cache, cache) == 0 && strcmp(x->c[i].topic, topic) == 0)
            return &x->c[i];
    struct canary *v = realloc(x->c, (x->nc + 1) * sizeof *v);
    if (!v)
        return NULL;
    x->c = v;
    struct canary *c = &x->c[x->nc];
    *c = (struct canary){.cache = strdup(cache), .topic = strdup(topic), .series.burn_rate = -1};
    if (!c->cache || !c->topic) {
        free(c->cache);
        free(c->topic);
        return NULL;
    }
    x->nc++;
    return c;
}

void mo_export_canary(mo_export *x, const struct mo_canary_interval *iv, int64_t now_ns)
{
    struct canary *c = find_canary(x, iv->cache, iv->topic);
    if (c) /* out of memory: its series miss the interval */
        mo_prom_fold_canary(&c->series, iv->acct, iv->in_flight);
    if (!x->emf)
        return;
    struct mo_emf_canary_input in = {
        .ns = x->ns,
        .cache = iv->cache,
        .topic = iv->topic,
        .host = iv->host,
        .id = iv->id,
        .timestamp_ms = now_ns / 1000000,
        .interval_s = (double)iv->interval_us / 1e6,
        .acct = iv->acct,
    };
    mo_emf_render_canary(&in, emf_line, NULL); /* out of memory: no document this time */
}

/* ---- the textfile: rendered here, written by textfile.h's thread ---- */

/* A finished write: a failure is said once per distinct reason, and the
 * first success after one is said too. An outcome for a file no longer
 * configured (a reload changed it meanwhile) is news to nobody. */
static void report(mo_export *x, const struct mo_textfile_result *res)
{
    if (!x->textfile || strcmp(res->path, x->textfile) != 0)
        return;
    struct mo_event e;
    if (res->r == 0) {
        x->last_error[0] = '\0';
        if (!x->failing)
            return;
        x->failing = false;
        mo_event_init(&e, MO_EV_EXPORT_RECOVERED, NULL, NULL);
        mo_event_str(&e, "file", x->textfile);
        mo_event_msg(&e, "The Prometheus textfile %.300s is written again", x->textfile);
        mo_event_emit(&e);
        return;
    }
    x->failing = true;
    char reason[256];
    snprintf(reason, sizeof reason, "%s: %s", res->what, strerror(-res->r));
    if (strcmp(reason, x->last_error) == 0)
        return; /* said already */
    snprintf(x->last_error, sizeof x->last_error, "%s", reason);
    mo_event_init(&e, MO_EV_EXPORT_ERROR, NULL, NULL);
    mo_event_str(&e, "file", x->textfile);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "Cannot write the Prometheus textfile %.300s (%s); trying again at the next summary",
                 x->textfile, reason);
    mo_event_emit(&e);
}

static void take_result(mo_export *x)
{
    struct mo_textfile_result res;
    if (x->writer && mo_textfile_poll(x->writer, &res))
        report(x, &res);
}

/* A failure on this side, before anything was handed to the writer. */
static void report_here(mo_export *x, int r, const char *what)
{
    struct mo_textfile_result res = {.r = r, .what = what};
    snprintf(res.path, sizeof res.path, "%s", x->textfile);
    report(x, &res);
}

static bool result_waits(void *ud)
{
    mo_export *x = ud;
    return x->writer && mo_textfile_ready(x->writer);
}

static void on_result(void *ud) { take_result(ud); }

/* The textfile's text in memory: -errno with what failed in `what`. */
static int render_textfile(mo_export *x, const struct mo_prom_host *host, char **ret, size_t *ret_len,
                           const char **what)
{
    _cleanup_free_ struct mo_prom_topic *t = calloc(x->n + 1, sizeof *t);
    _cleanup_free_ struct mo_prom_canary *c = calloc(x->nc + 1, sizeof *c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = t && c ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        *what = "allocating";
        return -ENOMEM;
    }
    for (size_t i = 0; i < x->n; i++)
        t[i] = (struct mo_prom_topic){x->t[i].cache, x->t[i].topic, &x->t[i].series, x->t[i].up};
    for (size_t i = 0; i < x->nc; i++)
        c[i] = (struct mo_prom_canary){x->c[i].cache, x->c[i].topic, &x->c[i].series};
    struct mo_prom_host h = *host;
    h.canaries = c;
    h.n_canaries = x->nc;
    int r = mo_prom_render(f, t, x->n, &h);
    if (fclose(f) != 0 && r == 0)
        r = -ENOMEM;
    if (r < 0) {
        free(buf);
        *what = "rendering";
        return r;
    }
    *ret = buf;
    *ret_len = len;
    return 0;
}

void mo_export_commit(mo_export *x, const struct mo_stats *total, const struct mo_clock_summary *clk)
{
    x->log_dropped += total->log_dropped; /* counted with or without a textfile */
    x->saves_ahead += total->state_saves_ahead_of_log;
    if (!x->textfile)
        return;
    if (!x->writer) {
        int r = mo_textfile_new(&x->writer);
        if (r < 0) {
            report_here(x, r, "starting its writer");
            return;
        }
        mo_idle_set(result_waits, on_result, x);
    }
    take_result(x); /* the last write's outcome, if it was not taken yet */
    struct mo_prom_host host = {.clk = *clk,
                                .have_log_dropped = true,
                                .log_dropped = x->log_dropped,
                                .state_saves_ahead_of_log = x->saves_ahead,
                                .have_event_fields_dropped = true,
                                .event_fields_dropped = mo_event_fields_dropped_total()};
    char *buf;
    size_t len;
    const char *what = "";
    int r = render_textfile(x, &host, &buf, &len, &what);
    if (r == 0 && (r = mo_textfile_submit(x->writer, x->textfile, buf, len)) < 0)
        what = "allocating";
    if (r < 0)
        report_here(x, r, what);
}
