/* clockbound.h - this host's clock error bound from AWS ClockBound's shared
 * memory segment (momento-subscriberd(8), CLOCK ERROR BOUND; the protocol is
 * the one the aws/clock-bound project documents, versions 1 and 2).
 *
 * ClockBound's daemon writes, a few times a second, the bound on the error of
 * CLOCK_REALTIME into a file it maps shared: protocol v2 (ClockBound 2.x) at
 * /var/run/clockbound/shm0, v1 (1.x) at /var/run/clockbound/shm. Both are
 * native endian; magic is two native u32s 0x414D5A4E 0x43420200, then segsize
 * u32 @8, version u16 @12, generation u16 @14, as_of {i64 s, i64 ns} @16 and
 * void_after @32 (CLOCK_MONOTONIC_COARSE), bound_nsec i64 @48; v2: disruption
 * marker u64 @56, max_drift_ppb u32 @64, status i32 @68, disruption support
 * u8 @72 (80 bytes); v1: max_drift_ppb u32 @56, reserved u32 @60, status i32
 * @64 (72 bytes).
 *
 * Three layers, each testable alone:
 *   mo_cb_parse         pure: a copy of a segment's bytes -> a snapshot, or why not
 *   mo_cb_bound_at      pure: a snapshot's bound and status at a monotonic-coarse moment
 *   mo_cb_reader_*      the file: mapped read-only and shared, read by the
 *                       protocol (version, generation around the copy), the
 *                       path re-checked on every poll, and the monitor's stricter
 *                       rules (version 0 and an as_of that does not move both
 *                       tolerated for MO_CB_STALE_NS only)
 *
 * Nothing here logs: every refusal comes back as a state and a short reason
 * for the caller's event ("bad magic", "segment size 64, expected at least
 * 80", "no such file", "as_of has not moved for 5 s", ...). No call allocates
 * after mo_cb_reader_new; a poll makes at most one stat(2) (and an open and
 * mmap when the file is new or was replaced); mo_cb_bound_at makes none.
 */
#ifndef MO_CLOCKBOUND_H
#define MO_CLOCKBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_CB_PATH_V2 "/var/run/clockbound/shm0"
#define MO_CB_PATH_V1 "/var/run/clockbound/shm"
#define MO_CB_MAGIC0 0x414D5A4EU
#define MO_CB_MAGIC1 0x43420200U
#define MO_CB_V1_SIZE 72 /* bytes of the header and data of each version */
#define MO_CB_V2_SIZE 80
#define MO_CB_GRACE_NS (5 * 1000000000LL) /* ClockBound's own: as_of trusted this long */
#define MO_CB_STALE_NS (5 * 1000000000LL) /* ours: version 0, or an unmoved as_of, this long */
#define MO_CB_REASON_MAX 96

/* The segment's clock_status, and what a moment makes of it. */
enum mo_cb_status {
    MO_CB_UNKNOWN = 0,
    MO_CB_SYNCHRONIZED = 1,
    MO_CB_FREE_RUNNING = 2,
    MO_CB_DISRUPTED = 3,
};
/* "unknown", "synchronized", "free_running", "disrupted" (SPEC's clock_status) */
const char *mo_cb_status_name(enum mo_cb_status s);

/* One good copy of a segment, of either version. */
struct mo_cb_snapshot {
    uint16_t version;         /* 1 or 2 */
    uint16_t generation;      /* even and > 0 */
    int64_t as_of_ns;         /* CLOCK_MONOTONIC_COARSE, nanoseconds */
    int64_t void_after_ns;    /* likewise */
    int64_t bound_ns;         /* the bound at as_of */
    uint32_t max_drift_ppb;   /* the bound grows this much per second since as_of */
    int32_t status;           /* as written: enum mo_cb_status, or another number */
    uint64_t disruption_marker;   /* v2 */
    bool disruption_support;      /* v2 */
};

/* What the segment's bytes say. */
enum mo_cb_parse_result {
    MO_CB_OK = 0,
    MO_CB_MALFORMED,  /* short, bad magic, bad size, unknown version, bad field: reason says */
    MO_CB_RESTARTING, /* version 0: the writer is restarting */
    MO_CB_UPDATING,   /* odd generation (or 0): an update is in progress */
};

/* Pure: reads the first len bytes of a segment (a copy, any alignment) that
 * the file says holds file_size bytes. MO_CB_MALFORMED when len or file_size
 * is shorter than the header, the magic is not ClockBound's, the version is
 * neither 0, 1 nor 2, segsize is below the version's size or above
 * file_size, the bound is negative, the drift is 1e9 ppb or more, a timespec's
 * nanoseconds are outside [0, 1e9) or its seconds outside [0, INT64_MAX / 1e9),
 * or void_after is before as_of; reason names which (reason may be NULL; it
 * is "" on MO_CB_OK, and says which for the other results). *ret is set only
 * on MO_CB_OK. */
enum mo_cb_parse_result mo_cb_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                                    struct mo_cb_snapshot *ret, char *reason, size_t reason_len);

/* Pure: the bound at monotonic-coarse moment mono_ns (nanoseconds):
 * bound_ns + max(0, mono - as_of) x max_drift_ppb / 1e9, rounded up; and the
 * status that moment has: UNKNOWN and DISRUPTED stay; SYNCHRONIZED and
 * FREE_RUNNING stay until as_of + MO_CB_GRACE_NS, are FREE_RUNNING until
 * void_after, UNKNOWN after. A status number outside the enum is UNKNOWN.
 * True when the bound is one to use (the status is SYNCHRONIZED or
 * FREE_RUNNING); false otherwise (*bound_ns is still set). */
bool mo_cb_bound_at(const struct mo_cb_snapshot *s, int64_t mono_ns, int64_t *bound_ns,
                    enum mo_cb_status *status);

/* The reader of one path. */
typedef struct mo_cb_reader mo_cb_reader;

enum mo_cb_state {
    MO_CB_GOOD,      /* a snapshot to use, fresh or the last good one within the rules */
    MO_CB_ABSENT,    /* no file at the path (or it cannot be opened: reason says) */
    MO_CB_BAD,       /* the file is not a segment this reader can use: reason says */
    MO_CB_STALE,     /* restarting (version 0) or as_of unmoved for MO_CB_STALE_NS,
                        or odd generations that long: no snapshot to trust */
};
/* "good", "absent", "bad", "stale" */
const char *mo_cb_state_name(enum mo_cb_state s);

int mo_cb_reader_new(mo_cb_reader **ret, const char *path); /* -ENOMEM; opens nothing yet */
void mo_cb_reader_free(mo_cb_reader *r);                   /* accepts NULL; unmaps */
const char *mo_cb_reader_path(const mo_cb_reader *r);

/* Reads the segment at monotonic-coarse time mono_ns. Re-checks the path
 * first (stat: gone -> unmapped, ABSENT; another inode, device or size ->
 * mapped again), maps a new file read-only and shared, then takes a copy by
 * the protocol: load version (0: keep the last snapshot, for MO_CB_STALE_NS
 * from the first 0 seen); load generation (odd: keep the last snapshot); copy
 * the whole header and data; load generation again: the copy counts only if
 * it is unchanged and even, and then it is parsed again in full (magic and
 * size re-checked on every copy). A snapshot whose as_of has not changed for
 * MO_CB_STALE_NS of polls is STALE, whatever its status (judged on each good
 * copy; a snapshot kept through version 0 or an update is STALE when its own
 * MO_CB_STALE_NS has run, or when it was already stale by as_of). A generation
 * that changed during the copy counts as an update in progress (no retry).
 * ABSENT and BAD forget the last snapshot; a replaced file keeps it. The
 * snapshot to use (GOOD only) is in *ret; reason (may be NULL) says why not
 * otherwise, and when GOOD on a kept snapshot ("restarting", "update in
 * progress"), else is "". Never blocks. */
enum mo_cb_state mo_cb_reader_poll(mo_cb_reader *r, int64_t mono_ns, struct mo_cb_snapshot *ret,
                                   char *reason, size_t reason_len);

/* CLOCK_MONOTONIC_COARSE in nanoseconds, the clock as_of is written on (a
 * vDSO read, no syscall). */
int64_t mo_cb_mono_coarse_ns(void);

/* For tests: called inside a poll between the first and the second load of
 * generation (after the copy), with the mapped segment (mapped read-only: a
 * test changes it through the file, e.g. with pwrite), so a test can change
 * it during a read. NULL: none. */
void mo_cb_test_during_copy(void (*hook)(volatile uint8_t *seg, void *ctx), void *ctx);

#endif
