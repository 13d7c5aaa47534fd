/* Unit tests for the per-publisher latency floors
 * (src/daemon/latency/pubfloor.c): exact counts and floors, the busiest first,
 * the rest as "*other*", a full table, ids cut or holding any bytes, and the
 * table carried to the next interval. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "latency/pubfloor.h"
#include "test.h"

static struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1];

static struct mo_latency lat(int64_t latency_us)
{
    return (struct mo_latency){.ok = true, .latency_us = latency_us, .host_bound_us = -1,
                               .publisher_bound_us = -1};
}

static void rec_n(mo_pubfloor *f, const char *id, size_t len, int64_t latency_us)
{
    struct mo_latency l = lat(latency_us);
    mo_pubfloor_record(f, id, len, &l);
}

static void rec(mo_pubfloor *f, const char *id, int64_t latency_us)
{
    rec_n(f, id, strlen(id), latency_us);
}

static void test_two_publishers(void)
{
    mo_pubfloor *f;
    TEST_EQ_INT(mo_pubfloor_new(&f), 0);
    /* nothing recorded: no rows */
    TEST_EQ_INT(mo_pubfloor_end(f, rows), 0);
    /* pub-b's clock is 2 s ahead: its floor is negative */
    for (int i = 0; i < 10; i++) {
        rec(f, "pub-a", 900 + i);
        rec(f, "pub-b", -2000000 + 800 + i);
        rec(f, "pub-a", 1500);
    }
    rec(f, "pub-a", 412);
    size_t n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 2);
    TEST_EQ_STR(rows[0].id, "pub-a");
    TEST_EQ_INT(rows[0].t.count, 21);
    TEST_EQ_INT(rows[0].t.min_us, 412);
    TEST_CHECK(!rows[0].other);
    TEST_EQ_STR(rows[1].id, "pub-b");
    TEST_EQ_INT(rows[1].t.count, 10);
    TEST_EQ_INT(rows[1].t.min_us, -1999200);
    /* the next interval starts empty: a floor is per interval */
    rec(f, "pub-b", 5000);
    n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 1);
    TEST_EQ_STR(rows[0].id, "pub-b");
    TEST_EQ_INT(rows[0].t.count, 1);
    TEST_EQ_INT(rows[0].t.min_us, 5000);
    mo_pubfloor_free(f);
    mo_pubfloor_free(NULL);
}

/* 40 publishers, publisher i sending i+1 messages with floor 1000*i: the
 * first 32 take the table's slots, 8 of them are reported, and every other
 * message is in "*other*", whose floor is the lowest of theirs. */
static void test_many_publishers(void)
{
    mo_pubfloor *f;
    TEST_EQ_INT(mo_pubfloor_new(&f), 0);
    char id[32];
    uint64_t total = 0;
    for (int i = 0; i < 40; i++)
        for (int k = 0; k <= i; k++) {
            snprintf(id, sizeof id, "p%02d", i);
            rec(f, id, 1000 * i + k);
            total++;
        }
    size_t n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, MO_PUBFLOOR_ROWS + 1);
    /* the busiest of those in the table: p31 (32 messages) down to p24 */
    uint64_t listed = 0;
    for (size_t r = 0; r < MO_PUBFLOOR_ROWS; r++) {
        snprintf(id, sizeof id, "p%02d", 31 - (int)r);
        TEST_EQ_STR(rows[r].id, id);
        TEST_EQ_INT(rows[r].t.count, 32 - r);
        TEST_EQ_INT(rows[r].t.min_us, 1000 * (31 - (int)r));
        listed += rows[r].t.count;
    }
    TEST_CHECK(rows[MO_PUBFLOOR_ROWS].other);
    TEST_EQ_STR(rows[MO_PUBFLOOR_ROWS].id, "*other*");
    TEST_EQ_INT(rows[MO_PUBFLOOR_ROWS].t.count, total - listed);
    TEST_EQ_INT(rows[MO_PUBFLOOR_ROWS].t.min_us, 0); /* p00's */

    /* the busiest half of the table keeps its slots: p39, a newcomer last
     * time, now finds room and is counted on its own */
    for (int k = 0; k < 100; k++)
        rec(f, "p39", 7);
    rec(f, "p31", 1);
    n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 2);
    TEST_EQ_STR(rows[0].id, "p39");
    TEST_EQ_INT(rows[0].t.count, 100);
    TEST_EQ_STR(rows[1].id, "p31");
    mo_pubfloor_free(f);
}

static void test_ids(void)
{
    mo_pubfloor *f;
    TEST_EQ_INT(mo_pubfloor_new(&f), 0);
    /* two long ids that differ only past the bytes kept stay apart */
    char a[200], b[200];
    memset(a, 'x', sizeof a);
    memcpy(b, a, sizeof b);
    b[150] = 'y';
    rec_n(f, a, sizeof a, 10);
    rec_n(f, b, sizeof b, 20);
    rec_n(f, b, sizeof b, 30);
    /* a prefix of an id is another id */
    rec_n(f, a, 10, 40);
    /* bytes that are not text are kept as they are */
    rec_n(f, "\xff\x01", 2, 50);
    size_t n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 4);
    TEST_EQ_INT(rows[0].t.count, 2);
    TEST_EQ_INT(rows[0].t.min_us, 20);
    TEST_EQ_INT(strlen(rows[0].id), MO_PUBFLOOR_ID_MAX + 3);
    TEST_CHECK(strcmp(rows[0].id + MO_PUBFLOOR_ID_MAX, "...") == 0);
    TEST_EQ_INT(rows[1].t.count, 1);
    TEST_EQ_INT(rows[1].t.min_us, 10);
    TEST_EQ_STR(rows[2].id, "xxxxxxxxxx");
    TEST_EQ_STR(rows[3].id, "\xff\x01");
    mo_pubfloor_free(f);
}

/* The clocks: the widest bound each publisher wrote, and the latencies
 * below both bounds (measured by mo_latency_measure, here given). */
static void test_bounds_and_skew(void)
{
    mo_pubfloor *f;
    TEST_EQ_INT(mo_pubfloor_new(&f), 0);
    struct mo_latency l = lat(900);
    l.publisher_bound_us = 350;
    mo_pubfloor_record(f, "a", 1, &l);
    l.publisher_bound_us = 120;
    mo_pubfloor_record(f, "a", 1, &l);
    l = lat(-5000);
    l.skew_us = 4000;
    mo_pubfloor_record(f, "b", 1, &l);
    l.skew_us = 4600;
    mo_pubfloor_record(f, "b", 1, &l);
    l = lat(-10); /* within the bounds: no skew */
    mo_pubfloor_record(f, "b", 1, &l);
    size_t n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 2);
    TEST_EQ_STR(rows[0].id, "b");
    TEST_EQ_INT(rows[0].t.skewed, 2);
    TEST_EQ_INT(rows[0].t.skew_us, 4600);
    TEST_EQ_INT(mo_pubtally_bound(&rows[0].t), -1); /* none written */
    TEST_EQ_STR(rows[1].id, "a");
    TEST_EQ_INT(mo_pubtally_bound(&rows[1].t), 350);
    TEST_EQ_INT(rows[1].t.bounded, 2);
    TEST_EQ_INT(rows[1].t.skewed, 0);
    /* the next interval starts empty */
    l = lat(1);
    mo_pubfloor_record(f, "a", 1, &l);
    n = mo_pubfloor_end(f, rows);
    TEST_EQ_INT(n, 1);
    TEST_EQ_INT(mo_pubtally_bound(&rows[0].t), -1);
    mo_pubfloor_free(f);

    /* merging keeps the widest bound and the largest skew, adds the counts */
    struct mo_pubtally x = MO_PUBTALLY_EMPTY, y = MO_PUBTALLY_EMPTY;
    l = lat(3);
    l.publisher_bound_us = 0; /* a bound of 0 is a bound */
    mo_pubtally_add(&x, &l);
    TEST_EQ_INT(mo_pubtally_bound(&x), 0);
    l = lat(-900);
    l.skew_us = 7;
    mo_pubtally_add(&y, &l);
    mo_pubtally_merge(&x, &y);
    TEST_EQ_INT(x.count, 2);
    TEST_EQ_INT(x.min_us, -900);
    TEST_EQ_INT(x.skewed, 1);
    TEST_EQ_INT(x.skew_us, 7);
    TEST_EQ_INT(mo_pubtally_bound(&x), 0);
}

int main(void)
{
    test_bounds_and_skew();
    test_two_publishers();
    test_many_publishers();
    test_ids();
    return test_result("test-pubfloor");
}
