/* sink.h - where rendered events go, without the loop ever waiting for them.
 *
 * The loop thread appends each rendered event to an open buffer: no lock, no
 * system call. When the loop goes idle (mo_sink_flush), or the buffer is
 * full, the buffer is handed to a writer thread, which writes it out: lines
 * to a file descriptor (stdout), or records to journald's native socket. The
 * writer waits as long as the output makes it wait; the loop never does. What
 * waits in memory is bounded, by class:
 *
 *   MO_SINK_DROP   per-message events: accepted while less than
 *                  MO_SINK_SOFT_LIMIT bytes wait, refused beyond (the caller
 *                  counts what it could not write);
 *   MO_SINK_KEEP   everything else (summaries first of all): accepted up to
 *                  MO_SINK_HARD_LIMIT bytes, so that an output stalled for
 *                  minutes loses none of it; beyond, dropped and counted here.
 *
 * Output goes out in the order it was accepted. One sink per process.
 *
 * The journal can fail: nothing listens (journald stopped, or not there at
 * start), or journald does not read its socket for MO_SINK_JOURNAL_STALL_US.
 * Then the writer writes each record instead as a JSON line (its meta says
 * how: jsonw.h) to a fallback file descriptor (stdout), and tries the
 * journal again at most every MO_SINK_JOURNAL_RETRY_US, with a record that
 * would otherwise go to the fallback; the first one journald takes brings
 * the records back to it. Nothing is lost either way, nor written twice. The
 * writer only notes each change (mo_sink_journal_state); the loop says so.
 *
 * A barrier: mo_sink_mark (loop thread) hands over the open buffer and
 * returns a mark, the count of bytes accepted so far; mo_sink_wait_mark (any
 * thread: the state file's writer waits on it before a save) waits, up to a
 * time limit, until the writer has written everything up to a mark.
 *
 *   mo_sink_open_fd, mo_sink_open_journal   start the writer for an output
 *   mo_sink_close                           write what waits (up to a time), stop
 *   mo_sink_line, mo_sink_record            accept one line / one journal record
 *   mo_sink_flush, mo_sink_pending          hand the open buffer to the writer
 *   mo_sink_take_lost                       KEEP output lost since the last call
 *   mo_sink_journal_epoch, _state           the journal left for the fallback, and back
 *   mo_sink_mark, mo_sink_wait_mark         a barrier: everything accepted up to now written
 *   mo_sink_waiting                         bytes not yet written, for tests
 */
#ifndef MO_SINK_H
#define MO_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define MO_SINK_SOFT_LIMIT (2u << 20)
#define MO_SINK_HARD_LIMIT (64u << 20)
#define MO_JOURNAL_SOCKET "/run/systemd/journal/socket"
/* a record journald has not made room for in this long: the journal has failed */
#define MO_SINK_JOURNAL_STALL_US (5u * 1000000)
/* while on the fallback, the journal is tried again this often */
#define MO_SINK_JOURNAL_RETRY_US (2u * 1000000)

/* A journal record (rec, len bytes of native protocol, with the meta it was
 * accepted with) as one line for the fallback, without its newline, into out
 * (cap bytes; 6 times len and 128 always do); its length, or -1. Called on
 * the writer thread. mo_jw_record_line (jsonw.h) is the daemon's. */
typedef long (*mo_sink_to_line)(const char *rec, size_t len, const unsigned char *meta, size_t meta_len,
                                char *out, size_t cap);

enum mo_sink_class { MO_SINK_DROP, MO_SINK_KEEP };

/* Lines to fd (not closed by the sink). A sink already open is closed first
 * (mo_sink_close, up to 1 s). 0 or -errno: the writer could not start, or
 * -EBUSY after a close that left a blocked writer behind. */
int mo_sink_open_fd(int fd);
/* Records to journald's native socket at `path` (MO_JOURNAL_SOCKET), in its
 * native protocol (journal.h), or while the journal fails, each made a line
 * by to_line, to fallback_fd (not closed by the sink). Nothing listening at
 * path is such a failure: the sink opens on the fallback. 0 or -errno: the
 * writer or its socket could not start, -EBUSY as above. */
int mo_sink_open_journal(const char *path, int fallback_fd, mo_sink_to_line to_line);
/* For tests: the stall and retry times of the next mo_sink_open_journal
 * (0: the defaults above). */
void mo_sink_journal_timing(uint64_t stall_us, uint64_t retry_us);
/* Hands over the open buffer and waits up to timeout_us for the writer to
 * write everything, then stops it. If the output is still blocked then, the
 * writer is left behind (the process is about to exit) and the number of
 * bytes it still had is returned; otherwise 0. Nothing open: 0. */
size_t mo_sink_close(uint64_t timeout_us);

/* One line (a newline is added; s must hold none). 0 accepted, or -ENOBUFS
 * (refused: over the class's limit; a KEEP line is counted as lost). */
int mo_sink_line(const char *s, size_t n, enum mo_sink_class c);
/* One journal record: each iov a "KEY=value" field (any bytes in the value),
 * and meta_len bytes of meta kept beside it for to_line. 0 or -ENOBUFS as
 * above; -EINVAL for a field without '='. */
int mo_sink_record(const struct iovec *iov, size_t n, const void *meta, size_t meta_len, enum mo_sink_class c);

/* Hands the open buffer to the writer; call when the loop goes idle. */
void mo_sink_flush(void);
/* True when the open buffer holds something. */
bool mo_sink_pending(void);

/* Loop thread: hands over the open buffer (as mo_sink_flush) and returns the
 * number of bytes accepted since the process started, across sinks. */
uint64_t mo_sink_mark(void);
/* Any thread: waits until the writer has written (or failed to write: the
 * output is gone) every byte up to `mark`, at most timeout_us. True when it
 * did, false on time out (the output is blocked, or a close left a blocked
 * writer behind). Never holds anything the loop thread needs. */
bool mo_sink_wait_mark(uint64_t mark, uint64_t timeout_us);

/* KEEP output dropped over the hard limit, and output of any class that was
 * accepted but could not be written (stdout closed, or a journal record on
 * the fallback that to_line could not make a line), since the last call. */
uint64_t mo_sink_take_lost(void);

/* The journal's side, as the writer last noted it. */
struct mo_sink_journal {
    bool away;        /* records go to the fallback */
    int err;          /* why the journal was left the last time: an errno, ETIMEDOUT for a stall */
    uint64_t aways;   /* times it was left, since the process started */
    uint64_t backs;   /* times it took records again */
    uint64_t away_us; /* at the last return: how long the journal was away */
    uint64_t lines;   /* at the last return: the records written to the fallback meanwhile */
};
/* A count that moves at every change of the above (no lock: for the loop's idle turns). */
uint64_t mo_sink_journal_epoch(void);
void mo_sink_journal_state(struct mo_sink_journal *ret);
/* Bytes accepted and not yet written (the open buffer included). */
size_t mo_sink_waiting(void);

#endif
