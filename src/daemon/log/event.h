/* event.h - the daemon's structured events and where they go.
 *
 * One schema, three encodings (momento-subscriberd(8), EVENTS): every event has
 * a type (`event`), a level and a human sentence, plus typed fields. The
 * journal sink sends each field upper-cased (latency_us -> LATENCY_US) with
 * MESSAGE, PRIORITY and a fixed MESSAGE_ID per type; the JSON sink writes one
 * line per event with `ts` (RFC 3339, microseconds, UTC); the text sink writes
 * a line for a human at a terminal. The sentence shows anything unprintable
 * escaped (mo_event_msg). Rendering is here; the output itself, which never
 * makes the caller wait, is sink.h's.
 *
 *   struct mo_event e;
 *   mo_event_init(&e, MO_EV_GAP, cache, topic);
 *   mo_event_uint(&e, "expected_seq", 5);
 *   mo_event_msg(&e, "Gap on %s/%s: ...", ...);
 *   mo_event_emit(&e);
 *
 * Field keys and string values must stay valid until mo_event_emit returns.
 */
#ifndef MO_EVENT_H
#define MO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "log/evtype.h"

enum mo_log_format { MO_LOG_JOURNAL, MO_LOG_JSON, MO_LOG_TEXT };

enum mo_field_type { MO_F_STR, MO_F_INT, MO_F_UINT, MO_F_BOOL, MO_F_DOUBLE };

struct mo_field {
    const char *key;
    enum mo_field_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        bool b;
        double d;
    };
};

/* The widest event, the summary, has 42 fields, and a few more are to come
 * (some 46); the rest is headroom. A field past the limit is left out, but never
 * silently: the event's `dropped` counts it, mo_event_emit adds it to
 * event_fields_dropped (in every "*" summary and the Prometheus textfile)
 * and logs a fields_dropped warning the first time a type overflows. */
#define MO_EVENT_MAX_FIELDS 64

struct mo_event {
    enum mo_event_type type;
    enum mo_level level;
    size_t n;
    struct mo_field f[MO_EVENT_MAX_FIELDS];
    size_t dropped;            /* fields left out past the limit */
    const char *first_dropped; /* the key of the first of them */
    char msg[512];
};

/* Starts an event; cache/topic (may be NULL) become the first two fields. */
void mo_event_init(struct mo_event *e, enum mo_event_type type, const char *cache, const char *topic);
void mo_event_str(struct mo_event *e, const char *key, const char *value);
void mo_event_int(struct mo_event *e, const char *key, int64_t value);
void mo_event_uint(struct mo_event *e, const char *key, uint64_t value);
void mo_event_bool(struct mo_event *e, const char *key, bool value);
void mo_event_double(struct mo_event *e, const char *key, double value);
/* The sentence, cut to fit msg. Whatever the arguments hold, it comes out
 * printable: control bytes, DEL and bytes that are not UTF-8 as \xHH, C1
 * controls, line separators and bidirectional overrides as \uHHHH. */
void mo_event_msg(struct mo_event *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Renders the event for the current format and hands it to the sink
 * (sink.h), stamped with the real-time clock; never waits for the output.
 * A summary of cache "*" also gets event_fields_dropped: the fields every
 * event lost to the limit since the last such summary (added here, after
 * the event's own fields, so that the limit it counts can never cut it).
 * Per-message events (message, decode_error, protocol_error, gap,
 * discontinuity, reset) are refused when the output is too far behind:
 * -ENOBUFS, and the caller counts them. Every other event is kept however far behind the output is (up to
 * the sink's hard limit, past which it is counted in mo_event_take_lost).
 * 0 when accepted. */
int mo_event_emit(const struct mo_event *e);

/* Writes one line that is not an event (an EMF document: `line`, len bytes,
 * no newline in it) to the log output as its own line: on stdout (json and
 * text sinks) the line itself; in the journal a record whose MESSAGE is the
 * line, with EVENT, LEVEL, PRIORITY and MESSAGE_ID of `type` (MO_EV_EMF) and
 * SYSLOG_IDENTIFIER. Like a summary it is never subject to the message
 * budget and is kept while the output is slow. 0, or -EINVAL (a newline in
 * it) or -E2BIG (over 512 KiB): nothing written; -ENOBUFS as for an event. */
int mo_event_emit_raw(enum mo_event_type type, const char *line, size_t len);

/* Chooses the format and opens its sink (starting its writer thread): the
 * journal's native socket, or stdout. While the journal fails (at start or
 * later: nothing listens, or journald does not read), its records go to
 * stdout as JSON lines, and back to the journal when it takes them again
 * (sink.h); each change is a log_fallback or log_restored event, said at
 * the next flush. 0, or -errno when no sink could be started.
 * Without a call, the first event opens JSON on stdout. */
int mo_event_set_format(enum mo_log_format f);
/* journal when stderr is the journal stream ($JOURNAL_STREAM matches stderr), else json. */
enum mo_log_format mo_event_default_format(void);
int mo_log_format_parse(const char *s, enum mo_log_format *ret);

/* Hands the events rendered since the last call to the writer. Call when the
 * loop goes idle (once per burst, not per event). Runs the idle work that
 * says it has something to do first (idle.h), and says what the journal's
 * writer noted since (log_fallback, log_restored). */
void mo_event_flush(void);
/* True when events were rendered since the last flush, or idle work or a
 * change of the journal's waits. */
bool mo_event_unflushed(void);
/* A barrier for what must not be done before the events rendered so far are
 * out (a save of resume positions, momento-subscriberd(8) STATE FILE):
 * mo_event_mark, on the loop thread, flushes and returns a mark;
 * mo_event_wait_mark, on any thread, waits at most timeout_us until every
 * event up to the mark is written, true if so (sink.h). */
uint64_t mo_event_mark(void);
bool mo_event_wait_mark(uint64_t mark, uint64_t timeout_us);
/* At exit: flushes, waits up to timeout_us for everything to be written,
 * stops the writer. Returns the bytes left unwritten (the output is blocked;
 * also said on stderr). */
size_t mo_event_close(uint64_t timeout_us);
/* Events accepted but lost since the last call: kept events past the sink's
 * hard limit, and any that could not be written (journald gone, stdout
 * closed). For the total summary's sink_dropped. */
uint64_t mo_event_take_lost(void);

/* Fields left out past MO_EVENT_MAX_FIELDS since start, for the textfile. */
uint64_t mo_event_fields_dropped_total(void);

/* Names and ids, for tests and documentation. */
const char *mo_event_message_id(enum mo_event_type t);
const char *mo_level_name(enum mo_level l);

/* Renderers, exposed for tests. Return the length written (the output is
 * always NUL-terminated and truncated to fit), or -1 if it did not fit. */
int mo_event_render_json(const struct mo_event *e, int64_t ts_ns, char *buf, size_t len);
int mo_event_render_text(const struct mo_event *e, int64_t ts_ns, char *buf, size_t len);
/* Fills iov with KEY=value pairs for sd_journal_sendv; `storage` holds the
 * text. Returns the iovec count, or -1 if storage was too small. */
int mo_event_render_journal(const struct mo_event *e, struct iovec *iov, size_t max_iov,
                            char *storage, size_t storage_len);

#endif
