/* Unit tests for momento-topics-local's topics (src/local/topic.c): sequence
 * numbers, pages, the resume rules, lost messages, resets, the ring, both
 * readings of new_topic_sequence, the page announcement and the replay window. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include <grpc/grpc.h>

#include "clock.h"
#include "pubsub.h"
#include "test.h"
#include "topic.h"

static int64_t fake_now_s = 1800000000;
static int64_t fake_real_ns(void) { return fake_now_s * MO_NSEC_PER_SEC; }
static uint64_t fake_mono = 1000 * MO_USEC_PER_SEC;
static uint64_t fake_mono_us(void) { return fake_mono; }

static struct tl_str S(const char *s) { return (struct tl_str){s, strlen(s)}; }

static tl_topic *topic_with(tl_store **store, struct tl_store_opts o)
{
    TEST_EQ_INT(tl_store_new(&o, store), 0);
    tl_cache *c = tl_store_cache(*store, S("cache"));
    TEST_CHECK(c != NULL);
    return tl_cache_topic(c, S("topic"));
}

static tl_topic *new_topic(tl_store **store, uint64_t replay, uint64_t drop, uint64_t reset)
{
    return topic_with(store, (struct tl_store_opts){.replay = replay, .drop_every = drop,
                                                    .reset_after = reset,
                                                    .publisher_id = "pub-1"});
}

static void publish_n(tl_topic *t, int n)
{
    for (int i = 0; i < n; i++) {
        char v[32];
        int len = snprintf(v, sizeof v, "m%d", i);
        TEST_EQ_INT(tl_topic_publish(t, false, (const uint8_t *)v, (size_t)len, NULL), 0);
    }
}

/* Decodes the entry at pos. */
static struct mo_item entry_item(tl_topic *t, uint64_t pos)
{
    const struct tl_entry *e = tl_topic_entry(t, pos);
    struct mo_item it;
    TEST_EQ_INT(mo_item_decode(GRPC_SLICE_START_PTR(e->msg), GRPC_SLICE_LENGTH(e->msg), &it), 0);
    return it;
}

static void expect_start(const struct tl_start *s, uint64_t pos, bool disc, uint64_t last,
                         uint64_t new_seq, uint64_t page)
{
    TEST_EQ_INT(s->pos, pos);
    TEST_EQ_INT(s->disc, disc);
    if (disc) {
        TEST_EQ_INT(s->last, last);
        TEST_EQ_INT(s->new_seq, new_seq);
        TEST_EQ_INT(s->page, page);
    }
}

static void test_sequence(void)
{
    tl_store *store;
    tl_topic *t = new_topic(&store, 4096, 0, 0);
    TEST_EQ_INT(tl_topic_page(t), fake_now_s);
    TEST_EQ_INT(tl_topic_latest(t), 0);
    struct tl_published p;
    TEST_EQ_INT(tl_topic_publish(t, true, (const uint8_t *)"\x01\x02", 2, &p), 0);
    TEST_EQ_INT(p.seq, 1);
    TEST_EQ_INT(p.page, fake_now_s);
    TEST_CHECK(!p.dropped && !p.new_page);
    publish_n(t, 4);
    TEST_EQ_INT(tl_topic_latest(t), 5);
    TEST_EQ_INT(tl_topic_end(t), 5);
    struct mo_item it = entry_item(t, 0);
    TEST_EQ_INT(it.kind, MO_ITEM_MESSAGE);
    TEST_EQ_INT(it.seq, 1);
    TEST_EQ_INT(it.value_kind, MO_VALUE_BINARY);
    TEST_EQ_INT(it.publisher_id_len, 5);
    it = entry_item(t, 4);
    TEST_EQ_INT(it.seq, 5);
    TEST_EQ_INT(it.value_kind, MO_VALUE_TEXT);
    TEST_CHECK(it.value_len == 2 && memcmp(it.value, "m3", 2) == 0);
    /* topics are per cache, and each numbers from 1 */
    tl_cache *other = tl_store_cache(store, S("other"));
    tl_topic *t2 = tl_cache_topic(other, S("topic"));
    TEST_CHECK(t2 != t);
    TEST_EQ_INT(tl_topic_latest(t2), 0);
    TEST_CHECK(tl_cache_topic(tl_store_cache(store, S("cache")), S("topic")) == t);
    tl_store_free(store);
}

static void test_resume(void)
{
    tl_store *store;
    tl_topic *t = new_topic(&store, 10, 0, 0);
    uint64_t page = tl_topic_page(t);
    struct tl_start s;

    /* nothing published yet */
    tl_topic_resume(t, 0, 0, &s);
    expect_start(&s, 0, false, 0, 0, 0);
    tl_topic_resume(t, 1, page, &s); /* the next one: live, no discontinuity */
    expect_start(&s, 0, false, 0, 0, 0);
    tl_topic_resume(t, 5, page, &s); /* in the future */
    expect_start(&s, 0, true, 4, 0, page);

    publish_n(t, 25); /* seq 1..25; replay keeps 16..25 */
    tl_topic_resume(t, 0, 0, &s);
    expect_start(&s, 25, false, 0, 0, 0);       /* live only */
    tl_topic_resume(t, 20, page, &s);
    expect_start(&s, 19, false, 0, 0, 0);       /* inclusive: seq 20 is at position 19 */
    tl_topic_resume(t, 20, 0, &s);
    expect_start(&s, 19, false, 0, 0, 0);       /* page 0: the current page */
    tl_topic_resume(t, 16, page, &s);
    expect_start(&s, 15, false, 0, 0, 0);       /* the oldest kept */
    tl_topic_resume(t, 26, page, &s);
    expect_start(&s, 25, false, 0, 0, 0);       /* latest + 1: live */
    tl_topic_resume(t, 15, page, &s);
    expect_start(&s, 15, true, 14, 15, page);   /* older than kept: from 16 */
    tl_topic_resume(t, 3, page, &s);
    expect_start(&s, 15, true, 2, 15, page);
    tl_topic_resume(t, 20, page - 7, &s);
    expect_start(&s, 15, true, 19, 15, page);   /* another page: the current one from the oldest */
    tl_topic_resume(t, 20, page + 7, &s);
    expect_start(&s, 15, true, 19, 15, page);
    tl_topic_resume(t, 40, page, &s);
    expect_start(&s, 25, true, 39, 25, page);   /* future: discontinuity, then live */
    tl_store_free(store);

    /* --replay 0: nothing to replay, only live */
    t = new_topic(&store, 0, 0, 0);
    page = tl_topic_page(t);
    publish_n(t, 3);
    tl_topic_resume(t, 4, page, &s);
    expect_start(&s, 3, false, 0, 0, 0);
    tl_topic_resume(t, 2, page, &s);
    expect_start(&s, 3, true, 1, 3, page);
    tl_store_free(store);
}

static void test_drop(void)
{
    tl_store *store;
    tl_topic *t = new_topic(&store, 100, 3, 0);
    uint64_t page = tl_topic_page(t);
    struct tl_published p;
    publish_n(t, 2);
    TEST_EQ_INT(tl_topic_publish(t, false, (const uint8_t *)"x", 1, &p), 0);
    TEST_CHECK(p.dropped);
    TEST_EQ_INT(p.seq, 3);
    publish_n(t, 3); /* 4, 5, and 6 is lost */
    TEST_EQ_INT(tl_topic_entry(t, 2)->kind, TL_ENTRY_DROP);
    struct mo_item it = entry_item(t, 2);
    TEST_EQ_INT(it.kind, MO_ITEM_DISCONTINUITY);
    TEST_EQ_INT(it.last_seq, 2);
    TEST_EQ_INT(it.new_seq, 3);
    TEST_EQ_INT(it.new_page, page);
    TEST_EQ_INT(tl_topic_entry(t, 5)->kind, TL_ENTRY_DROP);
    TEST_EQ_INT(entry_item(t, 3).seq, 4);
    /* a replay over the lost one shows the same discontinuity */
    struct tl_start s;
    tl_topic_resume(t, 3, page, &s);
    expect_start(&s, 2, false, 0, 0, 0);
    tl_store_free(store);
}

static void test_reset(void)
{
    tl_store *store;
    tl_topic *t = new_topic(&store, 100, 0, 3);
    uint64_t page1 = tl_topic_page(t);
    struct tl_published p;
    publish_n(t, 2);
    TEST_EQ_INT(tl_topic_publish(t, false, (const uint8_t *)"x", 1, &p), 0);
    TEST_EQ_INT(p.seq, 3);
    /* the clock has not moved: the page goes up by one */
    TEST_EQ_INT(p.new_page, page1 + 1);
    TEST_EQ_INT(tl_topic_page(t), page1 + 1);
    TEST_EQ_INT(tl_topic_latest(t), 0);
    TEST_EQ_INT(tl_topic_end(t), 4); /* 3 items and the reset marker */
    TEST_EQ_INT(tl_topic_entry(t, 3)->kind, TL_ENTRY_RESET);
    struct mo_item it = entry_item(t, 3);
    TEST_EQ_INT(it.kind, MO_ITEM_DISCONTINUITY);
    TEST_EQ_INT(it.last_seq, 3);
    TEST_EQ_INT(it.new_seq, 0);
    TEST_EQ_INT(it.new_page, page1 + 1);
    publish_n(t, 1);
    it = entry_item(t, 4);
    TEST_EQ_INT(it.seq, 1);
    TEST_EQ_INT(it.page, page1 + 1);

    /* resuming on the old page: the current page from its start */
    struct tl_start s;
    tl_topic_resume(t, 4, page1, &s);
    expect_start(&s, 4, true, 3, 0, page1 + 1);
    tl_topic_resume(t, 1, page1 + 1, &s);
    expect_start(&s, 4, false, 0, 0, 0);

    /* later, the clock has moved on: the new page is the current time */
    fake_now_s += 1000;
    publish_n(t, 2);
    TEST_EQ_INT(tl_topic_page(t), fake_now_s);
    tl_store_free(store);
}

static void test_ring(void)
{
    tl_store *store;
    tl_topic *t = new_topic(&store, 10, 0, 0);
    uint64_t page = tl_topic_page(t);
    publish_n(t, TL_RING_MIN + 500);
    /* the ring keeps max(replay, TL_RING_MIN) entries, never more */
    TEST_EQ_INT(tl_topic_end(t) - tl_topic_oldest(t), TL_RING_MIN);
    TEST_EQ_INT(tl_topic_oldest(t), 500);
    TEST_EQ_INT(entry_item(t, 500).seq, 501);
    TEST_EQ_INT(entry_item(t, TL_RING_MIN + 499).seq, TL_RING_MIN + 500);
    /* a stream that delivered up to 100 jumps to the oldest kept (501) */
    struct tl_start s;
    tl_topic_catch_up(t, 100, &s);
    expect_start(&s, 500, true, 100, 500, page);
    /* but a resume only reaches back --replay entries */
    tl_topic_resume(t, 600, page, &s);
    expect_start(&s, TL_RING_MIN + 490, true, 599, TL_RING_MIN + 490, page);
    tl_store_free(store);

    /* a reset marker at the oldest position is skipped by the catch-up */
    t = new_topic(&store, 0, 0, 1000);
    page = tl_topic_page(t);
    publish_n(t, 1000); /* items at 0..999, the marker of page + 1 at 1000 */
    publish_n(t, 1022); /* 1001..2000 items, marker at 2001, 2002..2023 items of page + 2 */
    TEST_EQ_INT(tl_topic_end(t), 2024);
    TEST_EQ_INT(tl_topic_oldest(t), 1000);
    TEST_EQ_INT(tl_topic_entry(t, 1000)->kind, TL_ENTRY_RESET);
    tl_topic_catch_up(t, 7, &s);
    expect_start(&s, 1001, true, 7, 0, page + 1);
    publish_n(t, 1); /* now the oldest is item 1 of page + 1 */
    tl_topic_catch_up(t, 7, &s);
    expect_start(&s, 1001, true, 7, 0, page + 1);
    TEST_EQ_INT(entry_item(t, 1001).seq, 1);
    tl_store_free(store);
}

/* The discontinuity as it goes on the wire: decoded from tl_store_discontinuity(). */
static struct mo_item wire_disc(tl_store *store, const struct tl_start *d)
{
    grpc_slice sl = tl_store_discontinuity(store, d);
    struct mo_item it;
    TEST_EQ_INT(mo_item_decode(GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl), &it), 0);
    TEST_EQ_INT(it.kind, MO_ITEM_DISCONTINUITY);
    grpc_slice_unref(sl);
    return it;
}

static void expect_disc(struct mo_item it, uint64_t last, uint64_t new_seq, uint64_t page)
{
    TEST_EQ_INT(it.kind, MO_ITEM_DISCONTINUITY);
    TEST_EQ_INT(it.last_seq, last);
    TEST_EQ_INT(it.new_seq, new_seq);
    TEST_EQ_INT(it.new_page, page);
}

/* --discontinuity-seq: every discontinuity the server sends, in both readings.
 * `after` (the proto's): the next item is new + 1; `at` (the HTTP API
 * reference's): the next item is new. */
static void test_readings(void)
{
    for (int at = 0; at <= 1; at++) {
        enum tl_disc_reading rd = at ? TL_DISC_AT : TL_DISC_AFTER;
        uint64_t k = (uint64_t)at; /* what `at` adds to new_topic_sequence */
        tl_store *store;
        tl_topic *t = topic_with(&store, (struct tl_store_opts){.replay = 10, .drop_every = 4,
                                                                .reset_after = 30,
                                                                .reading = rd});
        uint64_t page = tl_topic_page(t);
        struct tl_start s;
        publish_n(t, 25); /* 4, 8, ... 24 lost; replay keeps 16..25 */

        /* a lost message: 4 -> the next item is 5 */
        TEST_EQ_INT(tl_topic_entry(t, 3)->kind, TL_ENTRY_DROP);
        expect_disc(entry_item(t, 3), 3, 4 + k, page);
        TEST_EQ_INT(entry_item(t, 4).seq, 5);

        /* replay overflow: resume at 3 -> from 16 */
        tl_topic_resume(t, 3, page, &s);
        expect_start(&s, 15, true, 2, 15, page);
        expect_disc(wire_disc(store, &s), 2, 15 + k, page);
        TEST_EQ_INT(tl_topic_entry(t, s.pos)->seq, 16); /* lost itself: its own discontinuity */

        /* in the future: the next item is 26 */
        tl_topic_resume(t, 40, page, &s);
        expect_disc(wire_disc(store, &s), 39, 25 + k, page);

        /* a slow stream that fell out of the ring jumps to the oldest entry */
        publish_n(t, TL_RING_MIN); /* resets at 30: page + 1 */
        TEST_CHECK(tl_topic_gone(t, 0));
        tl_topic_catch_up(t, 7, &s);
        struct mo_item first = entry_item(t, s.pos);
        uint64_t next = first.kind == MO_ITEM_MESSAGE ? first.seq : first.last_seq + 1;
        expect_disc(wire_disc(store, &s), 7, next - 1 + k, s.page);

        /* a reset: numbering from 1 on the new page */
        tl_store_free(store);
        t = topic_with(&store, (struct tl_store_opts){.replay = 10, .reset_after = 3,
                                                      .reading = rd});
        page = tl_topic_page(t);
        publish_n(t, 4);
        TEST_EQ_INT(tl_topic_entry(t, 3)->kind, TL_ENTRY_RESET);
        expect_disc(entry_item(t, 3), 3, 0 + k, page + 1);
        TEST_EQ_INT(entry_item(t, 4).seq, 1);
        tl_store_free(store);
    }
}

/* --announce-page: a subscribe with no page, or a page the topic no longer
 * has, to a topic with messages: a discontinuity carrying the page, then live. */
static void test_announce(void)
{
    for (int at = 0; at <= 1; at++) {
        enum tl_disc_reading rd = at ? TL_DISC_AT : TL_DISC_AFTER;
        uint64_t k = (uint64_t)at;
        tl_store *store;
        tl_topic *t = topic_with(&store, (struct tl_store_opts){.replay = 100, .reset_after = 20,
                                                                .announce_page = true,
                                                                .reading = rd});
        uint64_t page = tl_topic_page(t);
        struct tl_start s;

        /* no messages yet: nothing to announce; the first item says the page */
        tl_topic_resume(t, 0, 0, &s);
        expect_start(&s, 0, false, 0, 0, 0);

        publish_n(t, 7);
        /* fresh: last unknown (0), the next item is 8 */
        tl_topic_resume(t, 0, 0, &s);
        expect_start(&s, 7, true, 0, 7, page);
        expect_disc(wire_disc(store, &s), 0, 7 + k, page);
        /* page 0 with a number: the number means nothing without a page */
        tl_topic_resume(t, 3, 0, &s);
        expect_start(&s, 7, true, 2, 7, page);
        /* a page the topic does not have */
        tl_topic_resume(t, 5, page - 1, &s);
        expect_start(&s, 7, true, 4, 7, page);
        expect_disc(wire_disc(store, &s), 4, 7 + k, page);
        /* the right page: the ordinary rules, inclusive replay */
        tl_topic_resume(t, 3, page, &s);
        expect_start(&s, 2, false, 0, 0, 0);
        /* the right page, resume 0: live, nothing to announce */
        tl_topic_resume(t, 0, page, &s);
        expect_start(&s, 7, false, 0, 0, 0);

        /* after a reset the old page is gone: announce the new one, even
         * before it has messages (the next item is 1) */
        publish_n(t, 13); /* 20: reset to page + 1 */
        TEST_EQ_INT(tl_topic_page(t), page + 1);
        TEST_EQ_INT(tl_topic_latest(t), 0);
        tl_topic_resume(t, 21, page, &s);
        expect_start(&s, tl_topic_end(t), true, 20, 0, page + 1);
        expect_disc(wire_disc(store, &s), 20, 0 + k, page + 1);
        publish_n(t, 2);
        tl_topic_resume(t, 0, 0, &s);
        expect_start(&s, tl_topic_end(t), true, 0, 2, page + 1);
        tl_store_free(store);
    }

    /* without the option, today's rules: live only, or from the oldest kept */
    tl_store *store;
    tl_topic *t = new_topic(&store, 100, 0, 0);
    uint64_t page = tl_topic_page(t);
    publish_n(t, 7);
    struct tl_start s;
    tl_topic_resume(t, 0, 0, &s);
    expect_start(&s, 7, false, 0, 0, 0);
    tl_topic_resume(t, 3, page - 1, &s);
    expect_start(&s, 0, true, 2, 0, page);
    tl_store_free(store);
}

/* --replay-window: only entries younger than the window are replayed, and a
 * stream whose next entry is older falls behind as if it had left the ring. */
static void test_window(void)
{
    tl_store *store;
    tl_topic *t = topic_with(&store, (struct tl_store_opts){.replay = 4096,
                                                            .window_us = 5 * MO_USEC_PER_SEC});
    uint64_t page = tl_topic_page(t);
    struct tl_start s;
    for (int i = 0; i < 10; i++) { /* seq 1..10, one a second */
        publish_n(t, 1);
        fake_mono += MO_USEC_PER_SEC;
    }
    /* seq n was published 11 - n seconds ago: 10 is 1 s old, 6 is 5 s, 5 is 6 s */
    tl_topic_resume(t, 6, page, &s);
    expect_start(&s, 5, false, 0, 0, 0); /* exactly 5 s old: still kept */
    tl_topic_resume(t, 5, page, &s);
    expect_start(&s, 5, true, 4, 5, page); /* 6 s old: gone, from 6 */
    tl_topic_resume(t, 1, page, &s);
    expect_start(&s, 5, true, 0, 5, page);
    TEST_CHECK(tl_topic_gone(t, 4));
    TEST_CHECK(!tl_topic_gone(t, 5));
    tl_topic_catch_up(t, 3, &s);
    expect_start(&s, 5, true, 3, 5, page);
    /* everything expires: a resume is live, after saying where the topic is */
    fake_mono += 60 * MO_USEC_PER_SEC;
    tl_topic_resume(t, 8, page, &s);
    expect_start(&s, 10, true, 7, 10, page);
    tl_topic_catch_up(t, 8, &s);
    expect_start(&s, 10, true, 8, 10, page);
    TEST_CHECK(tl_topic_gone(t, 9));
    publish_n(t, 1);
    TEST_CHECK(!tl_topic_gone(t, 10));
    tl_topic_resume(t, 11, page, &s);
    expect_start(&s, 10, false, 0, 0, 0);
    tl_store_free(store);

    /* the count still applies with a window: the smaller of the two wins */
    t = topic_with(&store, (struct tl_store_opts){.replay = 3, .window_us = 60 * MO_USEC_PER_SEC});
    page = tl_topic_page(t);
    publish_n(t, 10);
    tl_topic_resume(t, 5, page, &s);
    expect_start(&s, 7, true, 4, 7, page);
    TEST_CHECK(!tl_topic_gone(t, 0)); /* the ring still holds it for a live stream */
    tl_store_free(store);
}

static int notified;
static void on_grew(struct tl_watcher *w) { notified++; }

static void test_caches_and_watchers(void)
{
    const char *caches[] = {"a", "b", "a"};
    struct tl_store_opts o = {.caches = caches, .n_caches = 3, .replay = 5};
    tl_store *store;
    TEST_EQ_INT(tl_store_new(&o, &store), 0);
    TEST_CHECK(tl_store_cache(store, S("a")) != NULL);
    TEST_CHECK(tl_store_cache(store, S("b")) != NULL);
    errno = 0;
    TEST_CHECK(tl_store_cache(store, S("c")) == NULL);
    TEST_EQ_INT(errno, ENOENT);
    TEST_CHECK(tl_store_cache(store, S("ab")) == NULL);
    tl_cache *a = tl_store_cache(store, S("a"));
    TEST_EQ_STR(tl_cache_name(a), "a");
    tl_cache_add_subscribers(a, +1);
    tl_cache_add_subscribers(a, +1);
    tl_cache_add_subscribers(a, -1);
    TEST_EQ_INT(tl_cache_subscribers(a), 1);

    tl_topic *t = tl_cache_topic(a, S("t"));
    struct tl_watcher w1 = {.fn = on_grew}, w2 = {.fn = on_grew};
    tl_topic_watch(t, &w1);
    tl_topic_watch(t, &w2);
    publish_n(t, 2);
    TEST_EQ_INT(notified, 4);
    tl_topic_unwatch(t, &w1);
    tl_topic_unwatch(t, &w1); /* twice is harmless */
    publish_n(t, 1);
    TEST_EQ_INT(notified, 5);
    tl_topic_unwatch(t, &w2);
    tl_store_free(store);
    tl_store_free(NULL);
}

int main(void)
{
    grpc_init();
    mo_clock_override(fake_mono_us, fake_real_ns);
    test_sequence();
    test_resume();
    test_drop();
    test_reset();
    test_ring();
    test_readings();
    test_announce();
    test_window();
    test_caches_and_watchers();
    grpc_shutdown();
    return test_result("test-local-topic");
}
