/* journal.c - summaries and canary events from the journal through sd-journal. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "clock.h"
#include "secret.h"
#include "timefmt.h"
#include "journal.h"

/* MESSAGE_ID of the summary event (src/daemon/log/event.c, momento-subscriberd(8)) */
#define SUMMARY_MESSAGE_ID "e1ef2f3c18224e94b429efc3d4e5bf7c"
/* lookups of one entry: a summary makes 28 (summary.c); past this a field reads as absent */
#define MAX_FIELDS 64

const char *lr_journal_unit_name(const char *unit, char *buf, size_t len)
{
    static const char *const types[] = {".service", ".socket", ".device", ".mount", ".automount", ".swap",
                                        ".target", ".path", ".timer", ".slice", ".scope"};
    size_t n = strlen(unit);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        size_t t = strlen(types[i]);
        if (n > t && strcmp(unit + n - t, types[i]) == 0) {
            snprintf(buf, len, "%s", unit);
            return buf;
        }
    }
    snprintf(buf, len, "%s.service", unit);
    return buf;
}

/* The current entry's fields, copied out as summary.h asks for them (the
 * library's pointers only last until its next call). */
struct jentry {
    sd_journal *j;
    char *val[MAX_FIELDS];
    size_t n;
    bool oom;
};

static const char *jfield(void *ud, const char *key)
{
    struct jentry *e = ud;
    char name[64];
    size_t kl = strlen(key);
    if (kl >= sizeof name || e->n >= MAX_FIELDS)
        return NULL;
    for (size_t i = 0; i <= kl; i++)
        name[i] = (char)toupper((unsigned char)key[i]);
    const void *data;
    size_t len;
    if (sd_journal_get_data(e->j, name, &data, &len) < 0 || len < kl + 1)
        return NULL;
    char *v = strndup((const char *)data + kl + 1, len - kl - 1); /* past "KEY=" */
    if (!v) {
        e->oom = true;
        return NULL;
    }
    e->val[e->n++] = v;
    return v;
}

static void jentry_clear(struct jentry *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->val[i]);
    e->n = 0;
}

static int add_match(sd_journal *j, const char *field, const char *value)
{
    char m[512];
    int n = snprintf(m, sizeof m, "%s=%s", field, value);
    if (n < 0 || (size_t)n >= sizeof m)
        return -EINVAL;
    return sd_journal_add_match(j, m, 0);
}

/* One matched entry: a summary, or a canary or canary_peer event (the
 * matches let no other through). The entry's host is its source. */
static int one_entry(struct lr_sink *k, struct jentry *e, int64_t t, mo_hist *scratch)
{
    const char *event = jfield(e, "event"), *host = jfield(e, "_hostname");
    host = host ? mo_secret_redact(host) : "";
    bool peer = event && strcmp(event, "canary_peer") == 0;
    bool canary = k->canary && event && (peer || strcmp(event, "canary") == 0);
    struct lr_summary s = {.hist = scratch, .ts_us = t, .host = host};
    struct lr_canary c = {.hist = scratch, .ts_us = t, .source = host};
    struct lr_canary_peer p = {.hist = scratch, .ts_us = t, .source = host};
    char err[256];
    int r;
    if (canary)
        r = peer ? lr_canary_peer_parse(jfield, e, &p, err, sizeof err)
                 : lr_canary_parse(jfield, e, &c, err, sizeof err);
    else if (event && strcmp(event, "summary") == 0)
        r = lr_summary_parse(jfield, e, &s, err, sizeof err);
    else {
        k->diag.other++; /* a canary event with no canary merge */
        return e->oom ? -ENOMEM : 0;
    }
    if (e->oom || r == -ENOMEM)
        return -ENOMEM;
    if (r < 0) {
        char where[128], ts[48];
        mo_time_format_rfc3339(t * 1000, 6, 0, ts, sizeof ts);
        snprintf(where, sizeof where, "journal entry of %.40s at %s", host, ts);
        lr_diag_damaged(&k->diag, where, "%s: %s", canary ? event : "summary", err);
        return 0;
    }
    if (canary)
        return peer ? lr_sink_take_peer(k, &p) : lr_sink_take_canary(k, &c);
    return lr_sink_take(k, &s);
}

static int read_entries(struct lr_sink *k, sd_journal *j, mo_hist *scratch)
{
    int r;
    struct jentry e = {.j = j};
    while ((r = sd_journal_next(j)) > 0) {
        uint64_t t;
        if ((r = sd_journal_get_realtime_usec(j, &t)) < 0)
            break;
        if (k->window.has_until && (int64_t)t > k->window.until_us)
            break; /* entries come in time order */
        if (k->window.has_since && (int64_t)t < k->window.since_us)
            continue;
        r = one_entry(k, &e, (int64_t)t, scratch);
        jentry_clear(&e);
        if (r < 0)
            break;
    }
    jentry_clear(&e);
    return r < 0 ? r : 0;
}

int lr_journal_read(struct lr_sink *k, const char *directory, const char *unit, char *err, size_t errlen)
{
    sd_journal *j = NULL;
    int r = directory ? sd_journal_open_directory(&j, directory, 0)
                      : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
    if (r < 0) {
        snprintf(err, errlen, "cannot open the journal%s%s: %s", directory ? " in " : "",
                 directory ? mo_secret_redact(directory) : "", strerror(-r));
        return r;
    }
    uint64_t bytes = 0;
    if (sd_journal_get_usage(j, &bytes) < 0 || bytes == 0) { /* no file opened */
        snprintf(err, errlen, "no journal files %s%s",
                 directory ? "in " : "found (not in group systemd-journal or adm?)",
                 directory ? mo_secret_redact(directory) : "");
        sd_journal_close(j);
        return -ENOENT;
    }
    mo_hist *scratch = NULL;
    /* a summary's histogram can be 150 KB: past the library's default
     * 64 KiB threshold it would be cut */
    /* (the unit's summaries) or (the unit's canary and canary_peer events) */
    if ((r = sd_journal_set_data_threshold(j, 0)) < 0 || (r = add_match(j, "_SYSTEMD_UNIT", unit)) < 0 ||
        (r = add_match(j, "EVENT", "summary")) < 0 ||
        (r = add_match(j, "MESSAGE_ID", SUMMARY_MESSAGE_ID)) < 0 ||
        (k->canary && ((r = sd_journal_add_disjunction(j)) < 0 ||
                       (r = add_match(j, "_SYSTEMD_UNIT", unit)) < 0 ||
                       (r = add_match(j, "EVENT", "canary")) < 0 ||
                       (r = add_match(j, "EVENT", "canary_peer")) < 0)) ||
        (r = k->window.has_since ? sd_journal_seek_realtime_usec(j, (uint64_t)k->window.since_us)
                                 : sd_journal_seek_head(j)) < 0 ||
        (r = mo_hist_new(&scratch)) < 0) {
        snprintf(err, errlen, "cannot read the journal: %s", strerror(-r));
    } else if ((r = read_entries(k, j, scratch)) < 0) {
        snprintf(err, errlen, "reading the journal: %s", strerror(-r));
    }
    mo_hist_free(scratch);
    sd_journal_close(j);
    return r;
}
