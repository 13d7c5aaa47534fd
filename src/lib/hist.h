/* hist.h - latency histogram: log-linear buckets, at most 1% relative error.
 *
 * Values are signed microseconds. 0..255 have a bucket each; above that every
 * power of two is split into 128 equal buckets, so a bucket is never wider than
 * 1/128 of its lower bound (0.78%). Negative values (clock skew) go into a mirror
 * image of the same buckets, so they are kept and ranked, never clamped.
 * Buckets are allocated per power of two, on first use.
 *
 * Bucket index b (for |v|): b = v for v < 256; otherwise with m = floor(log2 v) - 7,
 * b = 256 + (m - 1) * 128 + (v >> m) - 128. The bucket holds [lo, lo + 2^m).
 */
#ifndef MO_HIST_H
#define MO_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_HIST_LINEAR 256
#define MO_HIST_SUB 128
#define MO_HIST_OCTAVES 56 /* covers |v| < 2^63 */
#define MO_HIST_BUCKETS (MO_HIST_LINEAR + MO_HIST_OCTAVES * MO_HIST_SUB)

typedef struct mo_hist mo_hist;

int mo_hist_new(mo_hist **ret);
void mo_hist_free(mo_hist *h);
void mo_hist_reset(mo_hist *h);

void mo_hist_record(mo_hist *h, int64_t v);
/* Adds `count` values in the bucket of `v` (for rebuilding from an encoding). */
void mo_hist_record_n(mo_hist *h, int64_t v, uint64_t count);
/* Adds every value of `src` to `dst`. */
void mo_hist_merge(mo_hist *dst, const mo_hist *src);

uint64_t mo_hist_count(const mo_hist *h);
uint64_t mo_hist_negative(const mo_hist *h);
int64_t mo_hist_min(const mo_hist *h); /* exact; 0 when empty */
int64_t mo_hist_max(const mo_hist *h); /* exact; 0 when empty */
/* The sum of the values recorded: exact for mo_hist_record, the bucket's
 * middle times the count for a decoded histogram; held at INT64_MIN or
 * INT64_MAX rather than wrap. */
int64_t mo_hist_sum(const mo_hist *h);
/* The value at rank ceil(q * count) (q in [0,1]), reported as the middle of its
 * bucket and clamped to [min, max]; 0 when empty. */
int64_t mo_hist_quantile(const mo_hist *h, double q);

/* Bucket arithmetic, exposed for encoders and tests. */
size_t mo_hist_bucket(uint64_t v);
uint64_t mo_hist_bucket_low(size_t b);
uint64_t mo_hist_bucket_width(size_t b);

/* Calls fn for every non-empty bucket, negative buckets first (most negative
 * first), then the positive ones in ascending order. `negative` tells the side.
 * Stops early when fn returns false. */
void mo_hist_foreach(const mo_hist *h, bool (*fn)(bool negative, size_t bucket, uint64_t count, void *ud),
                     void *ud);

/* Compact text encoding, used by the daemon's summary events and read back by
 * momento-latency-report:
 *
 *   "h1" followed by one ",DELTA:COUNT" per non-empty bucket, in ascending order
 *   of value. A bucket's key is its index b for values >= 0 and -(b+1) for
 *   negative values (b indexes the magnitude). DELTA is the key minus the
 *   previous key (the first is relative to 0, so it may be negative; the rest
 *   are positive). Example: "h1,-3:1,1003:12,1:40" holds one value in
 *   (-3, -2], twelve in bucket 1000 and forty in bucket 1001.
 *
 * Exact min and max are not part of it (summaries carry them as fields). */
int mo_hist_encode(const mo_hist *h, char *buf, size_t len); /* length, or -1 if it did not fit */
/* Adds the encoded counts to h (each at its bucket's middle). Returns 0, or
 * -EINVAL for a malformed string. */
int mo_hist_decode(mo_hist *h, const char *s);
/* The middle of a bucket key's range, as mo_hist_quantile reports it. */
int64_t mo_hist_key_value(int64_t key);
/* The bucket key of a value (the inverse of mo_hist_key_value, up to the bucket). */
int64_t mo_hist_key(int64_t v);
/* A histogram rebuilt by mo_hist_decode knows its min and max only to the
 * bucket; this sets the exact ones (a summary's min_us and max_us), which
 * mo_hist_quantile clamps to and mo_hist_merge carries on. Returns -EINVAL,
 * changing nothing, when h is empty, min > max, or min (max) is not in the
 * first (last) non-empty bucket. */
int mo_hist_set_range(mo_hist *h, int64_t min, int64_t max);

#endif
