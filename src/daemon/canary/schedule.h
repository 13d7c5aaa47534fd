/* schedule.h - pure: the canary's open-loop schedule.
 *
 * Probe k of a schedule is due at t0 + (k - first) / rate, whatever happened
 * to the probes before it: a stalled loop or a slow publish never moves a
 * later probe. The rate is kept in probes per 1000 s, so the moment of every
 * probe is exact in integers and never drifts. A new rate (a reload) starts
 * a new schedule at the next probe, from the moment it is given; the numbers
 * go on.
 *
 *   mo_sched_start    the first probe due now
 *   mo_sched_rebase   a new rate from now, the numbering going on
 *   mo_sched_due      when probe k is due
 *   mo_sched_take     the next probe due by now, if any, and how late it is
 */
#ifndef MO_SCHEDULE_H
#define MO_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct mo_sched {
    bool started;
    uint64_t rate_milli; /* probes per 1000 s, > 0 */
    uint64_t t0_us;      /* when probe `first` is due */
    uint64_t first;      /* the first probe of this schedule */
    uint64_t next;       /* the next probe to take */
};

/* Not started yet, with its rate; probes are numbered from 1. */
void mo_sched_init(struct mo_sched *s, uint64_t rate_milli);
/* Probe `next` is due at now_us. */
void mo_sched_start(struct mo_sched *s, uint64_t now_us);
/* From now on at rate_milli, the next probe due at now_us; a schedule not
 * started only takes the rate. */
void mo_sched_rebase(struct mo_sched *s, uint64_t rate_milli, uint64_t now_us);
/* When probe k (>= s->first) is due, monotonic microseconds. */
uint64_t mo_sched_due(const struct mo_sched *s, uint64_t k);
/* True, with the probe's number and due moment, when the next probe is due
 * at or before now_us (and it is taken); false when none is, or the schedule
 * has not started. */
bool mo_sched_take(struct mo_sched *s, uint64_t now_us, uint64_t *ret_seq, uint64_t *ret_due_us);
/* When the next probe is due (the schedule has started). */
static inline uint64_t mo_sched_next_due(const struct mo_sched *s) { return mo_sched_due(s, s->next); }

#endif
