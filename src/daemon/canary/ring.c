/* ring.c - the canary's probes in flight (ring.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canary/ring.h"

#define LOST_BITS_MIN 1024

size_t mo_ring_cap_for(uint64_t rate_milli, uint64_t deadline_us)
{
    /* rate x deadline = rate_milli x deadline_us / 10^9, rounded up */
    uint64_t q = deadline_us / 1000000, r = deadline_us % 1000000;
    uint64_t milli = rate_milli * q + (rate_milli * r + 999999) / 1000000; /* probes x 1000 */
    return (size_t)((milli + 999) / 1000) + 2;
}

static size_t lost_bits_for(size_t cap)
{
    size_t bits = 8 * cap < LOST_BITS_MIN ? LOST_BITS_MIN : 8 * cap;
    return (bits + 63) / 64 * 64;
}

int mo_ring_init(struct mo_ring *r, size_t cap, uint64_t first)
{
    *r = (struct mo_ring){.cap = cap ? cap : 1, .base = first, .first = first, .known_from = first};
    r->lost_bits = lost_bits_for(r->cap);
    r->v = calloc(r->cap, sizeof *r->v);
    r->lost = calloc(r->lost_bits / 64, sizeof *r->lost);
    if (!r->v || !r->lost) {
        mo_ring_free(r);
        return -ENOMEM;
    }
    return 0;
}

void mo_ring_free(struct mo_ring *r)
{
    free(r->v);
    free(r->lost);
    r->v = NULL;
    r->lost = NULL;
    r->cap = r->n = 0;
}

static struct mo_ring_slot *at(const struct mo_ring *r, size_t i) { return &r->v[(r->head + i) % r->cap]; }

static bool lost_get(const struct mo_ring *r, uint64_t seq)
{
    size_t b = (size_t)(seq % r->lost_bits);
    return r->lost[b / 64] >> (b % 64) & 1;
}

static void lost_set(struct mo_ring *r, uint64_t seq, bool lost)
{
    size_t b = (size_t)(seq % r->lost_bits);
    uint64_t bit = UINT64_C(1) << (b % 64);
    r->lost[b / 64] = lost ? r->lost[b / 64] | bit : r->lost[b / 64] & ~bit;
}

int mo_ring_resize(struct mo_ring *r, size_t cap)
{
    if (cap < r->n)
        cap = r->n;
    if (cap == 0)
        cap = 1;
    size_t bits = lost_bits_for(cap);
    struct mo_ring_slot *v = calloc(cap, sizeof *v);
    uint64_t *lost = calloc(bits / 64, sizeof *lost);
    if (!v || !lost) {
        free(v);
        free(lost);
        return -ENOMEM;
    }
    for (size_t i = 0; i < r->n; i++)
        v[i] = *at(r, i);
    /* the memory below the ring, as far as both reach */
    size_t keep = bits < r->lost_bits ? bits : r->lost_bits;
    for (size_t i = 1; i <= keep && i <= r->base; i++) {
        uint64_t seq = r->base - i;
        if (lost_get(r, seq)) {
            size_t b = (size_t)(seq % bits);
            lost[b / 64] |= UINT64_C(1) << (b % 64);
        }
    }
    /* a longer memory has no verdict for the numbers the shorter one forgot */
    if (r->base > keep && r->base - keep > r->known_from)
        r->known_from = r->base - keep;
    free(r->v);
    free(r->lost);
    r->v = v;
    r->lost = lost;
    r->cap = cap;
    r->head = 0;
    r->lost_bits = bits;
    return 0;
}

int mo_ring_push(struct mo_ring *r, uint64_t seq, uint64_t scheduled_us, uint64_t due_us)
{
    if (seq != r->base + r->n)
        return -EINVAL;
    if (r->n == r->cap)
        return -ENOSPC;
    *at(r, r->n++) = (struct mo_ring_slot){.scheduled_us = scheduled_us, .due_us = due_us, .state = MO_RING_OUT};
    r->in_flight++;
    return 0;
}

struct mo_ring_slot *mo_ring_find(struct mo_ring *r, uint64_t seq)
{
    if (seq < r->base || seq - r->base >= r->n)
        return NULL;
    return at(r, (size_t)(seq - r->base));
}

/* The front leaves: received (its memory: not lost) or lost. */
static void pop(struct mo_ring *r, bool lost)
{
    lost_set(r, r->base, lost);
    r->head = (r->head + 1) % r->cap;
    r->base++;
    r->n--;
}

enum mo_ring_verdict mo_ring_receive(struct mo_ring *r, uint64_t seq, struct mo_ring_slot *ret)
{
    if (seq >= r->base + r->n || seq < r->first)
        return MO_RING_NOT_SENT;
    if (seq < r->base) {
        if (r->base - seq > r->lost_bits || seq < r->known_from)
            return MO_RING_TOO_OLD;
        if (!lost_get(r, seq))
            return MO_RING_DUPLICATE;
        lost_set(r, seq, false); /* a further copy is a duplicate */
        return MO_RING_AFTER_DEADLINE;
    }
    struct mo_ring_slot *s = at(r, (size_t)(seq - r->base));
    if (s->state != MO_RING_OUT)
        return MO_RING_DUPLICATE;
    if (ret)
        *ret = *s;
    s->state = MO_RING_IN;
    r->in_flight--;
    while (r->n && at(r, 0)->state == MO_RING_IN)
        pop(r, false);
    return MO_RING_RECEIVED;
}

bool mo_ring_expire(struct mo_ring *r, uint64_t now_us, uint64_t *ret_seq, struct mo_ring_slot *ret)
{
    while (r->n && at(r, 0)->state == MO_RING_IN) /* not left yet only if a resize kept it */
        pop(r, false);
    if (!r->n || at(r, 0)->due_us > now_us)
        return false;
    *ret_seq = r->base;
    if (ret)
        *ret = *at(r, 0);
    r->in_flight--;
    pop(r, true);
    while (r->n && at(r, 0)->state == MO_RING_IN)
        pop(r, false);
    return true;
}

void mo_ring_set_deadline(struct mo_ring *r, uint64_t deadline_us)
{
    for (size_t i = 0; i < r->n; i++) {
        struct mo_ring_slot *s = at(r, i);
        s->due_us = s->scheduled_us + deadline_us;
    }
}
