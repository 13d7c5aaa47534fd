/* state.h - the resume-position file on disk: where it lives, load, atomic save, pacing.
 *
 * momento-subscriberd(8), STATE FILE: positions are saved under the state
 * directory so a restarted daemon resumes where it stopped. The file is
 * MO_STATE_FILE in that directory, in the format of statefile.h. This module
 * reads and writes it; the encoding, and its caps, are statefile.h's.
 *
 *   mo_state_dir_choose()   state.directory, else $STATE_DIRECTORY, else none
 *   mo_state_load()         read and decode the file
 *   mo_state_save()         replace it atomically with the current positions
 *   mo_state_write()        the same with positions already encoded (statefile.h)
 *   mo_state_pacer_*()      when to save: at most once a second while positions
 *                           change, and whatever is left at stop
 *
 * A save writes the whole set the caller passes: entries of subscriptions
 * that are gone (removed by a reload) disappear at the next save, so pass
 * every current subscription that has a position, and only those.
 *
 * Nothing here logs: errors are negative errno values with a one-line detail
 * (naming the file and what went wrong) for the caller to put in an event.
 */
#ifndef MO_STATE_H
#define MO_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/statefile.h"

#define MO_STATE_FILE "positions"
#define MO_STATE_TMP_FILE "positions.tmp"              /* the next version, until renamed */
#define MO_STATE_ERR_MAX (MO_STATEFILE_ERR_MAX + 4096) /* room for a path */
#define MO_STATE_SAVE_INTERVAL_US 1000000ULL           /* at most one save a second */

enum mo_state_dir_source {
    MO_STATE_DIR_NONE,   /* positions are not saved */
    MO_STATE_DIR_CONFIG, /* state.directory */
    MO_STATE_DIR_ENV,    /* $STATE_DIRECTORY (systemd StateDirectory=) */
};

/* Chooses the state directory from `configured` (state.directory, may be
 * NULL) and `env` (the value of $STATE_DIRECTORY, may be NULL): the configured
 * one when set and non-empty, else the first non-empty entry of `env`, which
 * systemd sets to a colon-separated list when StateDirectory= names several,
 * else none. Pure: the caller passes getenv("STATE_DIRECTORY"). Returns 0 with
 * *ret_dir (malloc'd, the caller frees it; NULL for none) and *ret_source, or
 * -ENOMEM. */
int mo_state_dir_choose(const char *configured, const char *env, char **ret_dir,
                        enum mo_state_dir_source *ret_source);

/* "state.directory", "$STATE_DIRECTORY" or "none", for the started event. */
const char *mo_state_dir_source_name(enum mo_state_dir_source s);

/* Reads and decodes <dir>/positions. Returns 0 with *ret (free it with
 * mo_statefile_free), or *ret untouched and a detail in err:
 * -ENOENT when there is no file yet (a first start; not worth a warning) or
 * no directory (the first save will report that),
 * a decode error of mo_statefile_decode (the detail starts with the path),
 * -EFBIG when the file is over MO_STATEFILE_SIZE_MAX, -EISDIR or -EINVAL when
 * it is not a regular file, or the errno of open/read. A leftover
 * positions.tmp is never read: it is an unfinished save. err may be NULL. */
int mo_state_load(const char *dir, mo_statefile **ret, char *err, size_t err_len);

/* Replaces <dir>/positions with the n entries: encodes them, writes
 * <dir>/positions.tmp (created or truncated, whatever an earlier crash left
 * there), fsyncs it, renames it over positions and fsyncs the directory. On
 * any failure before the rename the old file is untouched and the temporary
 * one removed. Returns 0, an encode error of mo_statefile_encode, or the
 * negative errno of the step that failed with a detail naming it and the file
 * ("cannot create /var/lib/x/positions.tmp: Permission denied"). A missing or
 * unwritable directory is such an error: the caller reports it and tries
 * again later. Blocks for the fsyncs. err may be NULL. */
int mo_state_save(const char *dir, const struct mo_statefile_entry *v, size_t n, char *err,
                  size_t err_len);

/* mo_state_save's I/O alone: replaces <dir>/positions with `len` bytes
 * already encoded by mo_statefile_encode, the same way and with the same
 * errors but the encoder's. Needs nothing but its arguments, so it may run on
 * a thread of its own (saver.h) while the loop goes on. */
int mo_state_write(const char *dir, const char *buf, size_t len, char *err, size_t err_len);

/* When to save. Plain data; embed it. Times are monotonic microseconds
 * (mo_mono_us(), or a fake clock in tests).
 *
 *   mo_state_pacer_init(&p, MO_STATE_SAVE_INTERVAL_US);
 *   on a position change:       mo_state_pacer_changed(&p);
 *   at mo_state_pacer_due_at(&p), or whenever mo_state_pacer_due(&p, now):
 *       r = mo_state_save(...); if (mo_state_pacer_saved(&p, now, r)) log it;
 *   at stop:                    if (p.dirty) save once more, whatever the time.
 *
 * A change after a quiet spell is saved at once; further changes wait until
 * `interval` after the last attempt, so a busy topic costs one save a second.
 * A failed save leaves the pacer dirty, so it is retried every interval. */
struct mo_state_pacer {
    uint64_t interval_us;
    uint64_t last_us; /* time of the last save attempt */
    bool attempted;   /* last_us is meaningful */
    bool dirty;       /* positions changed since the last successful save */
    bool failing;     /* the last attempt failed */
};

void mo_state_pacer_init(struct mo_state_pacer *p, uint64_t interval_us);

/* Positions changed: a save is wanted. */
void mo_state_pacer_changed(struct mo_state_pacer *p);

/* Whether a save is due at now_us: dirty, and interval since the last attempt. */
bool mo_state_pacer_due(const struct mo_state_pacer *p, uint64_t now_us);

/* The monotonic time from which a save is due (possibly already past), or
 * UINT64_MAX when nothing needs saving: the deadline for the loop's timer. */
uint64_t mo_state_pacer_due_at(const struct mo_state_pacer *p);

/* Records a save attempt at now_us with its result (0 or a negative errno).
 * Returns true when the outcome differs from the previous attempt's (the
 * first failure, or the first success after failures; the very first attempt
 * counts as following a success), so the caller reports each change once
 * instead of an error every second. Changes made after the positions were
 * taken for this save must be marked again (mo_state_pacer_changed) after
 * this call; in a single-threaded daemon there are none. */
bool mo_state_pacer_saved(struct mo_state_pacer *p, uint64_t now_us, int result);

#endif
