/* journal.h - read summary records, and canary ones, from the systemd
 * journal (sd-journal).
 *
 * Records matched: _SYSTEMD_UNIT=UNIT, EVENT=summary and the summary's
 * MESSAGE_ID; and when the sink has a canary merge, _SYSTEMD_UNIT=UNIT with
 * EVENT=canary or EVENT=canary_peer. They come from the local journal or
 * from the journal files under a directory (copied from other hosts:
 * journalctl --directory). Fields are the event's in upper case (summary.h
 * and canary.h look them up in lower case); the time is the record's
 * realtime timestamp, the host (a canary event's source) its _HOSTNAME. The
 * window is applied by seeking to --since and stopping after --until.
 */
#ifndef LR_JOURNAL_H
#define LR_JOURNAL_H

#include <stddef.h>

#include "sink.h"

/* The unit name as journalctl -u takes it: ".service" is added to a name
 * with no unit type suffix. Writes into buf; returns buf. */
const char *lr_journal_unit_name(const char *unit, char *buf, size_t len);

/* Reads every matching record into the sink. `directory` NULL: the local
 * journal. Returns 0; -ENOENT (with a reason in err) when no journal file
 * could be opened; another -errno on failure. */
int lr_journal_read(struct lr_sink *k, const char *directory, const char *unit, char *err, size_t errlen);

#endif
