/* saver.h - the state file written on a thread of its own.
 *
 * A save (mo_state_write, state.h) syncs twice: the file and its directory.
 * On a slow or busy disk that takes milliseconds to seconds, and done on the
 * loop thread it would hold up every message queued meanwhile, which would
 * then carry the wait as latency: the monitor would measure itself. So the
 * loop encodes the positions (cheap) and hands the bytes here; one writer
 * thread writes, syncs and renames.
 *
 * At most one job waits: a newer one replaces it, since an older snapshot of
 * the positions is worth nothing once a newer one exists (latest wins). The
 * loop learns the outcome by polling, at its next tick; nothing here logs.
 *
 * A job may carry a barrier, waited for on this thread before the write:
 * the log's events up to the positions saved must be out first (event.h,
 * mo_event_wait_mark), within a time limit, after which the save goes ahead.
 *
 *   mo_saver_new / mo_saver_free   start the thread / finish the jobs, join it
 *   mo_saver_submit                hand over a directory and encoded bytes
 *   mo_saver_poll                  the outcome of the last job finished since
 *   mo_saver_wait                  wait until no job is left, within a time limit
 */
#ifndef MO_SAVER_H
#define MO_SAVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

typedef struct mo_saver mo_saver;

/* The outcome of one job. */
struct mo_saver_result {
    int r;                     /* mo_state_write's: 0 or a negative errno */
    uint64_t submitted_us;     /* when the job was handed over (the attempt's time) */
    char dir[1024];            /* where it went (cut to fit) */
    char err[MO_STATE_ERR_MAX]; /* mo_state_write's detail when r < 0 */
    bool barrier_missed;       /* its barrier timed out: written without it
                                  (the summary's state_saves_ahead_of_log) */
};

/* What a job waits for before it is written: wait(mark, timeout_us), on the
 * saver's thread, true when what it waits for happened in time. */
struct mo_saver_barrier {
    bool (*wait)(uint64_t mark, uint64_t timeout_us);
    uint64_t mark;
    uint64_t timeout_us;
};

/* Starts the writer thread. -ENOMEM or pthread_create's error. */
int mo_saver_new(mo_saver **ret);

/* Writes the job still waiting, if any, then stops and joins the thread and
 * frees everything. Blocks as long as that write takes: call mo_saver_wait
 * first when time is short, and leave the saver to the process exit if it
 * did not finish. Accepts NULL. */
void mo_saver_free(mo_saver *sv);

/* Queues a write of `len` bytes of `buf` (malloc'd, not NULL; the saver
 * takes it and frees it) to <dir>/positions, stamped `now_us`, after the
 * barrier `before` (copied; NULL: none). A job still waiting is dropped for
 * this one. -ENOMEM (buf is freed all the same), or -EINVAL for a NULL buf. */
int mo_saver_submit(mo_saver *sv, const char *dir, char *buf, size_t len, uint64_t now_us,
                    const struct mo_saver_barrier *before);

/* True, with *ret, when a job finished since the last call (the latest one,
 * when several did); false otherwise. */
bool mo_saver_poll(mo_saver *sv, struct mo_saver_result *ret);

/* True when a job is waiting or being written. */
bool mo_saver_busy(mo_saver *sv);

/* Waits until no job is waiting or being written, at most `timeout_us`.
 * True when that happened, false on time out. */
bool mo_saver_wait(mo_saver *sv, uint64_t timeout_us);

#endif
