/* field.h - one field of an event, read as text and checked: the readers
 * hand an event's fields over through an lr_field_fn (summary.h), and the
 * parsers of every event the report reads (summary.h, canary.h) take them
 * through these, so a field is judged, and its fault named, the same way
 * whatever the event. A field text is quoted in a reason cut short (a
 * histogram can be 100 KB), and not at all when it looks like an API key.
 * Each returns 0, or -EINVAL with the reason in err (e.g. "field gaps: \"x\"
 * is not a whole number"). Pure.
 */
#ifndef LR_FIELD_H
#define LR_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns the text of field `key` (lower case) of the current record, or NULL
 * when it has none. The text must stay valid until the record is done. */
typedef const char *(*lr_field_fn)(void *ud, const char *key);

/* Writes the reason and returns -EINVAL. */
int lr_field_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A name: present, not empty, not like an API key (the daemon refuses such names). */
int lr_field_str(lr_field_fn get, void *ud, const char *key, const char **ret, char *err, size_t len);
/* A whole number; with `optional`, an absent field is 0. */
int lr_field_u64(lr_field_fn get, void *ud, const char *key, bool optional, uint64_t *ret, char *err,
                 size_t len);
/* A whole number with an optional minus sign. */
int lr_field_i64(lr_field_fn get, void *ud, const char *key, int64_t *ret, char *err, size_t len);
/* Seconds as the daemon writes them: a plain decimal ("60.002"). */
int lr_field_seconds(lr_field_fn get, void *ud, const char *key, double *ret, char *err, size_t len);
/* The field quoted for a reason: "\"%.40s%s\"" of these two. */
#define LR_QUOTED "\"%.40s%s\""
#define LR_QUOTE(v) mo_secret_redact(v), strlen(mo_secret_redact(v)) > 40 ? "..." : ""

#endif
