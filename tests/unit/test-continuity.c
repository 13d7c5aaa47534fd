/* Unit tests for sequence continuity: every verdict, page 0, lower pages,
 * discontinuities with and without a position under both readings of
 * new_topic_sequence (src/proto/README.md §4 and §6), the losses they count,
 * resume points, resume outcomes, numbers at the top of uint64. */
#include <config.h>

#include <string.h>

#include "sub/continuity.h"
#include "test.h"

#define MAX UINT64_MAX

/* The step is filled anew by every call: start each from garbage. */
static struct mo_cont_step garbage(void)
{
    struct mo_cont_step st;
    memset(&st, 0xa5, sizeof st);
    return st;
}

static void check_resume(const struct mo_cont *c, uint64_t page, uint64_t seq, int line)
{
    uint64_t p = 1234, s = 5678;
    bool known = mo_cont_resume_point(c, &p, &s);
    /* known unless it is (0, 0), "new messages", with nothing known */
    bool want_known = c->have_pos || page || seq;
    if (p != page || s != seq || known != want_known) {
        fprintf(stderr, "test-continuity.c:%d: resume point (%" PRIu64 ", %" PRIu64
                        ") known %d, expected (%" PRIu64 ", %" PRIu64 ") known %d\n",
                line, p, s, known, page, seq, want_known);
        test_failures++;
    }
    test_checks++;
}
#define RESUME(c, page, seq) check_resume(c, page, seq, __LINE__)

static void check_plain(const struct mo_cont_step *st, int line)
{
    if (st->expected_seq || st->missing || st->page_changed || st->old_page || st->new_page ||
        st->discontinuities || st->lost || st->last_delivered || st->disc.last_seq ||
        st->disc.new_seq || st->disc.page) {
        fprintf(stderr, "test-continuity.c:%d: step has fields set that do not apply\n", line);
        test_failures++;
    }
    test_checks++;
}
#define PLAIN(st) check_plain(st, __LINE__)

static enum mo_cont_verdict item(struct mo_cont *c, uint64_t page, uint64_t seq, struct mo_cont_step *st)
{
    *st = garbage();
    return mo_cont_item(c, page, seq, st);
}

/* A discontinuity whose last_topic_sequence is 77 (reported, never judged). */
static enum mo_cont_verdict disc(struct mo_cont *c, uint64_t page, uint64_t seq, struct mo_cont_step *st)
{
    *st = garbage();
    enum mo_cont_verdict v = mo_cont_discontinuity(c, 77, page, seq, st);
    check_plain(st, __LINE__);
    return v;
}

/* The step of the first item after discontinuities. */
static void check_after(const struct mo_cont_step *st, uint64_t count, uint64_t lost, uint64_t last,
                        uint64_t new_seq, uint64_t page, int line)
{
    if (st->discontinuities != count || st->lost != lost || st->last_delivered != last ||
        st->disc.last_seq != 77 || st->disc.new_seq != new_seq || st->disc.page != page ||
        st->expected_seq || st->missing) {
        fprintf(stderr,
                "test-continuity.c:%d: after a discontinuity: count %" PRIu64 " lost %" PRIu64
                " last %" PRIu64 " disc (%" PRIu64 ", %" PRIu64 ", %" PRIu64 "), expected count %" PRIu64
                " lost %" PRIu64 " last %" PRIu64 " disc (77, %" PRIu64 ", %" PRIu64 ")\n",
                line, st->discontinuities, st->lost, st->last_delivered, st->disc.last_seq,
                st->disc.new_seq, st->disc.page, count, lost, last, new_seq, page);
        test_failures++;
    }
    test_checks++;
}
#define AFTER(st, count, lost, last, new_seq, page) check_after(st, count, lost, last, new_seq, page, __LINE__)

static void test_fresh(void)
{
    struct mo_cont c;
    memset(&c, 0x5a, sizeof c);
    mo_cont_init(&c);
    TEST_CHECK(!c.have_pos);
    TEST_CHECK(!c.after_discontinuity);
    RESUME(&c, 0, 0); /* new messages */

    /* the first item is delivered whatever it is, and sets the position */
    struct mo_cont_step st;
    TEST_EQ_INT(item(&c, 7, 5, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    TEST_CHECK(c.have_pos);
    RESUME(&c, 7, 6);

    /* ... also numbered 0 on page 0 */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 0, 0, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    RESUME(&c, 0, 1);

    /* ... and at the very top */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, MAX, MAX, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    RESUME(&c, MAX, 0); /* wraps: asks for new messages on that page */
}

static void test_in_order_and_duplicates(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 3, 1, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 3, 2, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    TEST_EQ_INT(item(&c, 3, 3, &st), MO_CONT_DELIVER);
    RESUME(&c, 3, 4);

    /* the same number again, and older ones: dropped, position unchanged */
    TEST_EQ_INT(item(&c, 3, 3, &st), MO_CONT_DUPLICATE);
    PLAIN(&st);
    RESUME(&c, 3, 4);
    TEST_EQ_INT(item(&c, 3, 1, &st), MO_CONT_DUPLICATE);
    PLAIN(&st);
    TEST_EQ_INT(item(&c, 3, 0, &st), MO_CONT_DUPLICATE);
    RESUME(&c, 3, 4);
    /* and the stream goes on where it was */
    TEST_EQ_INT(item(&c, 3, 4, &st), MO_CONT_DELIVER);
    RESUME(&c, 3, 5);
}

static void test_gaps(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 3, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 3, 12, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.expected_seq, 11);
    TEST_EQ_INT(st.missing, 1);
    TEST_CHECK(!st.page_changed);
    TEST_EQ_INT(st.old_page, 0);
    TEST_EQ_INT(st.new_page, 0);
    RESUME(&c, 3, 13); /* the gap is not waited for */

    TEST_EQ_INT(item(&c, 3, 20, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.expected_seq, 13);
    TEST_EQ_INT(st.missing, 7);
    /* a late one from inside the gap is below the position: a duplicate */
    TEST_EQ_INT(item(&c, 3, 15, &st), MO_CONT_DUPLICATE);
    RESUME(&c, 3, 21);
}

static void test_page_changes(void)
{
    struct mo_cont c;
    struct mo_cont_step st;

    /* a higher page, numbered from 1 again: a reset, not a duplicate */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 5, 100, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 6, 1, &st), MO_CONT_RESET);
    TEST_CHECK(st.page_changed);
    TEST_EQ_INT(st.old_page, 5);
    TEST_EQ_INT(st.new_page, 6);
    TEST_EQ_INT(st.missing, 0);
    TEST_EQ_INT(st.expected_seq, 0);
    RESUME(&c, 6, 2);

    /* a lower page is a reset too */
    TEST_EQ_INT(item(&c, 2, 50, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 6);
    TEST_EQ_INT(st.new_page, 2);
    RESUME(&c, 2, 51);

    /* a gap across a page change is no gap: the new page starts wherever it
     * starts; gaps count again on the new page */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 5, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 6, 500, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.missing, 0);
    TEST_EQ_INT(item(&c, 6, 503, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.expected_seq, 501);
    TEST_EQ_INT(st.missing, 2);
    /* the same number on the old page is a reset back, not a duplicate */
    TEST_EQ_INT(item(&c, 5, 10, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 6);
    TEST_EQ_INT(st.new_page, 5);
    RESUME(&c, 5, 11);
}

static void test_page_zero(void)
{
    struct mo_cont c;
    struct mo_cont_step st;

    /* for items, page 0 is a page like any other */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 0, 1, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 0, 2, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 0, 2, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 0, 5, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.missing, 2);
    RESUME(&c, 0, 6);
    TEST_EQ_INT(item(&c, 9, 1, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 0);
    TEST_EQ_INT(st.new_page, 9);
    TEST_EQ_INT(item(&c, 0, 1, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 9);
    TEST_EQ_INT(st.new_page, 0);
    RESUME(&c, 0, 2);

    /* in a discontinuity, page 0 means "no page": the current one stands */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 4, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 0, 20, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, 4, 20);
    TEST_EQ_INT(item(&c, 4, 21, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 10, 10, 20, 4);
    /* ... also the page of a discontinuity still pending */
    TEST_EQ_INT(disc(&c, 6, 3, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(disc(&c, 0, 5, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, 6, 5);
    /* and with no position at all, page 0 it is */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 0, 9, &st), MO_CONT_ANNOUNCE);
    RESUME(&c, 0, 9);
}

/* src/proto/README.md §6.1: a fresh stream on a busy topic opens with a
 * discontinuity that only tells the page. Not a loss, not counted; the first
 * item after it, numbered new_seq or new_seq + 1 (or anything), starts the
 * position. */
static void test_announcement(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    for (int at = 0; at < 2; at++) {
        /* the service: heartbeat, then _Discontinuity{0, latest 500, page 9} */
        mo_cont_init(&c);
        TEST_EQ_INT(disc(&c, 9, 500, &st), MO_CONT_ANNOUNCE);
        TEST_CHECK(!c.have_pos);
        TEST_CHECK(c.after_discontinuity);
        TEST_EQ_INT(mo_cont_pending(&c, &st), 0); /* nothing to report */
        PLAIN(&st);
        /* a stream that ends now resumes at the lower reading: 500 */
        RESUME(&c, 9, 500);
        TEST_EQ_INT(item(&c, 9, 500 + !at, &st), MO_CONT_DELIVER);
        PLAIN(&st); /* no discontinuity to report, nothing lost */
        TEST_CHECK(c.have_pos);
        TEST_CHECK(!c.after_discontinuity);
        RESUME(&c, 9, 501 + !at);
        TEST_EQ_INT(item(&c, 9, 501 + !at, &st), MO_CONT_DELIVER);
        PLAIN(&st);
    }

    /* announced twice before the first item (a resubscribe in between): still
     * not a loss; the latest says where to resume */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 9, 500, &st), MO_CONT_ANNOUNCE);
    TEST_EQ_INT(disc(&c, 9, 510, &st), MO_CONT_ANNOUNCE);
    TEST_EQ_INT(disc(&c, 9, 510, &st), MO_CONT_ANNOUNCE);
    RESUME(&c, 9, 510);
    /* the first item is delivered whatever its number, even below the announcement */
    TEST_EQ_INT(item(&c, 9, 505, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    RESUME(&c, 9, 506);

    /* the first item on another page than announced: delivered, no reset (no
     * position to reset from) */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 9, 500, &st), MO_CONT_ANNOUNCE);
    TEST_EQ_INT(item(&c, 10, 1, &st), MO_CONT_DELIVER);
    PLAIN(&st);

    /* a topic just reset: _Discontinuity{0, 0, page}: resume at 1, not 0
     * ("new messages"), so item 1 published meanwhile is not missed */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 9, 0, &st), MO_CONT_ANNOUNCE);
    RESUME(&c, 9, 1);

    /* an announcement that names nothing: (0, 0), new messages */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 0, 0, &st), MO_CONT_ANNOUNCE);
    RESUME(&c, 0, 0);
    TEST_EQ_INT(item(&c, 0, 3, &st), MO_CONT_DELIVER);
    PLAIN(&st);

    /* once there is a position, a discontinuity is a loss again */
    TEST_EQ_INT(disc(&c, 0, 10, &st), MO_CONT_DISCONTINUITY);
}

/* src/proto/README.md §6.2: after a discontinuity the next item is new_seq + 1
 * (the proto) or new_seq (the HTTP API reference). Neither is a duplicate or a
 * gap, and the loss counted is exact in both. */
static void test_both_readings(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    for (int at = 0; at < 2; at++) {
        /* delivered up to 10; the server lost 11..40 and resumes with 41.
         * after: _Discontinuity{10, 40}; at: _Discontinuity{10, 41} */
        uint64_t n = 40 + at;
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 8, n, &st), MO_CONT_DISCONTINUITY);
        TEST_CHECK(c.after_discontinuity);
        TEST_EQ_INT(mo_cont_pending(&c, &st), 1);
        TEST_EQ_INT(st.discontinuities, 1);
        TEST_EQ_INT(st.last_delivered, 10);
        TEST_EQ_INT(st.disc.new_seq, n);
        TEST_EQ_INT(st.lost, 0); /* not known yet */
        RESUME(&c, 8, n);
        TEST_EQ_INT(item(&c, 8, 41, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 30, 10, n, 8);
        TEST_CHECK(!c.after_discontinuity);
        TEST_EQ_INT(mo_cont_pending(&c, &st), 0);
        RESUME(&c, 8, 42);
        TEST_EQ_INT(item(&c, 8, 42, &st), MO_CONT_DELIVER);
        PLAIN(&st);

        /* a server that loses one message in three (--fault-drop-every 3):
         * 1 2 _Discontinuity 4 5 _Discontinuity 7 */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 5, 1, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(item(&c, 5, 2, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 5, 3 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 5, 4, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 1, 2, 3 + at, 5);
        TEST_EQ_INT(item(&c, 5, 5, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 5, 6 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 5, 7, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 1, 5, 6 + at, 5);

        /* nothing lost at all: _Discontinuity{10, 10} (after) or {10, 11} (at),
         * then 11 */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 8, 10 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 8, 11, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 0, 10, 10 + at, 8);

        /* more missing than the discontinuity said: all of it is its loss */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 8, 40 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 8, 50, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 39, 10, 40 + at, 8);

        /* an item at or below the last one after it is a duplicate, and the
         * discontinuity still waits for its first item */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 8, 40 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DUPLICATE);
        PLAIN(&st);
        TEST_EQ_INT(item(&c, 8, 3, &st), MO_CONT_DUPLICATE);
        TEST_CHECK(c.after_discontinuity);
        RESUME(&c, 8, 40 + at);
        TEST_EQ_INT(item(&c, 8, 41, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 30, 10, 40 + at, 8);

        /* below what the discontinuity said but above the last item: the
         * position is taken from the item actually received */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 8, 40 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 8, 20, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 9, 10, 40 + at, 8);
        RESUME(&c, 8, 21);
    }
}

/* Several discontinuities before the next item: one loss, all of them
 * counted, except the same one again (the answer to resuming at its
 * new_seq, the lower reading). */
static void test_pending(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 8, 40, &st), MO_CONT_DISCONTINUITY);
    /* the stream ends; the next one asks for 40; the server says it again */
    RESUME(&c, 8, 40);
    TEST_EQ_INT(disc(&c, 8, 40, &st), MO_CONT_DISCONTINUITY_AGAIN);
    TEST_EQ_INT(disc(&c, 0, 40, &st), MO_CONT_DISCONTINUITY_AGAIN); /* page 0: the same page */
    TEST_EQ_INT(mo_cont_pending(&c, &st), 1);
    /* a further skip is another discontinuity */
    TEST_EQ_INT(disc(&c, 8, 60, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(mo_cont_pending(&c, &st), 2);
    TEST_EQ_INT(st.last_delivered, 10);
    TEST_EQ_INT(st.disc.new_seq, 60);
    RESUME(&c, 8, 60);
    TEST_EQ_INT(item(&c, 8, 61, &st), MO_CONT_DELIVER);
    AFTER(&st, 2, 50, 10, 60, 8);
    /* once an item came, the same discontinuity again is a new one */
    TEST_EQ_INT(disc(&c, 8, 70, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(item(&c, 8, 71, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 9, 61, 70, 8);
    TEST_EQ_INT(disc(&c, 8, 71, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(mo_cont_pending(&c, &st), 1);
    TEST_EQ_INT(item(&c, 8, 72, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 0, 71, 71, 8);
    /* the same new_seq on another page is not a repeat either */
    TEST_EQ_INT(disc(&c, 8, 80, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(disc(&c, 9, 80, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(mo_cont_pending(&c, &st), 2);
}

/* A discontinuity onto another page (the topic was reset or recreated): a
 * reset at the first item, with the numbers below it on the new page lost,
 * the same in both readings. */
static void test_discontinuity_page_change(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    for (int at = 0; at < 2; at++) {
        /* --fault-reset-after 3: 1 2 3 _Discontinuity{3, 0 (at: 1), p2} 1 2 */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 100, 1, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(item(&c, 100, 3, &st), MO_CONT_GAP);
        TEST_EQ_INT(disc(&c, 200, at, &st), MO_CONT_DISCONTINUITY);
        RESUME(&c, 200, 1); /* 0 would be "new messages" */
        TEST_EQ_INT(item(&c, 200, 1, &st), MO_CONT_RESET);
        TEST_CHECK(st.page_changed);
        TEST_EQ_INT(st.old_page, 100);
        TEST_EQ_INT(st.new_page, 200);
        AFTER(&st, 1, 0, 3, at, 200);
        TEST_EQ_INT(item(&c, 200, 2, &st), MO_CONT_DELIVER);
        PLAIN(&st);

        /* resumed on the old page long after: the new page is kept from 5 on */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 100, 3, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 200, 4 + at, &st), MO_CONT_DISCONTINUITY);
        TEST_EQ_INT(item(&c, 200, 5, &st), MO_CONT_RESET);
        TEST_EQ_INT(st.old_page, 100);
        AFTER(&st, 1, 4, 3, 4 + at, 200);
        /* gaps count again on the new page */
        TEST_EQ_INT(item(&c, 200, 7, &st), MO_CONT_GAP);
        TEST_EQ_INT(st.missing, 1);

        /* onto a lower page: a reset too */
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 9, 10, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 3, 7 + at, &st), MO_CONT_DISCONTINUITY);
        RESUME(&c, 3, 7 + at);
        TEST_EQ_INT(item(&c, 3, 8, &st), MO_CONT_RESET);
        TEST_EQ_INT(st.old_page, 9);
        TEST_EQ_INT(st.new_page, 3);
        AFTER(&st, 1, 7, 10, 7 + at, 3);
    }

    /* the discontinuity names a new page but the item comes on the old one:
     * judged against the last item (no reset, a duplicate at or below it) */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 9, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 10, 2, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(item(&c, 9, 5, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 9, 12, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 1, 10, 2, 10);
    RESUME(&c, 9, 13);

    /* two discontinuities across pages, then the item: one reset from the
     * last item's page */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 2, 0, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(disc(&c, 3, 0, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(item(&c, 3, 1, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 1);
    TEST_EQ_INT(st.new_page, 3);
    AFTER(&st, 2, 0, 10, 0, 3);
}

/* A discontinuity backwards on the same page: the numbering started over
 * (a server without pages). Items from new_seq on are new. */
static void test_discontinuity_backwards(void)
{
    struct mo_cont c;
    struct mo_cont_step st;
    for (int at = 0; at < 2; at++) {
        mo_cont_init(&c);
        TEST_EQ_INT(item(&c, 2, 100, &st), MO_CONT_DELIVER);
        TEST_EQ_INT(disc(&c, 2, 50, &st), MO_CONT_DISCONTINUITY);
        RESUME(&c, 2, 50);
        TEST_EQ_INT(item(&c, 2, 49, &st), MO_CONT_DUPLICATE); /* below it */
        TEST_EQ_INT(item(&c, 2, 51 - at, &st), MO_CONT_DELIVER);
        AFTER(&st, 1, 0, 100, 50, 2);
        RESUME(&c, 2, 52 - at);
    }
    /* past new_seq + 1: the numbers in between (in the proto's reading) */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 2, 100, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 2, 50, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(item(&c, 2, 54, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 3, 100, 50, 2);
    /* to 0 (no page), then 1 */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 0, 100, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 0, 0, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, 0, 1);
    TEST_EQ_INT(item(&c, 0, 1, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, 0, 100, 0, 0);
}

/* Every last item L and discontinuity ahead of it, in both readings, with the
 * item the server sends next and some later ones: never a duplicate or a gap,
 * lost = first - L - 1 exactly, the position from the item. */
static void test_readings_grid(void)
{
    static const uint64_t lasts[] = {0, 1, 2, 10, MAX - 40};
    static const uint64_t ahead[] = {0, 1, 2, 3, 30};
    static const uint64_t later[] = {0, 1, 5};
    int bad = 0;
    for (size_t li = 0; li < sizeof lasts / sizeof lasts[0]; li++)
        for (size_t ai = 0; ai < sizeof ahead / sizeof ahead[0]; ai++)
            for (int at = 0; at < 2; at++)
                for (size_t xi = 0; xi < sizeof later / sizeof later[0]; xi++) {
                    uint64_t last = lasts[li];
                    /* the server skipped `ahead` numbers; the next is last + ahead + 1 */
                    uint64_t next = last + ahead[ai] + 1 + later[xi];
                    uint64_t n = last + ahead[ai] + (uint64_t)at;
                    struct mo_cont c;
                    struct mo_cont_step st;
                    mo_cont_init(&c);
                    (void)item(&c, 4, last, &st);
                    enum mo_cont_verdict d = disc(&c, 4, n, &st);
                    uint64_t rp, rs;
                    bool known = mo_cont_resume_point(&c, &rp, &rs);
                    /* the resume point never asks past the item that comes next */
                    bool ok = d == MO_CONT_DISCONTINUITY && known && rp == 4 && rs <= next &&
                              rs == (n ? n : 1);
                    enum mo_cont_verdict v = item(&c, 4, next, &st);
                    ok = ok && v == MO_CONT_DELIVER && st.discontinuities == 1 &&
                         st.lost == next - last - 1 && st.last_delivered == last &&
                         !st.missing && !st.page_changed && !c.after_discontinuity;
                    known = mo_cont_resume_point(&c, &rp, &rs);
                    ok = ok && known && rp == 4 && rs == next + 1;
                    if (!ok && bad++ < 10)
                        fprintf(stderr,
                                "test-continuity.c: readings grid: last %" PRIu64 " new_seq %" PRIu64
                                " next %" PRIu64 ": verdict %d lost %" PRIu64 "\n",
                                last, n, next, (int)v, st.lost);
                }
    TEST_EQ_INT(bad, 0);
}

static void test_resume_outcome(void)
{
    uint64_t k = 99;
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, false, 7, 41, &k), MO_CONT_RESUME_EXACT);
    TEST_EQ_INT(k, 0);
    /* a server that resumes inclusively at the last number */
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, false, 7, 40, &k), MO_CONT_RESUME_REPEATED);
    TEST_EQ_INT(k, 1);
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, false, 7, 1, &k), MO_CONT_RESUME_REPEATED);
    TEST_EQ_INT(k, 40);
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, false, 7, 45, &k), MO_CONT_RESUME_SKIPPED);
    TEST_EQ_INT(k, 4);
    TEST_EQ_INT(mo_cont_resume_outcome(7, 1, false, 7, MAX, &k), MO_CONT_RESUME_SKIPPED);
    TEST_CHECK(k == MAX - 1);
    /* a discontinuity first, or another page: the server did not go on */
    k = 99;
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, true, 7, 41, &k), MO_CONT_RESUME_DISCONTINUITY);
    TEST_EQ_INT(k, 0);
    TEST_EQ_INT(mo_cont_resume_outcome(7, 41, false, 8, 41, &k), MO_CONT_RESUME_DISCONTINUITY);
    /* page 0 asked for any page */
    TEST_EQ_INT(mo_cont_resume_outcome(0, 41, false, 8, 41, &k), MO_CONT_RESUME_EXACT);
}

static void test_near_2_64(void)
{
    struct mo_cont c;
    struct mo_cont_step st;

    /* the last two numbers there are, in order */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, MAX - 1, &st), MO_CONT_DELIVER);
    RESUME(&c, 1, MAX);
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    /* after the top, everything on the page is at or below it */
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 1, 0, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 1, MAX - 1, &st), MO_CONT_DUPLICATE);
    RESUME(&c, 1, 0); /* wraps to "new messages" */

    /* a gap of one just below the top */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, MAX - 2, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.expected_seq, MAX - 1);
    TEST_CHECK(st.missing == 1);

    /* the widest gap there is */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, 0, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_GAP);
    TEST_CHECK(st.expected_seq == 1);
    TEST_CHECK(st.missing == MAX - 1);

    /* a discontinuity to the top: resumes at the top (the lower reading);
     * below the last item is a duplicate; the top itself is the next one */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, 5, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 1, MAX, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, 1, MAX);
    TEST_EQ_INT(item(&c, 1, 0, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_DELIVER);
    AFTER(&st, 1, MAX - 6, 5, MAX, 1);
    RESUME(&c, 1, 0); /* wraps: new messages on that page */

    /* pages at the top */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, MAX, 3, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 0, 3, &st), MO_CONT_RESET);
    TEST_CHECK(st.old_page == MAX);
    TEST_EQ_INT(st.new_page, 0);
    TEST_EQ_INT(disc(&c, MAX, MAX, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, MAX, MAX);
    TEST_EQ_INT(item(&c, MAX, MAX, &st), MO_CONT_RESET);
    TEST_CHECK(st.page_changed);
    TEST_CHECK(st.new_page == MAX);
    TEST_CHECK(st.lost == MAX - 1);
    RESUME(&c, MAX, 0);
}

/* Every (position, item) over a small grid with the ends of uint64 in it:
 * the verdict, the step and the position after it, against the rules as
 * continuity.h states them. */
static void test_grid(void)
{
    static const uint64_t seqs[] = {0, 1, 2, 3, MAX - 2, MAX - 1, MAX};
    static const uint64_t pages[] = {0, 1, 2, MAX};
    size_t ns = sizeof seqs / sizeof seqs[0], np = sizeof pages / sizeof pages[0];
    int bad = 0;
    for (size_t have = 0; have < 2; have++)
        for (size_t lp = 0; lp < np; lp++)
            for (size_t ls = 0; ls < ns; ls++)
                for (size_t ip = 0; ip < np; ip++)
                    for (size_t is = 0; is < ns; is++) {
                        struct mo_cont c;
                        struct mo_cont_step st;
                        mo_cont_init(&c);
                        if (have)
                            (void)item(&c, pages[lp], seqs[ls], &st);
                        uint64_t last = seqs[ls], page = pages[ip], seq = seqs[is];
                        enum mo_cont_verdict want =
                            !have ? MO_CONT_DELIVER
                            : page != pages[lp] ? MO_CONT_RESET
                            : seq <= last ? MO_CONT_DUPLICATE
                            : seq == last + 1 ? MO_CONT_DELIVER
                            : MO_CONT_GAP;
                        enum mo_cont_verdict got = item(&c, page, seq, &st);
                        bool moved = want != MO_CONT_DUPLICATE;
                        uint64_t rp, rs;
                        mo_cont_resume_point(&c, &rp, &rs);
                        bool ok = got == want && mo_cont_delivers(got) == moved &&
                                  rp == (moved ? page : pages[lp]) &&
                                  rs == (moved ? seq : last) + 1 &&
                                  st.page_changed == (want == MO_CONT_RESET) &&
                                  st.old_page == (want == MO_CONT_RESET ? pages[lp] : 0) &&
                                  st.new_page == (want == MO_CONT_RESET ? page : 0) &&
                                  st.missing == (want == MO_CONT_GAP ? seq - last - 1 : 0) &&
                                  st.expected_seq == (want == MO_CONT_GAP ? last + 1 : 0);
                        if (!ok && bad++ < 10)
                            fprintf(stderr,
                                    "test-continuity.c: grid: have %zu last (%" PRIu64 ", %" PRIu64
                                    ") item (%" PRIu64 ", %" PRIu64 "): verdict %d, expected %d\n",
                                    have, pages[lp], last, page, seq, (int)got, (int)want);
                    }
    TEST_EQ_INT(bad, 0);
}

static void test_delivers(void)
{
    TEST_CHECK(mo_cont_delivers(MO_CONT_DELIVER));
    TEST_CHECK(mo_cont_delivers(MO_CONT_GAP));
    TEST_CHECK(mo_cont_delivers(MO_CONT_RESET));
    TEST_CHECK(!mo_cont_delivers(MO_CONT_DUPLICATE));
    TEST_CHECK(!mo_cont_delivers(MO_CONT_ANNOUNCE));
    TEST_CHECK(!mo_cont_delivers(MO_CONT_DISCONTINUITY));
    TEST_CHECK(!mo_cont_delivers(MO_CONT_DISCONTINUITY_AGAIN));
}

int main(void)
{
    test_fresh();
    test_in_order_and_duplicates();
    test_gaps();
    test_page_changes();
    test_page_zero();
    test_announcement();
    test_both_readings();
    test_pending();
    test_discontinuity_page_change();
    test_discontinuity_backwards();
    test_readings_grid();
    test_resume_outcome();
    test_near_2_64();
    test_grid();
    test_delivers();
    return test_result("test-continuity");
}
