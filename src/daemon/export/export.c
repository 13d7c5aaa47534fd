/* export.c - the Prometheus textfile and the EMF lines, written at each summary. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log/event.h"
#include "export/export-emf.h"
#include "export/export-prom.h"
#include "export/export.h"

struct topic {
    char *cache, *topic;
    struct mo_prom_series series;
    bool up;
};

struct mo_export {
    char *textfile; /* NULL: none */
    bool emf;
    char *ns;
    struct topic *t;
    size_t n;
    char last_error[256]; /* the last failure reported, so it is said once */
    uint64_t log_dropped; /* message events left out of the log since start */
    uint64_t saves_ahead; /* saves of positions ahead of the log since start */
};

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
    for (size_t i = 0; i < x->n; i++) {
        free(x->t[i].cache);
        free(x->t[i].topic);
    }
    free(x->t);
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
    if (file == NULL || x->textfile == NULL || strcmp(file, x->textfile) != 0)
        x->last_error[0] = '\0'; /* another file: its failures are news */
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
                        bool up, uint64_t now_us, int64_t now_ns)
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
    };
    mo_emf_render(&in, emf_line, NULL); /* out of memory: no document this time */
}

/* Writes the textfile through a temporary file beside it; -errno with what
 * failed in `what`. */
static int write_textfile(mo_export *x, const struct mo_prom_host *host, const char **what)
{
    size_t len = strlen(x->textfile);
    const char *slash = strrchr(x->textfile, '/'); /* the path is absolute (config) */
    size_t dir = (size_t)(slash - x->textfile) + 1;
    _cleanup_free_ char *tmp = malloc(len + 16);
    _cleanup_free_ struct mo_prom_topic *t = calloc(x->n + 1, sizeof *t);
    if (!tmp || !t) {
        *what = "allocating";
        return -ENOMEM;
    }
    /* hidden and without .prom, so that the collector never reads it */
    snprintf(tmp, len + 16, "%.*s.%s.XXXXXX", (int)dir, x->textfile, slash + 1);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        *what = "creating a temporary file in its directory";
        return -errno;
    }
    int r = 0;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        r = -errno;
        close(fd);
        *what = "writing";
        goto fail;
    }
    /* node_exporter runs as another user: the file must be readable */
    if (fchmod(fd, 0644) < 0) {
        r = -errno;
        fclose(f);
        *what = "setting its mode";
        goto fail;
    }
    for (size_t i = 0; i < x->n; i++)
        t[i] = (struct mo_prom_topic){x->t[i].cache, x->t[i].topic, &x->t[i].series, x->t[i].up};
    r = mo_prom_render(f, t, x->n, host);
    if (fclose(f) != 0 && r == 0)
        r = -errno;
    if (r < 0) {
        *what = "writing";
        goto fail;
    }
    if (rename(tmp, x->textfile) < 0) {
        r = -errno;
        *what = "renaming the temporary file over it";
        goto fail;
    }
    return 0;
fail:
    unlink(tmp);
    return r;
}

void mo_export_commit(mo_export *x, const struct mo_stats *total, const struct mo_clock_state *clk)
{
    x->log_dropped += total->log_dropped; /* counted with or without a textfile */
    x->saves_ahead += total->state_saves_ahead_of_log;
    if (!x->textfile)
        return;
    struct mo_prom_host host = {.clk = *clk, .have_log_dropped = true, .log_dropped = x->log_dropped,
                                .state_saves_ahead_of_log = x->saves_ahead};
    const char *what = "";
    int r = write_textfile(x, &host, &what);
    if (r == 0) {
        x->last_error[0] = '\0';
        return;
    }
    char reason[256];
    snprintf(reason, sizeof reason, "%s: %s", what, strerror(-r));
    if (strcmp(reason, x->last_error) == 0)
        return; /* said already */
    snprintf(x->last_error, sizeof x->last_error, "%s", reason);
    struct mo_event e;
    mo_event_init(&e, MO_EV_EXPORT_ERROR, NULL, NULL);
    mo_event_str(&e, "file", x->textfile);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "Cannot write the Prometheus textfile %.300s (%s); trying again at the next summary",
                 x->textfile, reason);
    mo_event_emit(&e);
}
