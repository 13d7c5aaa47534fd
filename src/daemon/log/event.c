/* event.c - build events, render them as journal records, JSON lines or text, and hand them to the sink. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "cleanup.h"
#include "clock.h"
#include "log/event.h"
#include "log/idle.h"
#include "log/jsonw.h"
#include "log/sink.h"
#include "timefmt.h"

static enum mo_log_format sink = MO_LOG_JSON;

const char *mo_event_message_id(enum mo_event_type t) { return mo_evtype(t)->message_id; }

const char *mo_level_name(enum mo_level l)
{
    switch (l) {
    case MO_LEVEL_ERROR:
        return "error";
    case MO_LEVEL_WARNING:
        return "warning";
    case MO_LEVEL_NOTICE:
        return "notice";
    default:
        return "info";
    }
}

/* ---- building ---- */

static struct mo_field *add(struct mo_event *e, const char *key, enum mo_field_type t)
{
    if (e->n >= MO_EVENT_MAX_FIELDS) {
        /* a programming error: the field is left out, the event still goes
         * out, and mo_event_emit counts it and says so */
        if (e->dropped++ == 0)
            e->first_dropped = key;
        return NULL;
    }
    struct mo_field *f = &e->f[e->n++];
    f->key = key;
    f->type = t;
    return f;
}

void mo_event_init(struct mo_event *e, enum mo_event_type type, const char *cache, const char *topic)
{
    e->type = type;
    e->level = mo_evtype(type)->level;
    e->n = 0;
    e->dropped = 0;
    e->first_dropped = NULL;
    e->msg[0] = '\0';
    if (cache)
        mo_event_str(e, "cache", cache);
    if (topic)
        mo_event_str(e, "topic", topic);
}

void mo_event_str(struct mo_event *e, const char *key, const char *value)
{
    struct mo_field *f = add(e, key, MO_F_STR);
    if (f)
        f->s = value ? value : "";
}

void mo_event_int(struct mo_event *e, const char *key, int64_t value)
{
    struct mo_field *f = add(e, key, MO_F_INT);
    if (f)
        f->i = value;
}

void mo_event_uint(struct mo_event *e, const char *key, uint64_t value)
{
    struct mo_field *f = add(e, key, MO_F_UINT);
    if (f)
        f->u = value;
}

void mo_event_bool(struct mo_event *e, const char *key, bool value)
{
    struct mo_field *f = add(e, key, MO_F_BOOL);
    if (f)
        f->b = value;
}

void mo_event_double(struct mo_event *e, const char *key, double value)
{
    struct mo_field *f = add(e, key, MO_F_DOUBLE);
    if (f)
        f->d = value;
}

void mo_event_msg(struct mo_event *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    /* most sentences are printable ASCII throughout: nothing to copy then */
    for (const unsigned char *p = (const unsigned char *)e->msg; *p; p++)
        if (*p < 0x20 || *p >= 0x7f) {
            char raw[sizeof e->msg];
            memcpy(raw, e->msg, sizeof raw);
            mo_jw_sentence(raw, e->msg, sizeof e->msg);
            break;
        }
}

/* ---- rendering ---- */

/* Numbers as text, so 64-bit integers stay exact. */
/* Decimal digits of v, written backwards from end; returns the start. */
static char *u64_text(uint64_t v, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* (integers by hand: this runs for every field of every message event) */
static void number_text(const struct mo_field *f, char *buf, size_t len)
{
    char tmp[24], *end = tmp + sizeof tmp, *p;
    switch (f->type) {
    case MO_F_INT:
        p = u64_text(f->i < 0 ? (uint64_t)0 - (uint64_t)f->i : (uint64_t)f->i, end);
        if (f->i < 0)
            *--p = '-';
        break;
    case MO_F_UINT:
        p = u64_text(f->u, end);
        break;
    case MO_F_DOUBLE:
        snprintf(buf, len, "%.3f", f->d);
        return;
    case MO_F_BOOL:
        snprintf(buf, len, "%s", f->b ? "true" : "false");
        return;
    default:
        buf[0] = '\0';
        return;
    }
    size_t n = (size_t)(end - p);
    if (n >= len)
        n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* ---- JSON, written directly: one event is one line, fields in order ---- */

/* The fields of e, then `extra` (added by mo_event_emit, past the limit). */
static const struct mo_field *field_at(const struct mo_event *e, const struct mo_field *extra, size_t i)
{
    return i < e->n ? &e->f[i] : &extra[i - e->n];
}

static int render_json(const struct mo_event *e, const struct mo_field *extra, size_t n_extra, int64_t ts_ns,
                       char *buf, size_t len)
{
    if (len == 0)
        return -1;
    struct mo_jw w = {buf, buf + len - 1}; /* room for the NUL */
    char ts[48];
    mo_time_format_rfc3339(ts_ns, 6, 0, ts, sizeof ts);
    mo_jw_raw(&w, "{\"ts\":", 6);
    mo_jw_str(&w, ts);
    mo_jw_key(&w, "event");
    mo_jw_str(&w, mo_evtype(e->type)->name);
    mo_jw_key(&w, "level");
    mo_jw_str(&w, mo_level_name(e->level));
    mo_jw_key(&w, "message");
    mo_jw_str(&w, e->msg);
    for (size_t i = 0; i < e->n + n_extra; i++) {
        const struct mo_field *f = field_at(e, extra, i);
        mo_jw_key(&w, f->key);
        if (f->type == MO_F_STR) {
            mo_jw_str(&w, f->s);
        } else {
            /* numbers as text, so 64-bit integers stay exact */
            char num[32];
            number_text(f, num, sizeof num);
            mo_jw_raw(&w, num, strlen(num));
        }
    }
    mo_jw_raw(&w, "}", 1);
    if (w.overflow) {
        buf[0] = '\0';
        return -1;
    }
    *w.p = '\0';
    return (int)(w.p - buf);
}

int mo_event_render_json(const struct mo_event *e, int64_t ts_ns, char *buf, size_t len)
{
    return render_json(e, NULL, 0, ts_ns, buf, len);
}

int mo_event_render_text(const struct mo_event *e, int64_t ts_ns, char *buf, size_t len)
{
    char ts[48];
    mo_time_format_rfc3339(ts_ns, 3, 0, ts, sizeof ts);
    int n = snprintf(buf, len, "%s %-7s %s", ts, mo_level_name(e->level), e->msg);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Appends "KEY=value" to storage and points the next iovec at it. */
static int journal_field(struct iovec *iov, size_t *niov, size_t max_iov, char **pos, char *end,
                         const char *key, bool upcase, const char *value)
{
    if (*niov >= max_iov)
        return -1;
    size_t kl = strlen(key), vl = strlen(value);
    if ((size_t)(end - *pos) < kl + 1 + vl)
        return -1;
    char *start = *pos;
    for (size_t i = 0; i < kl; i++)
        start[i] = upcase ? (char)toupper((unsigned char)key[i]) : key[i];
    start[kl] = '=';
    memcpy(start + kl + 1, value, vl);
    iov[*niov].iov_base = start;
    iov[*niov].iov_len = kl + 1 + vl;
    (*niov)++;
    *pos += kl + 1 + vl;
    return 0;
}

static int render_journal(const struct mo_event *e, const struct mo_field *extra, size_t n_extra,
                          struct iovec *iov, size_t max_iov, char *storage, size_t storage_len)
{
    char *pos = storage, *end = storage + storage_len;
    size_t n = 0;
    char prio[4];
    snprintf(prio, sizeof prio, "%d", (int)e->level);
    if (journal_field(iov, &n, max_iov, &pos, end, "MESSAGE", false, e->msg) < 0 ||
        journal_field(iov, &n, max_iov, &pos, end, "PRIORITY", false, prio) < 0 ||
        journal_field(iov, &n, max_iov, &pos, end, "MESSAGE_ID", false, mo_evtype(e->type)->message_id) < 0 ||
        journal_field(iov, &n, max_iov, &pos, end, "SYSLOG_IDENTIFIER", false, "momento-subscriberd") < 0 ||
        journal_field(iov, &n, max_iov, &pos, end, "EVENT", false, mo_evtype(e->type)->name) < 0 ||
        journal_field(iov, &n, max_iov, &pos, end, "LEVEL", false, mo_level_name(e->level)) < 0)
        return -1;
    for (size_t i = 0; i < e->n + n_extra; i++) {
        const struct mo_field *f = field_at(e, extra, i);
        char num[32];
        const char *v = f->s;
        if (f->type != MO_F_STR) {
            number_text(f, num, sizeof num);
            v = num;
        }
        if (journal_field(iov, &n, max_iov, &pos, end, f->key, true, v) < 0)
            return -1;
    }
    return (int)n;
}

int mo_event_render_journal(const struct mo_event *e, struct iovec *iov, size_t max_iov,
                            char *storage, size_t storage_len)
{
    return render_journal(e, NULL, 0, iov, max_iov, storage, storage_len);
}

/* ---- emitting: rendered for the format, handed to the sink (sink.h) ---- */

/* a summary's histogram can take up to ~150 KB */
static char render_buf[512 * 1024];
static bool sink_open;

static enum mo_sink_class class_of(enum mo_event_type t)
{
    return mo_evtype(t)->per_message ? MO_SINK_DROP : MO_SINK_KEEP;
}

static int ensure_sink(void)
{
    if (!sink_open && mo_event_set_format(sink) < 0)
        return -EBADF;
    return sink_open ? 0 : -EBADF;
}

/* Fields lost to the limit: since start, and at the last "*" summary. */
static uint64_t fields_dropped, fields_dropped_at_total;
static bool fields_told[MO_EV__COUNT];

uint64_t mo_event_fields_dropped_total(void) { return fields_dropped; }

static bool is_total_summary(const struct mo_event *e)
{
    return e->type == MO_EV_SUMMARY && e->n > 0 && e->f[0].type == MO_F_STR && strcmp(e->f[0].key, "cache") == 0 &&
           strcmp(e->f[0].s, "*") == 0;
}

/* The first time an event of its type loses fields: a warning naming it. */
static void tell_fields_dropped(const struct mo_event *e)
{
    if (fields_told[e->type])
        return;
    fields_told[e->type] = true;
    const char *type = mo_evtype(e->type)->name;
    struct mo_event w;
    mo_event_init(&w, MO_EV_FIELDS_DROPPED, NULL, NULL);
    mo_event_str(&w, "event_type", type);
    mo_event_uint(&w, "dropped", e->dropped);
    mo_event_str(&w, "first_dropped", e->first_dropped);
    mo_event_uint(&w, "limit", MO_EVENT_MAX_FIELDS);
    mo_event_msg(&w,
                 "A %s event had %zu fields more than the %d an event holds, from %s on; they were left out "
                 "(counted in event_fields_dropped; said once per event type)",
                 type, e->dropped, MO_EVENT_MAX_FIELDS, e->first_dropped);
    mo_event_emit(&w);
}

/* ---- the journal left and back (sink.h): each change the writer noted said once ---- */

static bool said_away; /* log_fallback said, log_restored not yet */
static uint64_t seen_epoch, seen_backs;

static void say_fallback(const struct mo_sink_journal *st)
{
    char reason[160];
    if (st->err == ETIMEDOUT)
        snprintf(reason, sizeof reason, "journald did not read its socket for %u s",
                 MO_SINK_JOURNAL_STALL_US / 1000000);
    else
        snprintf(reason, sizeof reason, "%s", strerror(st->err));
    struct mo_event e;
    mo_event_init(&e, MO_EV_LOG_FALLBACK, NULL, NULL);
    mo_event_str(&e, "reason", reason);
    mo_event_str(&e, "output", "stdout");
    mo_event_uint(&e, "retry_ms", MO_SINK_JOURNAL_RETRY_US / 1000);
    mo_event_msg(&e,
                 "Cannot write to the journal (%s); writing events as JSON lines to standard output, "
                 "and trying the journal again every %u s",
                 reason, MO_SINK_JOURNAL_RETRY_US / 1000000);
    mo_event_emit(&e);
}

static void say_restored(const struct mo_sink_journal *st)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_LOG_RESTORED, NULL, NULL);
    mo_event_uint(&e, "away_ms", st->away_us / 1000);
    mo_event_uint(&e, "lines", st->lines);
    mo_event_msg(&e, "Writing to the journal again after %.1f s; %llu events went to standard output meanwhile",
                 (double)st->away_us / 1e6, (unsigned long long)st->lines);
    mo_event_emit(&e);
}

static void journal_notices(void)
{
    uint64_t epoch = mo_sink_journal_epoch();
    if (epoch == seen_epoch)
        return;
    seen_epoch = epoch;
    struct mo_sink_journal st;
    mo_sink_journal_state(&st);
    bool back = st.backs != seen_backs; /* a whole absence may have passed since the last look */
    seen_backs = st.backs;
    if (!said_away && (st.away || back)) {
        said_away = true;
        say_fallback(&st);
    }
    if (said_away && back) {
        said_away = false;
        say_restored(&st);
    }
    if (!said_away && st.away) { /* away again since */
        said_away = true;
        say_fallback(&st);
    }
}

static int emit(const struct mo_event *e, const struct mo_field *extra, size_t n_extra)
{
    int64_t now = mo_real_ns();
    int r = ensure_sink();
    if (r < 0)
        return r;
    enum mo_sink_class c = class_of(e->type);
    if (sink == MO_LOG_JOURNAL) {
        struct iovec iov[MO_EVENT_MAX_FIELDS + 8];
        _Static_assert(MO_EVENT_MAX_FIELDS + 8 <= MO_JW_META_FIELDS, "a record's meta holds every field");
        /* for its JSON line, should the journal fail (jsonw.h): the time,
         * and the fields that are not strings (after the 6 of the header) */
        struct mo_jw_meta meta;
        mo_jw_meta_init(&meta, now, false);
        int n = render_journal(e, extra, n_extra, iov, ARRAY_SIZE(iov), render_buf, sizeof render_buf);
        if (n > 0) {
            for (size_t i = 0; i < e->n + n_extra; i++)
                if (field_at(e, extra, i)->type != MO_F_STR)
                    mo_jw_meta_bare(&meta, 6 + i);
            return mo_sink_record(iov, (size_t)n, meta.b, meta.len, c);
        }
        static const char big[] = "MESSAGE=event too large to render";
        struct iovec one[] = {{(char *)big, sizeof big - 1}};
        return mo_sink_record(one, 1, meta.b, meta.len, c);
    }
    int n = sink == MO_LOG_TEXT ? mo_event_render_text(e, now, render_buf, sizeof render_buf)
                                : render_json(e, extra, n_extra, now, render_buf, sizeof render_buf);
    if (n < 0) /* only a pathological event exceeds the buffer; say so rather than cut JSON */
        n = snprintf(render_buf, sizeof render_buf,
                     "{\"event\":\"%s\",\"level\":\"error\",\"message\":\"event too large to render\"}",
                     mo_evtype(e->type)->name);
    return mo_sink_line(render_buf, (size_t)n, c);
}

int mo_event_emit(const struct mo_event *e)
{
    fields_dropped += e->dropped;
    struct mo_field extra[1];
    size_t n_extra = 0;
    if (is_total_summary(e)) {
        extra[n_extra++] = (struct mo_field){.key = "event_fields_dropped", .type = MO_F_UINT,
                                             .u = fields_dropped - fields_dropped_at_total};
        fields_dropped_at_total = fields_dropped;
    }
    int r = emit(e, extra, n_extra);
    if (e->dropped)
        tell_fields_dropped(e);
    return r;
}

int mo_event_emit_raw(enum mo_event_type type, const char *line, size_t len)
{
    if (memchr(line, '\n', len))
        return -EINVAL;
    int r = ensure_sink();
    if (r < 0)
        return r;
    if (sink != MO_LOG_JOURNAL)
        return mo_sink_line(line, len, MO_SINK_KEEP);
    char prio[16], id[48], ev[64], lv[32];
    snprintf(prio, sizeof prio, "PRIORITY=%d", (int)mo_evtype(type)->level);
    snprintf(id, sizeof id, "MESSAGE_ID=%s", mo_evtype(type)->message_id);
    snprintf(ev, sizeof ev, "EVENT=%s", mo_evtype(type)->name);
    snprintf(lv, sizeof lv, "LEVEL=%s", mo_level_name(mo_evtype(type)->level));
    static const char ident[] = "SYSLOG_IDENTIFIER=momento-subscriberd";
    /* MESSAGE=line without copying the line: the sink takes the fields apart */
    char *m = render_buf;
    if (len + 8 > sizeof render_buf)
        return -E2BIG;
    memcpy(m, "MESSAGE=", 8);
    memcpy(m + 8, line, len);
    struct iovec iov[] = {
        {m, 8 + len}, {prio, strlen(prio)}, {id, strlen(id)}, {(char *)ident, sizeof ident - 1},
        {ev, strlen(ev)}, {lv, strlen(lv)},
    };
    struct mo_jw_meta meta; /* on the fallback, the line itself */
    mo_jw_meta_init(&meta, mo_real_ns(), true);
    return mo_sink_record(iov, ARRAY_SIZE(iov), meta.b, meta.len, MO_SINK_KEEP);
}

void mo_event_flush(void)
{
    mo_idle_run();
    if (sink_open)
        journal_notices();
    mo_sink_flush();
}

bool mo_event_unflushed(void)
{
    return mo_sink_pending() || (sink_open && mo_sink_journal_epoch() != seen_epoch) || mo_idle_pending();
}

uint64_t mo_event_mark(void) { return mo_sink_mark(); }

bool mo_event_wait_mark(uint64_t mark, uint64_t timeout_us) { return mo_sink_wait_mark(mark, timeout_us); }

size_t mo_event_close(uint64_t timeout_us)
{
    if (!sink_open)
        return 0;
    journal_notices(); /* the last change of the journal's, if it was not said yet */
    sink_open = false;
    size_t left = mo_sink_close(timeout_us);
    if (left)
        fprintf(stderr, "momento-subscriberd: %zu bytes of events not written: the log output is blocked\n",
                left);
    return left;
}

uint64_t mo_event_take_lost(void) { return mo_sink_take_lost(); }

int mo_event_set_format(enum mo_log_format f)
{
    sink = f;
    int r = f == MO_LOG_JOURNAL ? mo_sink_open_journal(MO_JOURNAL_SOCKET, STDOUT_FILENO, mo_jw_record_line)
                                : mo_sink_open_fd(STDOUT_FILENO);
    if (r < 0 && f == MO_LOG_JOURNAL && r != -EBUSY) {
        /* not even a socket for the journal: JSON lines for good */
        fprintf(stderr, "momento-subscriberd: cannot write to the journal (%s); writing JSON lines to stdout\n",
                strerror(-r));
        sink = MO_LOG_JSON;
        r = mo_sink_open_fd(STDOUT_FILENO);
    }
    sink_open = r == 0;
    /* a new sink: nothing said of it yet (one that opens away is news) */
    struct mo_sink_journal st;
    mo_sink_journal_state(&st);
    said_away = false;
    seen_backs = st.backs;
    seen_epoch = mo_sink_journal_epoch() - 1;
    return r;
}

enum mo_log_format mo_event_default_format(void)
{
    /* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected; only
     * trust it when stderr is still that stream (not redirected by a wrapper). */
    const char *js = getenv("JOURNAL_STREAM");
    if (!js || !*js)
        return MO_LOG_JSON;
    unsigned long long dev, ino;
    if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return MO_LOG_JSON;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) < 0)
        return MO_LOG_JSON;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino ? MO_LOG_JOURNAL
                                                                                      : MO_LOG_JSON;
}

int mo_log_format_parse(const char *s, enum mo_log_format *ret)
{
    if (strcmp(s, "journal") == 0)
        *ret = MO_LOG_JOURNAL;
    else if (strcmp(s, "json") == 0)
        *ret = MO_LOG_JSON;
    else if (strcmp(s, "text") == 0)
        *ret = MO_LOG_TEXT;
    else
        return -EINVAL;
    return 0;
}
