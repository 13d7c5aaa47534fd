/* outlog.c - log_fallback, log_restored and fields_dropped (outlog.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log/outlog.h"
#include "log/sink.h"

/* what the loop has said: the journal away (and not said back), the returns seen */
static bool said_away;
static uint64_t seen_epoch, seen_backs;
static bool fields_told[MO_EV__COUNT];

void mo_outlog_reset(void)
{
    struct mo_sink_journal st;
    mo_sink_journal_state(&st);
    said_away = false;
    seen_backs = st.backs;
    seen_epoch = mo_sink_journal_epoch() - 1; /* a sink that opens away is news */
}

bool mo_outlog_journal_news(void) { return mo_sink_journal_epoch() != seen_epoch; }

static void fallback(const struct mo_sink_journal *st)
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

static void restored(const struct mo_sink_journal *st)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_LOG_RESTORED, NULL, NULL);
    mo_event_uint(&e, "away_ms", st->away_us / 1000);
    mo_event_uint(&e, "lines", st->lines);
    mo_event_msg(&e, "Writing to the journal again after %.1f s; %llu events went to standard output meanwhile",
                 (double)st->away_us / 1e6, (unsigned long long)st->lines);
    mo_event_emit(&e);
}

void mo_outlog_journal(void)
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
        fallback(&st);
    }
    if (said_away && back) {
        said_away = false;
        restored(&st);
    }
    if (!said_away && st.away) { /* away again since */
        said_away = true;
        fallback(&st);
    }
}

void mo_outlog_fields_dropped(const struct mo_event *e)
{
    if (fields_told[e->type])
        return;
    fields_told[e->type] = true;
    const char *type = mo_event_type_name(e->type);
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
