/* journal.h - records to journald's native socket, within a time limit.
 *
 * One datagram per record, addressed each time (not connected), so that a
 * journald restarted on a new socket is found again; a record too large for
 * a datagram goes in a sealed memfd, as journald wants from an unprivileged
 * sender. A send waits at most the socket's time limit for journald to make
 * room (SO_SNDTIMEO; a journald that does not read its socket leaves none),
 * or not at all. Used by the log's writer thread alone (sink.c); nothing
 * here logs.
 *
 *   mo_journal_open / mo_journal_close   the socket for a path
 *   mo_journal_probe                     whether something listens there
 *   mo_journal_send                      one record
 */
#ifndef MO_JOURNAL_H
#define MO_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct mo_journal {
    int fd;
    struct sockaddr_un addr;
    socklen_t addr_len;
};

/* A socket for records to `path`, whose sends wait at most wait_us (at
 * least 1 ms). 0, or -errno (-ENAMETOOLONG, socket(2)'s). */
int mo_journal_open(struct mo_journal *j, const char *path, uint64_t wait_us);
void mo_journal_close(struct mo_journal *j);

/* 0 when something listens at the path (a connect that sends nothing), else
 * -errno (-ENOENT, -ECONNREFUSED). */
int mo_journal_probe(const struct mo_journal *j);

/* Sends one record (native protocol). 0 when journald has it; -ETIMEDOUT
 * when it made no room within the time limit, or at once with wait false;
 * -errno otherwise (-ENOENT, -ECONNREFUSED: nothing listens). */
int mo_journal_send(const struct mo_journal *j, const char *rec, size_t n, bool wait);

#endif
