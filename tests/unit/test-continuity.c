/* Unit tests for sequence continuity: every verdict, page 0, lower pages,
 * discontinuities with and without a position, numbers at the top of uint64. */
#include <config.h>

#include <string.h>

#include "continuity.h"
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
    mo_cont_resume_point(c, &p, &s);
    if (p != page || s != seq) {
        fprintf(stderr, "test-continuity.c:%d: resume point (%" PRIu64 ", %" PRIu64
                        "), expected (%" PRIu64 ", %" PRIu64 ")\n",
                line, p, s, page, seq);
        test_failures++;
    }
    test_checks++;
}
#define RESUME(c, page, seq) check_resume(c, page, seq, __LINE__)

static void check_plain(const struct mo_cont_step *st, int line)
{
    if (st->expected_seq || st->missing || st->page_changed || st->old_page || st->new_page) {
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

static enum mo_cont_verdict disc(struct mo_cont *c, uint64_t page, uint64_t seq, struct mo_cont_step *st)
{
    *st = garbage();
    return mo_cont_discontinuity(c, page, seq, st);
}

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
    PLAIN(&st);
    RESUME(&c, 4, 21);
    TEST_EQ_INT(item(&c, 4, 21, &st), MO_CONT_DELIVER);
}

static void test_discontinuities(void)
{
    struct mo_cont c;
    struct mo_cont_step st;

    /* on the same page: the position jumps to new_seq; items resume after it */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 8, 40, &st), MO_CONT_DISCONTINUITY);
    PLAIN(&st);
    TEST_CHECK(c.after_discontinuity);
    RESUME(&c, 8, 41);
    TEST_EQ_INT(item(&c, 8, 41, &st), MO_CONT_DELIVER);
    PLAIN(&st);
    TEST_CHECK(!c.after_discontinuity);

    /* today an item numbered new_seq after it is a duplicate, and new_seq + 2
     * a gap of one (PROTOCOL.md 11.2 asks for both to change: next issue) */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 8, 40, &st), MO_CONT_DISCONTINUITY);
    TEST_EQ_INT(item(&c, 8, 40, &st), MO_CONT_DUPLICATE);
    TEST_CHECK(c.after_discontinuity); /* a dropped item does not count as the first after it */
    TEST_EQ_INT(item(&c, 8, 42, &st), MO_CONT_GAP);
    TEST_EQ_INT(st.missing, 1);
    TEST_CHECK(!c.after_discontinuity);

    /* onto another page: also a page change */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 8, 10, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 9, 0, &st), MO_CONT_DISCONTINUITY);
    TEST_CHECK(st.page_changed);
    TEST_EQ_INT(st.old_page, 8);
    TEST_EQ_INT(st.new_page, 9);
    TEST_EQ_INT(st.missing, 0);
    RESUME(&c, 9, 1);
    TEST_EQ_INT(item(&c, 9, 1, &st), MO_CONT_DELIVER);

    /* onto a lower page */
    TEST_EQ_INT(disc(&c, 3, 7, &st), MO_CONT_DISCONTINUITY);
    TEST_CHECK(st.page_changed);
    TEST_EQ_INT(st.old_page, 9);
    TEST_EQ_INT(st.new_page, 3);
    RESUME(&c, 3, 8);

    /* two in a row */
    TEST_EQ_INT(disc(&c, 3, 9, &st), MO_CONT_DISCONTINUITY);
    PLAIN(&st);
    TEST_EQ_INT(disc(&c, 4, 2, &st), MO_CONT_DISCONTINUITY);
    TEST_CHECK(st.page_changed);
    TEST_EQ_INT(st.old_page, 3);
    RESUME(&c, 4, 3);

    /* with no position: counted (today), no page change, and it sets the
     * position (next issue: only an announcement, PROTOCOL.md 11.1) */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 12, 30, &st), MO_CONT_DISCONTINUITY);
    PLAIN(&st);
    TEST_CHECK(c.have_pos);
    TEST_CHECK(c.after_discontinuity);
    RESUME(&c, 12, 31);
    TEST_EQ_INT(item(&c, 12, 31, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 12, 32, &st), MO_CONT_DELIVER);

    /* with no position and no page: page 0 */
    mo_cont_init(&c);
    TEST_EQ_INT(disc(&c, 0, 5, &st), MO_CONT_DISCONTINUITY);
    PLAIN(&st);
    RESUME(&c, 0, 6);
    TEST_EQ_INT(item(&c, 0, 6, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 7, 1, &st), MO_CONT_RESET);
    TEST_EQ_INT(st.old_page, 0);

    /* a discontinuity backwards on the same page moves the position back */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 2, 100, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 2, 50, &st), MO_CONT_DISCONTINUITY);
    PLAIN(&st);
    TEST_EQ_INT(item(&c, 2, 51, &st), MO_CONT_DELIVER);
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

    /* a discontinuity to the top, then the next item can only be older */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, 1, 5, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(disc(&c, 1, MAX, &st), MO_CONT_DISCONTINUITY);
    RESUME(&c, 1, 0);
    TEST_EQ_INT(item(&c, 1, 0, &st), MO_CONT_DUPLICATE);
    TEST_EQ_INT(item(&c, 1, MAX, &st), MO_CONT_DUPLICATE);

    /* pages at the top */
    mo_cont_init(&c);
    TEST_EQ_INT(item(&c, MAX, 3, &st), MO_CONT_DELIVER);
    TEST_EQ_INT(item(&c, 0, 3, &st), MO_CONT_RESET);
    TEST_CHECK(st.old_page == MAX);
    TEST_EQ_INT(st.new_page, 0);
    TEST_EQ_INT(disc(&c, MAX, MAX, &st), MO_CONT_DISCONTINUITY);
    TEST_CHECK(st.page_changed);
    TEST_CHECK(st.new_page == MAX);
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
    TEST_CHECK(!mo_cont_delivers(MO_CONT_DISCONTINUITY));
}

int main(void)
{
    test_fresh();
    test_in_order_and_duplicates();
    test_gaps();
    test_page_changes();
    test_page_zero();
    test_discontinuities();
    test_near_2_64();
    test_grid();
    test_delivers();
    return test_result("test-continuity");
}
