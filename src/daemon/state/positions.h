/* positions.h - resume positions kept across restarts (momento-subscriberd(8),
 * STATE FILE).
 *
 * The daemon's side of the state file: which directory, the file read at
 * start and handed to the subscriptions, saves paced at most once a second
 * (state.h's pacer) and written on the writer thread (saver.h), the save at
 * stop, and the events that say what went wrong. Positions are read from
 * the subscriptions when a save is due (mo_sub_position), never per message.
 * Everything here runs on the loop thread. The events of the messages up to
 * the positions saved are written out before the save (event.h's barrier),
 * as long as the log output keeps up: a save waits MO_POSITIONS_LOG_WAIT_US
 * at most for it (half its limit at start and stop), on the writer thread,
 * then goes ahead, so that a stalled log never stops positions being saved.
 *
 *   mo_positions_new / _free     choose the directory; free waits for nothing
 *   mo_positions_dir, _source    what was chosen (NULL / MO_STATE_DIR_NONE: none)
 *   mo_positions_load            read the file; a bad one is reported and ignored
 *   mo_positions_restore         give a new subscription its saved position
 *   mo_positions_forget          drop the file read at start
 *   mo_positions_name_fits       whether a subscription can be saved (warns once if not)
 *   mo_positions_tick            take the last save's outcome; save if due
 *   mo_positions_final           the save at stop, waited for within a limit
 *   mo_positions_set_dir         a reload's choice of directory
 *   mo_positions_touch           the subscriptions changed: save at the next tick
 *   mo_positions_take_ahead_of_log  saves that went ahead of the log, since the last call
 *
 * Events: state_ignored (warning: a file not used, or a subscription left out
 * of it), state_error (error: a save failed; once, then retried every second
 * without a word until it works), state_recovered (notice: saving works again).
 */
#ifndef MO_POSITIONS_H
#define MO_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"
#include "sub/sub.h"

typedef struct mo_positions mo_positions;

/* How long a save waits for the log output at most (see above). */
#define MO_POSITIONS_LOG_WAIT_US (500 * 1000)

/* Chooses the directory from `configured` (state.directory, may be NULL) and
 * `env` (the value of $STATE_DIRECTORY, may be NULL) (mo_state_dir_choose).
 * No thread is started until the first save. -ENOMEM. */
int mo_positions_new(const char *configured, const char *env, mo_positions **ret);
/* Frees everything; a write still under way is waited for (mo_positions_final
 * first when time is short). Accepts NULL. */
void mo_positions_free(mo_positions *p);

const char *mo_positions_dir(const mo_positions *p);
enum mo_state_dir_source mo_positions_source(const mo_positions *p);

/* Reads the file, if there is a directory. A missing file is a first start:
 * nothing said. A file that cannot be read or decoded (corrupt, truncated,
 * foreign, another version) is reported as state_ignored with what is wrong
 * and where, and ignored: every subscription then starts without a position. */
void mo_positions_load(mo_positions *p);

/* Gives s (IDLE) the position the file read at start holds for its cache and
 * topic, if any. True when it did. */
bool mo_positions_restore(mo_positions *p, mo_sub *s);

/* Drops the file read at start: subscriptions added later (a reload) start
 * without a saved position, as their entries were dropped by the first save. */
void mo_positions_forget(mo_positions *p);

/* False, with a state_ignored warning, when the state file cannot hold a
 * subscription to (cache, topic) (a name over MO_STATEFILE_NAME_MAX bytes);
 * such a subscription is left out of every save. True otherwise, or when
 * nothing is saved at all. Call it once per subscription added. */
bool mo_positions_name_fits(mo_positions *p, const char *cache, const char *topic);

/* Once a second (MO_STATE_SAVE_INTERVAL_US), and once at start: reports the
 * outcome of the last save if it finished (state_error on the first failure,
 * state_recovered on the first success after failures); then reads the
 * position of each of the n subscriptions and, when one differs from the last
 * save's (or that save failed) and the pacer allows, encodes them here and
 * hands them to the writer thread. When none moved, nothing is encoded.
 * Subscriptions without a position are left out of the file. With
 * `wait_us`, waits that long at most for this save and reports its outcome
 * at once (the save at start, before any stream runs). */
void mo_positions_tick(mo_positions *p, mo_sub *const *subs, size_t n, uint64_t now_us,
                       uint64_t wait_us);

/* The save at stop, once no stream delivers any more: saves the n positions
 * if they differ from the last save's (or it failed), waits for the writer
 * at most `wait_us` and reports a failure. False when the writer did not
 * finish in time: then the process must exit without mo_positions_free (the
 * file is left whole, old or new; the thread dies with the process). */
bool mo_positions_final(mo_positions *p, mo_sub *const *subs, size_t n, uint64_t now_us,
                        uint64_t wait_us);

/* A reload's state.directory (and the unchanged $STATE_DIRECTORY). When the
 * choice differs, the next tick saves into the new directory (the old file is
 * left where it is) or, with none, saving stops. True when it changed.
 * -ENOMEM leaves the old choice. */
int mo_positions_set_dir(mo_positions *p, const char *configured, const char *env);

/* The set of subscriptions changed (a reload added or removed some): the
 * next tick saves, whatever the positions. */
void mo_positions_touch(mo_positions *p);

/* The saves written since the last call whose wait for the log ran out
 * (the log output was that far behind): each went ahead of the events of
 * some messages it covers, and had the daemon died before the log caught
 * up, those events would be lost for good, as the next start resumes after
 * their messages. Counted when their outcome is taken (at a tick). */
uint64_t mo_positions_take_ahead_of_log(mo_positions *p);

#endif
