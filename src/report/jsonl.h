/* jsonl.h - read the daemon's JSON-lines events (--log-format json).
 *
 * Every line is one JSON object. A line that is not JSON, not an object, or
 * has no "event" is damaged; an event other than "summary" (and "canary",
 * "canary_peer" when the sink has a canary merge), or a CloudWatch EMF
 * document (an object with "_aws" and no "event", which the daemon writes
 * among its events with export.emf), is counted as other; a summary is
 * checked (summary.h; its time is "ts", RFC 3339) and handed to the sink,
 * or counted damaged with the reason and FILE:LINE, and so is a canary
 * event (canary.h). Blank lines are ignored. The host is the summary's
 * "host" field when it has one, else `default_host` (the file's name); a
 * canary event's source is always `default_host`.
 */
#ifndef LR_JSONL_H
#define LR_JSONL_H

#include <stdio.h>

#include "sink.h"

/* Reads f to its end. Returns 0, -ENOMEM, or -errno of a read error. */
int lr_jsonl_read(struct lr_sink *k, FILE *f, const char *name, const char *default_host);

#endif
