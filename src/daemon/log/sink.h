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
 *   mo_sink_journal_broken                  journald went away: use stdout instead
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

enum mo_sink_class { MO_SINK_DROP, MO_SINK_KEEP };

/* Lines to fd (not closed by the sink). A sink already open is closed first
 * (mo_sink_close, up to 1 s). 0 or -errno: the writer could not start, or
 * -EBUSY after a close that left a blocked writer behind. */
int mo_sink_open_fd(int fd);
/* Records to journald's native socket at `path` (MO_JOURNAL_SOCKET), in its
 * native protocol; a record too large for one datagram goes in a sealed
 * memfd. -errno when nothing listens at path (then no sink is open). */
int mo_sink_open_journal(const char *path);
/* Hands over the open buffer and waits up to timeout_us for the writer to
 * write everything, then stops it. If the output is still blocked then, the
 * writer is left behind (the process is about to exit) and the number of
 * bytes it still had is returned; otherwise 0. Nothing open: 0. */
size_t mo_sink_close(uint64_t timeout_us);

/* One line (a newline is added; s must hold none). 0 accepted, or -ENOBUFS
 * (refused: over the class's limit; a KEEP line is counted as lost). */
int mo_sink_line(const char *s, size_t n, enum mo_sink_class c);
/* One journal record: each iov a "KEY=value" field (any bytes in the value).
 * 0 or -ENOBUFS as above; -EINVAL for a field without '='. */
int mo_sink_record(const struct iovec *iov, size_t n, enum mo_sink_class c);

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
 * accepted but could not be written (journald gone, stdout closed), since
 * the last call. */
uint64_t mo_sink_take_lost(void);
/* True once journald refused a record because nothing listens any more. */
bool mo_sink_journal_broken(void);
/* Bytes accepted and not yet written (the open buffer included). */
size_t mo_sink_waiting(void);

#endif
