/* Unit tests for the canary's probes in flight: the size a rate and a
 * deadline need; pushes only in number order and only while there is room;
 * every verdict of a receipt (received, duplicate, after the deadline once,
 * too old, never sent); the front kept until older probes leave; expiry of
 * exactly the due front probes; resizes and new deadlines that change no
 * verdict; and a randomized run against a plain reference model, checking
 * sent = received + lost + in flight at every step. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "canary/ring.h"
#include "test.h"

#define S 1000000ull /* µs */

static void test_cap_for(void)
{
    /* ceil(rate x deadline) + 2 */
    TEST_EQ_INT(mo_ring_cap_for(1000, 5 * S), 7);        /* 1/s, 5 s */
    TEST_EQ_INT(mo_ring_cap_for(100000, 5 * S), 502);    /* 100/s, 5 s */
    TEST_EQ_INT(mo_ring_cap_for(100, 100000), 3);        /* 0.1/s, 100 ms: 0.01 rounds up to 1 */
    TEST_EQ_INT(mo_ring_cap_for(100000, 60 * S), 6002);  /* 100/s, 60 s */
    TEST_EQ_INT(mo_ring_cap_for(1000, 1500000), 4);      /* 1.5 rounds up */
    TEST_EQ_INT(mo_ring_cap_for(3000, S), 5);            /* 3/s, 1 s: exactly 3 */
    TEST_EQ_INT(mo_ring_cap_for(3000, S + 1), 6);        /* a microsecond more: 3.000003 */
    TEST_EQ_INT(mo_ring_cap_for(1000, 1), 3);            /* the smallest part of a probe */
    TEST_EQ_INT(mo_ring_cap_for(1000, 0), 2);
    TEST_EQ_INT(mo_ring_cap_for(1, 1000 * S), 3);        /* 1 per 10^6 s, 1000 s: 0.001 */
    TEST_EQ_INT(mo_ring_cap_for(100000, 3600 * S), 360002);
}

static void test_push(void)
{
    struct mo_ring r;
    TEST_EQ_INT(mo_ring_init(&r, 3, 1), 0);
    TEST_EQ_INT(mo_ring_next(&r), 1);
    TEST_EQ_INT(mo_ring_push(&r, 2, 0, 10), -EINVAL); /* not the next number */
    TEST_EQ_INT(mo_ring_push(&r, 0, 0, 10), -EINVAL);
    TEST_EQ_INT(r.n, 0);
    TEST_EQ_INT(r.in_flight, 0);
    TEST_EQ_INT(mo_ring_push(&r, 1, 0, 10), 0);
    TEST_EQ_INT(mo_ring_push(&r, 1, 0, 10), -EINVAL); /* twice */
    TEST_EQ_INT(mo_ring_push(&r, 2, 1, 11), 0);
    TEST_EQ_INT(mo_ring_push(&r, 3, 2, 12), 0);
    TEST_EQ_INT(mo_ring_push(&r, 4, 3, 13), -ENOSPC); /* full */
    TEST_EQ_INT(mo_ring_push(&r, 5, 3, 13), -EINVAL); /* the number is checked first */
    TEST_EQ_INT(r.n, 3);
    TEST_EQ_INT(r.in_flight, 3);
    TEST_EQ_INT(mo_ring_next(&r), 4);
    /* a received probe at the front leaves: room again */
    TEST_EQ_INT(mo_ring_receive(&r, 1, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_push(&r, 4, 3, 13), 0);
    TEST_EQ_INT(mo_ring_push(&r, 5, 4, 14), -ENOSPC);
    /* a received probe behind the front does not make room */
    TEST_EQ_INT(mo_ring_receive(&r, 3, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_push(&r, 5, 4, 14), -ENOSPC);
    /* an expired front does */
    uint64_t seq;
    TEST_CHECK(mo_ring_expire(&r, 11, &seq, NULL));
    TEST_EQ_INT(seq, 2);
    TEST_EQ_INT(r.n, 1); /* 3 received leaves with it */
    TEST_EQ_INT(mo_ring_push(&r, 5, 4, 14), 0);
    TEST_EQ_INT(mo_ring_push(&r, 6, 5, 15), 0);
    TEST_EQ_INT(mo_ring_push(&r, 7, 6, 16), -ENOSPC);
    TEST_EQ_INT(r.in_flight, 3);
    /* find: the slots in the ring, nothing outside it */
    TEST_CHECK(mo_ring_find(&r, 3) == NULL);
    TEST_CHECK(mo_ring_find(&r, 7) == NULL);
    TEST_CHECK(mo_ring_find(&r, 4) != NULL && mo_ring_find(&r, 4)->scheduled_us == 3);
    TEST_CHECK(mo_ring_find(&r, 6) != NULL && mo_ring_find(&r, 6)->due_us == 15);
    mo_ring_free(&r);

    /* a ring of 0 slots still has one; numbering from another first */
    TEST_EQ_INT(mo_ring_init(&r, 0, 1000), 0);
    TEST_EQ_INT(r.cap, 1);
    TEST_EQ_INT(mo_ring_push(&r, 1, 0, 1), -EINVAL);
    TEST_EQ_INT(mo_ring_push(&r, 1000, 0, 1), 0);
    TEST_EQ_INT(mo_ring_push(&r, 1001, 0, 1), -ENOSPC);
    mo_ring_free(&r);
}

static void test_verdicts(void)
{
    struct mo_ring r;
    struct mo_ring_slot slot;
    uint64_t seq;
    TEST_EQ_INT(mo_ring_init(&r, 8, 100), 0);
    for (uint64_t k = 100; k < 105; k++)
        TEST_EQ_INT(mo_ring_push(&r, k, k * 10, k * 10 + 50), 0);
    mo_ring_find(&r, 101)->flags |= MO_RING_PUBLISHED;
    /* received: once, with the slot as it was */
    memset(&slot, 0xff, sizeof slot);
    TEST_EQ_INT(mo_ring_receive(&r, 101, &slot), MO_RING_RECEIVED);
    TEST_EQ_INT(slot.scheduled_us, 1010);
    TEST_EQ_INT(slot.due_us, 1060);
    TEST_EQ_INT(slot.state, MO_RING_OUT);
    TEST_EQ_INT(slot.flags, MO_RING_PUBLISHED);
    TEST_EQ_INT(r.in_flight, 4);
    /* a second copy while older ones are out: a duplicate, and nothing moves */
    memset(&slot, 0xee, sizeof slot);
    TEST_EQ_INT(mo_ring_receive(&r, 101, &slot), MO_RING_DUPLICATE);
    TEST_EQ_INT(slot.scheduled_us, 0xeeeeeeeeeeeeeeeeull); /* untouched */
    TEST_EQ_INT(r.in_flight, 4);
    TEST_EQ_INT(r.base, 100);
    TEST_EQ_INT(r.n, 5);
    /* never sent: the next number and beyond, and numbers below the first */
    TEST_EQ_INT(mo_ring_receive(&r, 105, NULL), MO_RING_NOT_SENT);
    TEST_EQ_INT(mo_ring_receive(&r, UINT64_MAX, NULL), MO_RING_NOT_SENT);
    TEST_EQ_INT(mo_ring_receive(&r, 99, NULL), MO_RING_NOT_SENT);
    TEST_EQ_INT(mo_ring_receive(&r, 1, NULL), MO_RING_NOT_SENT);
    TEST_EQ_INT(mo_ring_receive(&r, 0, NULL), MO_RING_NOT_SENT);
    TEST_EQ_INT(r.in_flight, 4);
    /* 100 expires; 101 (received) leaves behind it */
    TEST_CHECK(mo_ring_expire(&r, 1050, &seq, &slot));
    TEST_EQ_INT(seq, 100);
    TEST_EQ_INT(slot.scheduled_us, 1000);
    TEST_EQ_INT(r.base, 102);
    TEST_EQ_INT(r.in_flight, 3);
    /* a lost probe arriving: after the deadline, once; then a duplicate */
    TEST_EQ_INT(mo_ring_receive(&r, 100, NULL), MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(mo_ring_receive(&r, 100, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, 100, NULL), MO_RING_DUPLICATE);
    /* a received probe that left: a duplicate */
    TEST_EQ_INT(mo_ring_receive(&r, 101, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(r.in_flight, 3);
    /* still never sent below the first after the front moved on */
    TEST_EQ_INT(mo_ring_receive(&r, 99, NULL), MO_RING_NOT_SENT);
    mo_ring_free(&r);

    /* too old: past the memory below the ring */
    TEST_EQ_INT(mo_ring_init(&r, 4, 1), 0);
    TEST_CHECK(r.lost_bits >= r.cap);
    uint64_t total = r.lost_bits + 10;
    for (uint64_t k = 1; k <= total; k++) {
        TEST_EQ_INT(mo_ring_push(&r, k, k, k), 0);
        if (k % 2) {
            TEST_CHECK(mo_ring_expire(&r, k, &seq, NULL));
            TEST_EQ_INT(seq, k);
        } else {
            TEST_EQ_INT(mo_ring_receive(&r, k, NULL), MO_RING_RECEIVED);
        }
    }
    TEST_EQ_INT(r.base, total + 1);
    TEST_EQ_INT(r.n, 0);
    TEST_EQ_INT(r.in_flight, 0);
    const uint64_t oldest = total + 1 - r.lost_bits; /* the oldest number remembered */
    TEST_EQ_INT(mo_ring_receive(&r, oldest - 1, NULL), MO_RING_TOO_OLD);
    TEST_EQ_INT(mo_ring_receive(&r, 1, NULL), MO_RING_TOO_OLD);
    TEST_EQ_INT(mo_ring_receive(&r, 2, NULL), MO_RING_TOO_OLD);
    TEST_EQ_INT(mo_ring_receive(&r, oldest, NULL), oldest % 2 ? MO_RING_AFTER_DEADLINE : MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, oldest, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, total, NULL), total % 2 ? MO_RING_AFTER_DEADLINE : MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, total - 1, NULL), (total - 1) % 2 ? MO_RING_AFTER_DEADLINE : MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, total - 1, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, total + 1, NULL), MO_RING_NOT_SENT);
    mo_ring_free(&r);
}

/* Received out of order: the front stays until the older ones leave. */
static void test_out_of_order(void)
{
    struct mo_ring r;
    uint64_t seq;
    TEST_EQ_INT(mo_ring_init(&r, 8, 1), 0);
    for (uint64_t k = 1; k <= 6; k++)
        TEST_EQ_INT(mo_ring_push(&r, k, k * 100, k * 100 + 1000), 0);
    TEST_EQ_INT(mo_ring_receive(&r, 3, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_receive(&r, 5, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(r.base, 1);
    TEST_EQ_INT(r.n, 6);
    TEST_EQ_INT(r.in_flight, 4);
    TEST_CHECK(mo_ring_find(&r, 3) && mo_ring_find(&r, 3)->state == MO_RING_IN);
    TEST_EQ_INT(mo_ring_receive(&r, 3, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, 2, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(r.base, 1); /* 1 still out */
    TEST_EQ_INT(mo_ring_receive(&r, 1, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(r.base, 4); /* 1, 2, 3 left together */
    TEST_EQ_INT(r.n, 3);
    TEST_EQ_INT(r.in_flight, 2);
    TEST_CHECK(mo_ring_find(&r, 3) == NULL);
    TEST_EQ_INT(mo_ring_receive(&r, 3, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, 5, NULL), MO_RING_DUPLICATE); /* still in the ring, received */
    /* 4 expires; 5 (received) goes with it; 6 is not due yet */
    TEST_CHECK(mo_ring_expire(&r, 1400, &seq, NULL));
    TEST_EQ_INT(seq, 4);
    TEST_EQ_INT(r.base, 6);
    TEST_CHECK(!mo_ring_expire(&r, 1599, &seq, NULL));
    TEST_EQ_INT(mo_ring_receive(&r, 5, NULL), MO_RING_DUPLICATE);
    TEST_EQ_INT(mo_ring_receive(&r, 4, NULL), MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(mo_ring_receive(&r, 6, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(r.n, 0);
    TEST_EQ_INT(r.in_flight, 0);
    TEST_CHECK(!mo_ring_expire(&r, UINT64_MAX, &seq, NULL));
    mo_ring_free(&r);
}

/* Expire: exactly the due in-flight probes at the front, in order, each
 * once; received ones are passed over, never counted lost. */
static void test_expire(void)
{
    struct mo_ring r;
    struct mo_ring_slot slot;
    uint64_t seq = 0;
    TEST_EQ_INT(mo_ring_init(&r, 16, 1), 0);
    TEST_CHECK(!mo_ring_expire(&r, UINT64_MAX, &seq, &slot)); /* empty */
    for (uint64_t k = 1; k <= 10; k++)
        TEST_EQ_INT(mo_ring_push(&r, k, k * 1000, k * 1000 + 5000), 0);
    mo_ring_find(&r, 1)->flags |= MO_RING_FAILED;
    mo_ring_find(&r, 3)->flags |= MO_RING_SKIPPED;
    TEST_EQ_INT(mo_ring_receive(&r, 2, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_receive(&r, 4, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_receive(&r, 5, NULL), MO_RING_RECEIVED);
    /* before 1's deadline: nothing */
    TEST_CHECK(!mo_ring_expire(&r, 5999, &seq, &slot));
    TEST_EQ_INT(r.in_flight, 7);
    /* at 8000: 1 and 3 (2, 4, 5 received are passed over), not 6 (due 11000) */
    TEST_CHECK(mo_ring_expire(&r, 8000, &seq, &slot));
    TEST_EQ_INT(seq, 1);
    TEST_EQ_INT(slot.flags, MO_RING_FAILED);
    TEST_EQ_INT(slot.scheduled_us, 1000);
    TEST_EQ_INT(slot.due_us, 6000);
    TEST_CHECK(mo_ring_expire(&r, 8000, &seq, &slot));
    TEST_EQ_INT(seq, 3);
    TEST_EQ_INT(slot.flags, MO_RING_SKIPPED);
    TEST_CHECK(!mo_ring_expire(&r, 8000, &seq, &slot));
    TEST_EQ_INT(r.base, 6); /* 4 and 5 left with 3 */
    TEST_EQ_INT(r.in_flight, 5);
    /* exactly at its deadline a probe is lost */
    TEST_CHECK(mo_ring_expire(&r, 11000, &seq, NULL));
    TEST_EQ_INT(seq, 6);
    TEST_CHECK(!mo_ring_expire(&r, 11000, &seq, NULL));
    /* everything at once, in order */
    uint64_t want = 7;
    int n = 0;
    while (mo_ring_expire(&r, UINT64_MAX, &seq, NULL)) {
        TEST_EQ_INT(seq, want);
        want++;
        n++;
    }
    TEST_EQ_INT(n, 4);
    TEST_EQ_INT(r.n, 0);
    TEST_EQ_INT(r.in_flight, 0);
    for (uint64_t k = 1; k <= 10; k++)
        TEST_EQ_INT(mo_ring_receive(&r, k, NULL),
                    k == 2 || k == 4 || k == 5 ? MO_RING_DUPLICATE : MO_RING_AFTER_DEADLINE);
    mo_ring_free(&r);
}

static void test_set_deadline(void)
{
    struct mo_ring r;
    uint64_t seq;
    TEST_EQ_INT(mo_ring_init(&r, 8, 1), 0);
    for (uint64_t k = 1; k <= 4; k++)
        TEST_EQ_INT(mo_ring_push(&r, k, k * 1000, k * 1000 + 500), 0);
    TEST_EQ_INT(mo_ring_receive(&r, 2, NULL), MO_RING_RECEIVED);
    mo_ring_set_deadline(&r, 10000);
    for (uint64_t k = 1; k <= 4; k++) {
        TEST_EQ_INT(mo_ring_find(&r, k)->scheduled_us, k * 1000);
        TEST_EQ_INT(mo_ring_find(&r, k)->due_us, k * 1000 + 10000);
    }
    TEST_CHECK(!mo_ring_expire(&r, 10999, &seq, NULL));
    TEST_CHECK(mo_ring_expire(&r, 11000, &seq, NULL));
    TEST_EQ_INT(seq, 1);
    /* shorter: the rest are overdue at once */
    mo_ring_set_deadline(&r, 100);
    TEST_EQ_INT(mo_ring_find(&r, 3)->due_us, 3100);
    TEST_CHECK(mo_ring_expire(&r, 4100, &seq, NULL));
    TEST_EQ_INT(seq, 3);
    TEST_CHECK(mo_ring_expire(&r, 4100, &seq, NULL));
    TEST_EQ_INT(seq, 4);
    TEST_CHECK(!mo_ring_expire(&r, 4100, &seq, NULL));
    mo_ring_set_deadline(&r, 5); /* empty: nothing to do */
    TEST_EQ_INT(r.in_flight, 0);
    mo_ring_free(&r);
}

/* ---- resizes ---- */

/* A copy that receipts can be tried on without changing the original. */
static void clone(struct mo_ring *dst, const struct mo_ring *src)
{
    *dst = *src;
    dst->v = malloc(src->cap * sizeof *src->v);
    dst->lost = malloc(src->lost_bits / 64 * sizeof *src->lost);
    TEST_CHECK(dst->v && dst->lost);
    memcpy(dst->v, src->v, src->cap * sizeof *src->v);
    memcpy(dst->lost, src->lost, src->lost_bits / 64 * sizeof *src->lost);
}

static enum mo_ring_verdict try_receive(const struct mo_ring *r, uint64_t seq)
{
    struct mo_ring c;
    clone(&c, r);
    enum mo_ring_verdict v = mo_ring_receive(&c, seq, NULL);
    mo_ring_free(&c);
    return v;
}

/* The verdicts of numbers from..to-1, each tried on its own copy. */
static enum mo_ring_verdict *verdicts(const struct mo_ring *r, uint64_t from, uint64_t to)
{
    enum mo_ring_verdict *v = malloc((to - from) * sizeof *v);
    for (uint64_t k = from; k < to; k++)
        v[k - from] = try_receive(r, k);
    return v;
}

/* A ring of cap 8 after `count` probes (from 1): every third lost, half of
 * those arrived since, the rest received; the last 6 still in the ring
 * (2 of them received, out of order). */
static void mixed(struct mo_ring *r, uint64_t count)
{
    TEST_EQ_INT(mo_ring_init(r, 8, 1), 0);
    uint64_t seq;
    for (uint64_t k = 1; k <= count; k++) {
        TEST_EQ_INT(mo_ring_push(r, k, k * 10, k * 10 + 25), 0);
        if (k + 6 > count)
            continue;
        if (k % 3 == 0) {
            TEST_CHECK(mo_ring_expire(r, k * 10 + 25, &seq, NULL));
            TEST_EQ_INT(seq, k);
            if (k % 2 == 0)
                TEST_EQ_INT(mo_ring_receive(r, k, NULL), MO_RING_AFTER_DEADLINE);
        } else {
            TEST_EQ_INT(mo_ring_receive(r, k, NULL), MO_RING_RECEIVED);
        }
    }
    TEST_EQ_INT(mo_ring_receive(r, count - 1, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(mo_ring_receive(r, count - 3, NULL), MO_RING_RECEIVED);
    TEST_EQ_INT(r->n, 6);
    TEST_EQ_INT(r->in_flight, 4);
}

/* The verdict mixed() left for a number that left the ring. */
static enum mo_ring_verdict mixed_verdict(uint64_t k)
{
    return k % 3 == 0 && k % 2 ? MO_RING_AFTER_DEADLINE : MO_RING_DUPLICATE;
}

static int differ(const enum mo_ring_verdict *a, const enum mo_ring_verdict *b, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

static void test_resize(void)
{
    struct mo_ring r;
    /* 200 probes: all within the memory */
    mixed(&r, 200);
    const uint64_t to = mo_ring_next(&r) + 3;
    enum mo_ring_verdict *v0 = verdicts(&r, 0, to);
    TEST_EQ_INT(v0[0], MO_RING_NOT_SENT);
    TEST_EQ_INT(v0[3], MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(v0[6], MO_RING_DUPLICATE);
    TEST_EQ_INT(v0[7], MO_RING_DUPLICATE);
    TEST_EQ_INT(v0[199], MO_RING_DUPLICATE); /* received, still in the ring */
    TEST_EQ_INT(v0[200], MO_RING_RECEIVED);
    TEST_EQ_INT(v0[201], MO_RING_NOT_SENT);
    static const size_t caps[] = {64, 6, 0, 3, 1000, 5000, 7, 200};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        TEST_EQ_INT(mo_ring_resize(&r, caps[i]), 0);
        TEST_EQ_INT(r.cap, caps[i] < 6 ? 6 : caps[i]); /* never below n */
        TEST_EQ_INT(r.n, 6);
        TEST_EQ_INT(r.in_flight, 4);
        TEST_EQ_INT(r.base, 195);
        enum mo_ring_verdict *v = verdicts(&r, 0, to);
        TEST_EQ_INT(differ(v0, v, to), 0);
        free(v);
    }
    /* and it goes on: the front expires, new probes enter */
    uint64_t seq;
    TEST_EQ_INT(mo_ring_push(&r, 201, 2010, 2035), 0);
    TEST_CHECK(mo_ring_expire(&r, UINT64_MAX, &seq, NULL));
    TEST_EQ_INT(seq, 195);
    free(v0);
    mo_ring_free(&r);

    /* 5000 probes: more than the memory holds; growing the memory must not
     * make up verdicts for the numbers it had forgotten */
    mixed(&r, 5000);
    const size_t small_bits = r.lost_bits;
    const uint64_t from = 3000, end = mo_ring_next(&r) + 3;
    v0 = verdicts(&r, from, end);
    int wrong = 0;
    for (uint64_t k = from; k < r.base; k++)
        wrong += v0[k - from] != (k < r.base - small_bits ? MO_RING_TOO_OLD : mixed_verdict(k));
    TEST_EQ_INT(wrong, 0);
    TEST_EQ_INT(mo_ring_resize(&r, 1000), 0);
    TEST_CHECK(r.lost_bits > small_bits);
    enum mo_ring_verdict *v = verdicts(&r, from, end);
    TEST_EQ_INT(differ(v0, v, end - from), 0);
    free(v);
    /* and back: the last small_bits numbers as before */
    TEST_EQ_INT(mo_ring_resize(&r, 8), 0);
    TEST_EQ_INT(r.lost_bits, small_bits);
    v = verdicts(&r, from, end);
    TEST_EQ_INT(differ(v0, v, end - from), 0);
    free(v);
    free(v0);
    mo_ring_free(&r);

    /* a grown memory keeps all it learns from then on, as far as it reaches;
     * shrunk again it keeps the newest */
    mixed(&r, 20000);
    TEST_EQ_INT(mo_ring_resize(&r, 1000), 0);
    const size_t big_bits = r.lost_bits;
    for (uint64_t k = 20001; k <= 20000 + big_bits; k++) {
        TEST_EQ_INT(mo_ring_push(&r, k, k * 10, k * 10 + 25), 0);
        while (mo_ring_expire(&r, k * 10 + 25, &seq, NULL))
            ;
    }
    TEST_EQ_INT(r.n, 0);
    TEST_EQ_INT(r.base, 20000 + big_bits + 1);
    TEST_EQ_INT(try_receive(&r, r.base - big_bits), MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(try_receive(&r, r.base - big_bits - 1), MO_RING_TOO_OLD);
    TEST_EQ_INT(try_receive(&r, r.base - 1), MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(mo_ring_resize(&r, 8), 0);
    TEST_EQ_INT(r.lost_bits, small_bits);
    TEST_EQ_INT(try_receive(&r, r.base - small_bits), MO_RING_AFTER_DEADLINE);
    TEST_EQ_INT(try_receive(&r, r.base - small_bits - 1), MO_RING_TOO_OLD);
    TEST_EQ_INT(try_receive(&r, r.base - 1), MO_RING_AFTER_DEADLINE);
    mo_ring_free(&r);
}

/* ---- a randomized run against a reference model ---- */

enum { M_OUT = 1, M_IN, M_LOST, M_ARRIVED }; /* M_ARRIVED: lost, then arrived */

#define M_MAX 40000 /* probes a run can send */

struct model {
    uint64_t first, next;
    uint64_t low_out; /* the lowest number still out, or next: the ring's front */
    uint64_t mem_from; /* a resize that grew the memory has no verdict for numbers below */
    uint8_t st[M_MAX];
    uint64_t sched[M_MAX], due[M_MAX];
    uint64_t pushed, received, lost, out;
};

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static uint8_t *m_st(struct model *m, uint64_t seq) { return &m->st[seq - m->first]; }

static void m_front(struct model *m)
{
    while (m->low_out < m->next && *m_st(m, m->low_out) != M_OUT)
        m->low_out++;
}

static enum mo_ring_verdict m_receive(struct model *m, uint64_t seq, uint64_t lost_bits)
{
    if (seq < m->first || seq >= m->next)
        return MO_RING_NOT_SENT;
    uint8_t *st = m_st(m, seq);
    if (*st == M_OUT) {
        *st = M_IN;
        m->received++;
        m->out--;
        m_front(m);
        return MO_RING_RECEIVED;
    }
    if (seq >= m->low_out) /* received, still in the ring */
        return MO_RING_DUPLICATE;
    if (m->low_out - seq > lost_bits || seq < m->mem_from)
        return MO_RING_TOO_OLD;
    if (*st == M_LOST) {
        *st = M_ARRIVED;
        return MO_RING_AFTER_DEADLINE;
    }
    return MO_RING_DUPLICATE;
}

static int random_run(uint64_t seed, int steps, uint64_t first)
{
    static struct model m;
    struct mo_ring r;
    memset(&m, 0, sizeof m);
    rng_state = seed;
    m.first = m.next = m.low_out = m.mem_from = first;
    size_t cap = 1 + below(40);
    TEST_EQ_INT(mo_ring_init(&r, cap, first), 0);
    uint64_t now = 1000, deadline = 20000;
    int bad = 0, verdicts_seen[5] = {0};
    unsigned pushes_refused = 0, resizes = 0;
    for (int step = 0; step < steps && m.next - first < M_MAX - 1; step++) {
        now += below(2000);
        uint64_t op = below(100);
        if (op < 35) { /* a probe sent, or one refused */
            if (below(20) == 0) {
                uint64_t wrong = below(2) ? m.next + 1 + below(5) : m.next - 1 - below(m.next - first + 1);
                if (wrong != m.next && mo_ring_push(&r, wrong, now, now + deadline) != -EINVAL)
                    bad++;
                continue;
            }
            int want = m.next - m.low_out == r.cap ? -ENOSPC : 0;
            int got = mo_ring_push(&r, m.next, now, now + deadline);
            if (got != want)
                bad++;
            if (got == 0) {
                *m_st(&m, m.next) = M_OUT;
                m.sched[m.next - first] = now;
                m.due[m.next - first] = now + deadline;
                m.next++;
                m.pushed++;
                m.out++;
            } else {
                pushes_refused++;
            }
        } else if (op < 70) { /* a probe arrives */
            uint64_t seq, pick = below(10);
            if (pick < 5 && m.next > m.low_out)
                seq = m.low_out + below(m.next - m.low_out);
            else if (pick < 8)
                seq = m.next > first + 3000 ? m.next - 1 - below(3000) : first + below(m.next - first + 1);
            else if (pick < 9)
                seq = below(2) ? m.next + below(3) : first - 1 - below(first);
            else
                seq = first + below(m.next - first + 1);
            struct mo_ring_slot slot;
            enum mo_ring_verdict want = m_receive(&m, seq, r.lost_bits);
            enum mo_ring_verdict got = mo_ring_receive(&r, seq, &slot);
            if (got != want) {
                if (bad < 5)
                    fprintf(stderr, "seed %" PRIu64 " step %d: receive(%" PRIu64 ") = %d, model %d (front %" PRIu64
                            ", next %" PRIu64 ")\n", seed, step, seq, (int)got, (int)want, m.low_out, m.next);
                bad++;
            }
            verdicts_seen[want]++;
            if (got == MO_RING_RECEIVED && got == want &&
                (slot.scheduled_us != m.sched[seq - first] || slot.due_us != m.due[seq - first]))
                bad++;
        } else if (op < 90) { /* the timer: everything due expires */
            uint64_t seq;
            struct mo_ring_slot slot;
            while (mo_ring_expire(&r, now, &seq, &slot)) {
                if (seq != m.low_out || m.low_out >= m.next || m.due[seq - first] > now ||
                    slot.due_us != m.due[seq - first]) {
                    bad++;
                    break;
                }
                *m_st(&m, seq) = M_LOST;
                m.lost++;
                m.out--;
                m_front(&m);
            }
            /* none left that the model says is due */
            if (m.low_out < m.next && m.due[m.low_out - first] <= now)
                bad++;
        } else if (op < 95) { /* a reload: another size */
            size_t old_bits = r.lost_bits;
            size_t want_cap = below(6) == 0 ? below(3) : below(2) ? 1 + below(60) : 100 + below(400);
            if (mo_ring_resize(&r, want_cap) != 0)
                bad++;
            resizes++;
            size_t n = (size_t)(m.next - m.low_out);
            if (r.cap != (want_cap > n ? want_cap : n ? n : 1))
                bad++;
            if (r.lost_bits > old_bits && m.low_out > old_bits && m.low_out - old_bits > m.mem_from)
                m.mem_from = m.low_out - old_bits;
        } else if (op < 97) { /* a reload: another deadline */
            deadline = 1000 + below(40000);
            mo_ring_set_deadline(&r, deadline);
            for (uint64_t k = m.low_out; k < m.next; k++)
                m.due[k - first] = m.sched[k - first] + deadline;
        } else { /* the slot of a probe, for its publish's outcome */
            uint64_t seq = first + below(m.next - first + 2);
            struct mo_ring_slot *s = mo_ring_find(&r, seq);
            bool in = seq >= m.low_out && seq < m.next;
            if (!!s != in || (s && (s->scheduled_us != m.sched[seq - first] ||
                                    s->state != (*m_st(&m, seq) == M_OUT ? MO_RING_OUT : MO_RING_IN))))
                bad++;
        }
        /* the invariants, at every step */
        if (r.in_flight != m.out || m.pushed != m.received + m.lost + r.in_flight || r.base != m.low_out ||
            mo_ring_next(&r) != m.next || r.n != m.next - m.low_out || r.n > r.cap || r.lost_bits < r.cap) {
            if (bad < 5)
                fprintf(stderr, "seed %" PRIu64 " step %d: ring out of step with the model\n", seed, step);
            bad++;
        }
    }
    /* the run went through every verdict, and the ring filled at times */
    for (int v = MO_RING_RECEIVED; v <= MO_RING_NOT_SENT; v++)
        TEST_CHECK(verdicts_seen[v] > 0);
    TEST_CHECK(pushes_refused > 0);
    TEST_CHECK(resizes > 0);
    TEST_CHECK(m.lost > 0 && m.received > 0);
    mo_ring_free(&r);
    return bad;
}

static void test_random(void)
{
    TEST_EQ_INT(random_run(0x5eed0001, 30000, 1), 0);
    TEST_EQ_INT(random_run(0x5eed0002, 30000, 1000), 0);
    TEST_EQ_INT(random_run(0x5eed0003, 30000, 5000), 0);
    TEST_EQ_INT(random_run(0x5eed0004, 30000, 1), 0);
}

int main(void)
{
    test_cap_for();
    test_push();
    test_verdicts();
    test_out_of_order();
    test_expire();
    test_set_deadline();
    test_resize();
    test_random();
    return test_result("test-canary-ring");
}
