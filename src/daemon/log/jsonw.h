/* jsonw.h - the text of events made safe: a sentence for a terminal, JSON
 * written straight into a fixed buffer; and a journal record turned back
 * into the JSON line of its event.
 *
 * Pure, and safe on any thread: the loop renders events with it (event.c),
 * and the log's writer thread turns journal records into JSON lines with it
 * when the journal fails and the lines go to standard output instead
 * (sink.h). A string may hold any bytes, but a JSON line must be UTF-8: an
 * invalid byte becomes U+FFFD, a control character an escape. A writer that
 * runs out of room says so (overflow) instead of cutting a line.
 *
 *   mo_utf8_seq                    the valid UTF-8 sequence at p, if any
 *   mo_jw_sentence                 a sentence nothing in which can act on a terminal
 *   mo_jw_raw, mo_jw_str(n), mo_jw_key   text, a string, ",key:"
 *   mo_jw_meta_init, mo_jw_meta_bare     what a record needs to be a JSON line again
 *   mo_jw_record_line               a journal record as its event's JSON line
 */
#ifndef MO_JSONW_H
#define MO_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (1-4; at most end - p bytes are
 * read), or 0 if it is not one: overlong forms, surrogates and code points
 * past U+10FFFF are not. */
size_t mo_utf8_seq(const unsigned char *p, const unsigned char *end);

/* `in` into out (len bytes, NUL-terminated): every byte that is not
 * printable UTF-8 written \xHH and every control code point (C1 controls,
 * line and paragraph separators, bidirectional embeddings, overrides and
 * isolates) \uHHHH, so that nothing in it can move a terminal's cursor,
 * change its colours, start a second line or reorder the text; cut at a
 * whole character or escape to fit. */
void mo_jw_sentence(const char *in, char *out, size_t len);

struct mo_jw {
    char *p, *end;
    bool overflow;
};

void mo_jw_raw(struct mo_jw *w, const char *s, size_t n);
void mo_jw_strn(struct mo_jw *w, const char *s, size_t n); /* a quoted, escaped string */
void mo_jw_str(struct mo_jw *w, const char *s);
void mo_jw_key(struct mo_jw *w, const char *key); /* ,"key": */

/* What a journal record (the native protocol's KEY=value fields) carries
 * beside it so that it can become the JSON line of the same event: its time,
 * which field values are bare JSON (numbers, booleans) rather than strings,
 * and whether it is a raw line (an EMF document, whose MESSAGE is the line).
 * Records of up to MO_JW_META_FIELDS fields. */
#define MO_JW_META_FIELDS 128
struct mo_jw_meta {
    unsigned char b[9 + MO_JW_META_FIELDS / 8];
    size_t len;
};
void mo_jw_meta_init(struct mo_jw_meta *m, int64_t ts_ns, bool raw);
/* Field i of the record (0: its first) holds a number or a boolean. */
void mo_jw_meta_bare(struct mo_jw_meta *m, size_t i);

/* The JSON line of a journal record `rec` (len bytes of native protocol)
 * with its meta: {"ts", "event" (EVENT), "level" (LEVEL), "message"
 * (MESSAGE), then every other field in order, its key in lower case} as the
 * json format writes the event; PRIORITY, MESSAGE_ID and SYSLOG_IDENTIFIER
 * are the journal's alone and left out. A raw record gives its MESSAGE. The
 * length written to out (no newline, NUL-terminated), or -1 when it does not
 * fit in cap (6 times the record and 128 bytes always do) or the record is
 * malformed. */
long mo_jw_record_line(const char *rec, size_t len, const unsigned char *meta, size_t meta_len, char *out,
                       size_t cap);

#endif
