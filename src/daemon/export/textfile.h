/* textfile.h - the Prometheus textfile written on a thread of its own.
 *
 * Writing the textfile (a temporary file beside it, then rename(2)) is file
 * I/O, and a slow or stuck disk would hold the loop thread, and with it every
 * message queued meanwhile, for as long as the write takes. So the loop
 * renders the text into memory (cheap) and hands the bytes here; one writer
 * thread writes them out. As for the state file (state/saver.h), at most one
 * job waits and a newer one replaces it: an older snapshot of counters since
 * start is worth nothing once a newer one exists (latest wins).
 *
 * The loop learns each job's outcome by polling; nothing here logs. A
 * result waiting is flagged in an atomic, so that the loop may look often
 * (at every idle turn) without taking the lock.
 *
 *   mo_textfile_new / mo_textfile_free   start the thread / stop it (bounded)
 *   mo_textfile_submit                   hand over a path and rendered bytes
 *   mo_textfile_ready, mo_textfile_poll  an outcome waits / take it
 *   mo_textfile_wait                     until no job is left, within a time limit
 */
#ifndef MO_TEXTFILE_H
#define MO_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mo_textfile mo_textfile;

/* The outcome of one job. */
struct mo_textfile_result {
    int r;            /* 0, or a negative errno */
    const char *what; /* r < 0: the step that failed ("renaming the temporary file over it"); static */
    char path[1024];  /* the file it was for (cut to fit) */
};

/* Starts the writer thread. -ENOMEM or pthread_create's error. */
int mo_textfile_new(mo_textfile **ret);

/* Waits up to timeout_us for the job being written and the one waiting, then
 * stops and joins the thread and frees everything. A writer still stuck in
 * the file system then is left to the process exit (detached, its memory
 * kept), so that a stop never waits for a disk. Accepts NULL. */
void mo_textfile_free(mo_textfile *t, uint64_t timeout_us);

/* Queues a write of `len` bytes of `buf` (malloc'd; taken and freed here,
 * also on failure) to `path` (absolute). A job still waiting is dropped for
 * this one. 0, -ENOMEM or -EINVAL (buf NULL). */
int mo_textfile_submit(mo_textfile *t, const char *path, char *buf, size_t len);

/* True when a job finished since the last poll (no lock: for the loop's idle turns). */
bool mo_textfile_ready(const mo_textfile *t);
/* True, with *ret, when a job finished since the last call (the latest one,
 * when several did); false otherwise. */
bool mo_textfile_poll(mo_textfile *t, struct mo_textfile_result *ret);

/* Waits until no job is waiting or being written, at most timeout_us. True
 * when that happened, false on time out. */
bool mo_textfile_wait(mo_textfile *t, uint64_t timeout_us);

#endif
