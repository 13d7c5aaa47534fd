/* topic.h - caches and topics: sequence numbers, pages and the replay ring.
 *
 * A topic numbers its messages 1, 2, 3... within a page. The page is a
 * non-zero number that only grows: it starts at the current Unix time in
 * seconds (so a restarted server shows a larger page) and a reset moves it to
 * max(old + 1, now) with numbering from 1 again.
 *
 * Every published message is encoded once, as a complete _SubscriptionItem,
 * into a refcounted slice kept in the topic's ring; every stream sends that
 * same slice. The ring is indexed by a position that counts every entry the
 * topic ever appended (never reset), and holds the last max(replay, 1024)
 * entries; a stream is only a cursor (the next position to send) into it.
 * Entries are items, lost messages (fault injection: a _Discontinuity in the
 * item's place) and page resets (a _Discontinuity carrying the new page), so
 * a stream that walks the ring sees exactly what a live subscriber should.
 * A stream whose cursor fell out of the ring (it was too slow) jumps to the
 * oldest entry after a _Discontinuity (tl_topic_catch_up): memory never grows
 * with a slow subscriber.
 *
 * Resume rules (the request's resume_at N and sequence_page P), see
 * tl_topic_resume() and momento-topics-local(1). With a replay window
 * (--replay-window), entries older than the window are gone for resumes and
 * for slow streams alike, as if they had left the ring.
 *
 * Discontinuities are computed in the proto's reading of new_topic_sequence
 * (the last number accounted for: items resume after it) everywhere in this
 * module and in tl_start; tl_store_discontinuity() encodes them in the reading
 * the server was asked for (--discontinuity-seq), so that only the bytes on
 * the wire differ between the two readings.
 */
#ifndef TL_TOPIC_H
#define TL_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/slice.h>

#include "wire.h"

/* Entries kept per topic beyond --replay, so that slow streams can lag behind. */
#define TL_RING_MIN 1024

typedef struct tl_store tl_store;
typedef struct tl_cache tl_cache;
typedef struct tl_topic tl_topic;

/* The two readings of _Discontinuity.new_topic_sequence (src/proto/README.md §6.2). */
enum tl_disc_reading {
    TL_DISC_AFTER, /* the proto's: the next item is new_topic_sequence + 1 */
    TL_DISC_AT,    /* the HTTP API reference's: the next item is new_topic_sequence */
};

struct tl_store_opts {
    const char *const *caches; /* the only caches that exist; NULL: every cache exists */
    size_t n_caches;
    uint64_t replay;           /* entries kept for resume */
    uint64_t window_us;        /* and only those younger than this; 0 = no time limit */
    enum tl_disc_reading reading;
    bool announce_page;        /* a subscribe without a known page is told the page first */
    const char *publisher_id;  /* put in every item; NULL or "" for none */
    uint64_t drop_every;       /* fault: every Nth message of a topic is lost; 0 = off */
    uint64_t reset_after;      /* fault: a page holds at most N messages; 0 = off */
};

/* (The discontinuities below are in the proto's reading; see above.) */
enum tl_entry_kind {
    TL_ENTRY_ITEM,  /* a published message: seq and page are its own */
    TL_ENTRY_DROP,  /* message `seq` was lost: msg is _Discontinuity{seq-1, seq, page} */
    TL_ENTRY_RESET, /* the topic moved to `page`: msg is _Discontinuity{old last, 0, page} */
};

struct tl_entry {
    grpc_slice msg; /* the encoded _SubscriptionItem; the ring owns one ref */
    enum tl_entry_kind kind;
    uint64_t page;
    uint64_t seq;   /* 0 for TL_ENTRY_RESET */
    uint64_t at_us; /* monotonic time it was appended, for the replay window */
};

/* Where a stream starts, or restarts after falling behind: first a
 * _Discontinuity{last, new_seq, page} when `disc` (new_seq in the proto's
 * reading: the last sequence number it accounts for), then the ring from
 * `pos`. */
struct tl_start {
    uint64_t pos;
    bool disc;
    uint64_t last, new_seq, page;
};

/* What a publish did. */
struct tl_published {
    uint64_t seq, page;
    bool dropped;       /* lost by --fault-drop-every */
    uint64_t new_page;  /* non-zero when --fault-reset-after moved the topic to a new page */
};

/* Told after every append; embedded in the stream that watches. */
struct tl_watcher {
    void (*fn)(struct tl_watcher *w);
    struct tl_watcher *prev, *next;
};

int tl_store_new(const struct tl_store_opts *opts, tl_store **ret);
/* Frees every cache and topic; watchers must be gone. Accepts NULL. */
void tl_store_free(tl_store *s);
/* The _SubscriptionItem for the discontinuity `d` (last, new_seq, page), with
 * new_topic_sequence in the store's reading. The caller owns one ref. */
grpc_slice tl_store_discontinuity(const tl_store *s, const struct tl_start *d);

/* The cache called `name`, created on first use; NULL when it does not exist
 * (not in the store's list) or on ENOMEM (then errno is set). */
tl_cache *tl_store_cache(tl_store *s, struct tl_str name);
/* The cache called `name` if it exists now (none is made), else NULL. */
tl_cache *tl_store_find(tl_store *s, struct tl_str name);
/* CreateCache: 0, -EEXIST when it exists already, -ENOMEM. */
int tl_store_create(tl_store *s, struct tl_str name);
/* DeleteCache: the cache no longer exists (without --caches, a later use
 * makes a new, empty one of the same name). Its memory stays until
 * tl_store_free, as streams that were on it may still point at it; the
 * caller ends those first. */
void tl_store_remove(tl_store *s, tl_cache *c);
/* The caches that exist, in name order: a new array of *n (caller frees), or
 * NULL on ENOMEM. */
const tl_cache **tl_store_list(const tl_store *s, size_t *n);
/* --topic-limits' publish rate: true when the cache may take one more
 * publish at monotonic time now_us, `rate` a second (0: no limit). */
bool tl_cache_take_publish(tl_cache *c, uint64_t rate, uint64_t now_us);
const char *tl_cache_name(const tl_cache *c);
/* Open Subscribe streams on the cache (--max-subscribers is per cache). */
size_t tl_cache_subscribers(const tl_cache *c);
void tl_cache_add_subscribers(tl_cache *c, int delta);

/* The topic, created on first use (NULL on ENOMEM). */
tl_topic *tl_cache_topic(tl_cache *c, struct tl_str name);
const char *tl_topic_name(const tl_topic *t);
uint64_t tl_topic_page(const tl_topic *t);
/* The newest sequence number of the current page (0: none yet). */
uint64_t tl_topic_latest(const tl_topic *t);

/* Appends a message (encoded once), then tells every watcher. */
int tl_topic_publish(tl_topic *t, bool binary, const uint8_t *value, size_t len,
                     struct tl_published *ret);
/* The same, the item carrying publisher_id (pid_len bytes; 0: none) instead
 * of the store's (--publisher-id-from-token). */
int tl_topic_publish_as(tl_topic *t, bool binary, const uint8_t *value, size_t len,
                        const char *pid, size_t pid_len, struct tl_published *ret);

/* Ring positions: entries [oldest, end) are kept; entry() is valid for those. */
uint64_t tl_topic_end(const tl_topic *t);
uint64_t tl_topic_oldest(const tl_topic *t);
const struct tl_entry *tl_topic_entry(const tl_topic *t, uint64_t pos);
/* True when a stream whose cursor is at `pos` (< end) fell behind: the entry
 * left the ring, or is older than the replay window. The window is measured
 * on mo_mono_us(), here and in the two functions below. */
bool tl_topic_gone(const tl_topic *t, uint64_t pos);

/* Where a Subscribe with resume_at `seq` and sequence_page `page` starts. */
void tl_topic_resume(const tl_topic *t, uint64_t seq, uint64_t page, struct tl_start *ret);
/* Where a stream that fell behind (tl_topic_gone) continues; `last` is the
 * last sequence number it delivered (or was told about). */
void tl_topic_catch_up(const tl_topic *t, uint64_t last, struct tl_start *ret);

void tl_topic_watch(tl_topic *t, struct tl_watcher *w);
void tl_topic_unwatch(tl_topic *t, struct tl_watcher *w);

#endif
