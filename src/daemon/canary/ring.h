/* ring.h - pure: the canary's probes in flight, in one fixed ring.
 *
 * Probes enter in number order (each the one after the last) and leave from
 * the front: received, or lost once their deadline has passed. The ring holds
 * the span from the oldest probe still in flight to the newest sent; a probe
 * received while older ones are still out waits, marked, until they leave.
 * Its size is fixed by the rate and the deadline (mo_ring_cap_for): at most
 * rate x deadline probes can be in flight, since every one of them is lost
 * by then. Below the ring a bitmap remembers, for the probes that left, which
 * were lost, so a late arrival is told apart from a second copy: a lost
 * probe that arrives after all stays lost and is `after_deadline`, once; any
 * further copy is a duplicate. A probe older than that memory is `too old`.
 * Nothing allocates after mo_ring_init (or mo_ring_resize).
 *
 *   mo_ring_cap_for     the size a rate and a deadline need
 *   mo_ring_init / _free / _resize
 *   mo_ring_push        a probe sent
 *   mo_ring_find        the probe in flight (to mark its publish's outcome)
 *   mo_ring_receive     a probe arrived: the verdict, counted once
 *   mo_ring_expire      the next probe whose deadline has passed, if any
 *   mo_ring_set_deadline  a new deadline for the probes in flight
 */
#ifndef MO_RING_H
#define MO_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mo_ring_state { MO_RING_OUT = 1, MO_RING_IN = 2 };

/* flags of a probe in flight: what its publish call said */
#define MO_RING_PUBLISHED 1u /* the service accepted it */
#define MO_RING_FAILED 2u    /* the publish failed: it will not arrive (or may, if the service took it) */
#define MO_RING_SKIPPED 4u   /* never published: the loop reached it only after its deadline */

struct mo_ring_slot {
    uint64_t scheduled_us; /* when it was due to leave (monotonic) */
    uint64_t due_us;       /* scheduled + deadline: lost if not received by then */
    uint8_t state;         /* enum mo_ring_state */
    uint8_t flags;
};

enum mo_ring_verdict {
    MO_RING_RECEIVED,       /* in flight until now: received, once */
    MO_RING_DUPLICATE,      /* received before (or arrived late before) */
    MO_RING_AFTER_DEADLINE, /* lost at its deadline, arrived now: stays lost */
    MO_RING_TOO_OLD,        /* left the ring longer ago than its memory */
    MO_RING_NOT_SENT,       /* a number this ring never sent */
};

struct mo_ring {
    struct mo_ring_slot *v;
    size_t cap;
    size_t head;   /* index of the front */
    size_t n;      /* probes from the front to the newest */
    uint64_t base; /* the front's number; the next to push is base + n */
    uint64_t *lost; /* lost_bits bits over the numbers below base: lost, not arrived since */
    size_t lost_bits;
    uint64_t first;      /* the first number pushed: those below were never sent */
    uint64_t known_from; /* the memory knows nothing below this (a resize that grew it) */
    uint64_t in_flight; /* probes OUT */
};

/* Room for every probe that can be in flight at rate_milli probes per
 * 1000 s with this deadline: ceil(rate x deadline) and two more (the one
 * sent the moment the oldest expires, and a rounding). */
size_t mo_ring_cap_for(uint64_t rate_milli, uint64_t deadline_us);
/* An empty ring of cap slots, whose first probe is number `first`. -ENOMEM. */
int mo_ring_init(struct mo_ring *r, size_t cap, uint64_t first);
void mo_ring_free(struct mo_ring *r);
/* The same probes in a ring of max(cap, r->n) slots (a reload); -ENOMEM
 * changes nothing. */
int mo_ring_resize(struct mo_ring *r, size_t cap);
/* Probe base + n sent, due by due_us: 0, or -ENOSPC when the ring is full
 * (expire the front first), -EINVAL for another number. */
int mo_ring_push(struct mo_ring *r, uint64_t seq, uint64_t scheduled_us, uint64_t due_us);
/* The slot of probe seq while it is in the ring, else NULL. */
struct mo_ring_slot *mo_ring_find(struct mo_ring *r, uint64_t seq);
/* Probe seq arrived: its verdict; on MO_RING_RECEIVED *ret is its slot as it
 * was (ret may be NULL). */
enum mo_ring_verdict mo_ring_receive(struct mo_ring *r, uint64_t seq, struct mo_ring_slot *ret);
/* True with the number and slot of the front probe when it is in flight and
 * due by now_us: it is lost, and leaves the ring. Call until false. */
bool mo_ring_expire(struct mo_ring *r, uint64_t now_us, uint64_t *ret_seq, struct mo_ring_slot *ret);
/* Probes in flight are due deadline_us after their scheduled moment. */
void mo_ring_set_deadline(struct mo_ring *r, uint64_t deadline_us);
/* The next number to push. */
static inline uint64_t mo_ring_next(const struct mo_ring *r) { return r->base + r->n; }

#endif
