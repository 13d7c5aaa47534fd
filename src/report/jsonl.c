/* jsonl.c - summaries and canary events from JSON lines. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "jsonl.h"
#include "secret.h"
#include "when.h"

MO_DEFINE_FREEP(cJSON, cJSON_Delete)

/* Field texts for lr_summary_parse: strings as they are, numbers printed
 * back (a summary asks for fewer fields than there are buffers). */
struct jfields {
    const cJSON *o;
    char num[24][48];
    unsigned used;
};

static const char *jfield(void *ud, const char *key)
{
    struct jfields *j = ud;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j->o, key);
    if (!v)
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    char *buf = j->num[j->used++ % (sizeof j->num / sizeof j->num[0])];
    size_t len = sizeof j->num[0];
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9e18)
            snprintf(buf, len, "%.0f", d);
        else
            snprintf(buf, len, "%.17g", d);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else {
        snprintf(buf, len, "%s", cJSON_IsNull(v) ? "null" : "(not a value)");
    }
    return buf;
}

/* A canary or canary_peer event. Its reporting instance's source is the
 * file: the "host" field is the instance's own (canary) or its peer's. */
static int canary_line(struct lr_sink *k, const cJSON *o, const char *event, const char *where,
                       const char *default_host, mo_hist *scratch)
{
    struct jfields jf = {.o = o};
    char err[256];
    bool peer = strcmp(event, "canary_peer") == 0;
    struct lr_canary c = {.hist = scratch, .source = mo_secret_redact(default_host)};
    struct lr_canary_peer p = {.hist = scratch, .source = c.source};
    int r = peer ? lr_canary_peer_parse(jfield, &jf, &p, err, sizeof err)
                 : lr_canary_parse(jfield, &jf, &c, err, sizeof err);
    if (r < 0) {
        lr_diag_damaged(&k->diag, where, "%s: %s", event, err);
        return 0;
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
    int64_t ts_us;
    if (!cJSON_IsString(ts) || lr_when_parse_rfc3339(ts->valuestring, &ts_us) < 0) {
        lr_diag_damaged(&k->diag, where, "%s: no RFC 3339 time in \"ts\"", event);
        return 0;
    }
    c.ts_us = p.ts_us = ts_us;
    return peer ? lr_sink_take_peer(k, &p) : lr_sink_take_canary(k, &c);
}

static int one_line(struct lr_sink *k, const char *line, const char *where, const char *default_host,
                    mo_hist *scratch)
{
    const char *end = NULL;
    _cleanup_(cJSON_Deletep) cJSON *o = cJSON_ParseWithOpts(line, &end, true);
    if (!o) {
        lr_diag_damaged(&k->diag, where, "not JSON (at byte %td)", (end ? end : line) - line + 1);
        return 0;
    }
    if (!cJSON_IsObject(o)) {
        lr_diag_damaged(&k->diag, where, "not a JSON object");
        return 0;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    if (!ev && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "_aws"))) {
        k->diag.other++; /* a CloudWatch EMF document the daemon writes beside its events */
        return 0;
    }
    if (!cJSON_IsString(ev)) {
        lr_diag_damaged(&k->diag, where, "no \"event\": not a momento-subscriberd event");
        return 0;
    }
    if (k->canary && (strcmp(ev->valuestring, "canary") == 0 || strcmp(ev->valuestring, "canary_peer") == 0))
        return canary_line(k, o, ev->valuestring, where, default_host, scratch);
    if (strcmp(ev->valuestring, "summary") != 0) {
        k->diag.other++;
        return 0;
    }
    struct jfields jf = {.o = o};
    struct lr_summary s = {.hist = scratch};
    char err[256];
    int r = lr_summary_parse(jfield, &jf, &s, err, sizeof err);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        lr_diag_damaged(&k->diag, where, "summary: %s", err);
        return 0;
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
    if (!cJSON_IsString(ts) || lr_when_parse_rfc3339(ts->valuestring, &s.ts_us) < 0) {
        lr_diag_damaged(&k->diag, where, "summary: no RFC 3339 time in \"ts\"");
        return 0;
    }
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
    s.host = mo_secret_redact(cJSON_IsString(host) && *host->valuestring ? host->valuestring
                                                                          : default_host);
    return lr_sink_take(k, &s);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

int lr_jsonl_read(struct lr_sink *k, FILE *f, const char *name, const char *default_host)
{
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    unsigned long long lineno = 0;
    mo_hist *scratch;
    int r = mo_hist_new(&scratch);
    if (r < 0)
        return r;
    ssize_t n;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (blank(line))
            continue;
        char where[320];
        snprintf(where, sizeof where, "%s:%llu", mo_secret_redact(name), lineno);
        if ((size_t)n != strlen(line))
            lr_diag_damaged(&k->diag, where, "a NUL byte in the line");
        else if ((r = one_line(k, line, where, default_host, scratch)) < 0)
            break;
        errno = 0;
    }
    if (r == 0 && ferror(f))
        r = errno ? -errno : -EIO;
    mo_hist_free(scratch);
    return r;
}
