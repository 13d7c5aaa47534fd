/* statefile.h - the resume-position file's encoding: entries to bytes and back.
 *
 * The state file keeps, per subscription, where the daemon stopped: (cache,
 * topic, sequence page, last sequence number received) (momento-subscriberd(8),
 * STATE FILE). This module only turns entries into bytes and bytes into
 * entries; reading and writing the file is state.h. Nothing here does I/O, logs
 * or keeps state.
 *
 * Format, version 1: ASCII lines, each ending in "\n":
 *
 *   momento-subscriber-state 1
 *   sub "prices" "eu" 1795403877 1234
 *   sub "caf\xc3\xa9" "a \"quoted\" name" 1795403877 77
 *   end 2 3a5e438c
 *
 * - The first line names the file and its format version; any other first
 *   line is a foreign file, another version is refused as such.
 * - One "sub" line per subscription: cache and topic in double quotes, every
 *   byte outside printable ASCII and every '"' and '\' written \xHH, \" or \\
 *   (so names of any bytes but NUL survive, and the file stays one line per
 *   entry); then page and last sequence number as plain decimal u64 (exact up
 *   to 2^64 - 1, no leading zeros).
 * - The "end" line gives the number of "sub" lines and the CRC-32 (the zlib /
 *   IEEE 802.3 one, 8 lowercase hex digits) of every byte before the end line.
 *   A file cut short anywhere lacks it or fails it; a damaged byte anywhere
 *   fails the checksum or the syntax. Nothing may follow it.
 *
 * A line format rather than JSON: u64 values stay exact (cJSON reads numbers
 * as doubles), an error has a line and column of its own, the decoder needs no
 * tree (its allocations are bounded by the input size, below), and the
 * checksum needs a byte range that JSON has no natural place for.
 *
 * Decoding is all or nothing: a file with any fault (truncated, damaged,
 * foreign, a duplicate entry, over a cap) yields an error and no entries,
 * because a half-written or altered file cannot be trusted for any entry.
 * The error says what is wrong and where: "NAME:LINE:COLUMN: what" (1-based,
 * columns in bytes), or "NAME: what" for the file as a whole.
 *
 * Caps: the file MO_STATEFILE_SIZE_MAX bytes (16 MiB), MO_STATEFILE_ENTRIES_MAX
 * entries (65536), names MO_STATEFILE_NAME_MAX bytes each after unescaping
 * (4096). The decoder allocates one block of the input's size for the names
 * and under 50 bytes per entry, so at most about 19 MiB whatever the input;
 * it checks a cap before it allocates past it. The encoder refuses input it
 * could not decode again.
 */
#ifndef MO_STATEFILE_H
#define MO_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#define MO_STATEFILE_MAGIC "momento-subscriber-state"
#define MO_STATEFILE_VERSION 1
#define MO_STATEFILE_SIZE_MAX (16u << 20) /* far above 65536 entries of real names */
#define MO_STATEFILE_ENTRIES_MAX 65536u
#define MO_STATEFILE_NAME_MAX 4096u
#define MO_STATEFILE_ERR_MAX 320 /* an error detail never needs more, path aside */

/* One subscription's position. On encode the strings are the caller's; in a
 * decoded struct mo_statefile they belong to it. Names are C strings: no NUL. */
struct mo_statefile_entry {
    const char *cache;
    const char *topic;
    uint64_t page; /* sequence_page of the last item (0: none known) */
    uint64_t last; /* topic_sequence_number of the last item received */
};

/* A decoded file: entries in file order, and a lookup by (cache, topic). */
typedef struct mo_statefile mo_statefile;

/* Encodes n entries into a new buffer (*ret_buf, *ret_len; the caller frees it
 * with free(); not NUL-terminated). Returns 0, or with a detail in err:
 * -EINVAL (two entries for one cache and topic, or a NULL name),
 * -ENAMETOOLONG (a name over MO_STATEFILE_NAME_MAX), -EFBIG (more than
 * MO_STATEFILE_ENTRIES_MAX entries, or a result over MO_STATEFILE_SIZE_MAX),
 * -ENOMEM. err may be NULL. */
int mo_statefile_encode(const struct mo_statefile_entry *v, size_t n, char **ret_buf,
                        size_t *ret_len, char *err, size_t err_len);

/* Decodes len bytes (need not be NUL-terminated). `name` (the path, for
 * messages) starts every error detail. Returns 0 with *ret (free it with
 * mo_statefile_free), or, *ret untouched and a detail in err:
 * -EBADMSG (empty, truncated, damaged, foreign, duplicate entries),
 * -EPROTONOSUPPORT (a state file of another format version),
 * -EFBIG (over MO_STATEFILE_SIZE_MAX bytes or MO_STATEFILE_ENTRIES_MAX entries),
 * -ENOMEM. err may be NULL. */
int mo_statefile_decode(const char *buf, size_t len, const char *name, mo_statefile **ret,
                        char *err, size_t err_len);

/* Frees a decoded file. Accepts NULL. */
void mo_statefile_free(mo_statefile *sf);

/* The entries in file order, and how many. These three accept NULL (no file:
 * no entries), so a caller without a loaded file needs no special case. */
const struct mo_statefile_entry *mo_statefile_entries(const mo_statefile *sf);
size_t mo_statefile_count(const mo_statefile *sf);

/* The entry for (cache, topic), or NULL. O(log n). */
const struct mo_statefile_entry *mo_statefile_find(const mo_statefile *sf, const char *cache,
                                                   const char *topic);

/* CRC-32 (reflected polynomial 0xedb88320, as zlib's crc32()) of len bytes,
 * continuing from crc (0 to start). */
uint32_t mo_statefile_crc32(uint32_t crc, const void *buf, size_t len);

#endif
