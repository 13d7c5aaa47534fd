/* Unit tests for the protocol: request builders and the zero-copy item decoder,
 * checked against the generated protobuf-c code. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include <grpc/grpc.h>

#include "pubsub.h"
#include "rpc.h"
#include "test.h"

static size_t pack_item(const CacheClient__Pubsub__SubscriptionItem *it, uint8_t *buf)
{
    return cache_client__pubsub____subscription_item__pack(it, buf);
}

static void check_against_protobuf_c(const uint8_t *buf, size_t len)
{
    CacheClient__Pubsub__SubscriptionItem *ref =
        cache_client__pubsub____subscription_item__unpack(NULL, len, buf);
    struct mo_item it;
    int r = mo_item_decode(buf, len, &it);
    if (!ref)
        return; /* protobuf-c refused it; our decoder may be more lenient */
    TEST_EQ_INT(r, 0);
    switch (ref->kind_case) {
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_ITEM: {
        TEST_EQ_INT(it.kind, MO_ITEM_MESSAGE);
        TEST_CHECK(it.seq == ref->item->topic_sequence_number);
        TEST_CHECK(it.page == ref->item->sequence_page);
        /* protobuf-c keeps strings NUL-terminated, so a string with an embedded
         * NUL looks shorter there: compare up to its strlen and expect the NUL */
        size_t plen = strlen(ref->item->publisher_id);
        TEST_CHECK(it.publisher_id_len == plen ||
                   (it.publisher_id_len > plen && it.publisher_id[plen] == '\0'));
        TEST_CHECK(plen == 0 || memcmp(it.publisher_id, ref->item->publisher_id, plen) == 0);
        const CacheClient__Pubsub__TopicValue *v = ref->item->value;
        if (!v || v->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND__NOT_SET) {
            TEST_EQ_INT(it.value_kind, MO_VALUE_NONE);
        } else if (v->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT) {
            TEST_EQ_INT(it.value_kind, MO_VALUE_TEXT);
            size_t tlen = strlen(v->text);
            TEST_CHECK(it.value_len == tlen || (it.value_len > tlen && it.value[tlen] == '\0'));
            TEST_CHECK(memcmp(it.value, v->text, tlen) == 0);
        } else {
            TEST_EQ_INT(it.value_kind, MO_VALUE_BINARY);
            TEST_EQ_INT(it.value_len, v->binary.len);
            TEST_CHECK(it.value_len == 0 || memcmp(it.value, v->binary.data, it.value_len) == 0);
        }
        break;
    }
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_DISCONTINUITY:
        TEST_EQ_INT(it.kind, MO_ITEM_DISCONTINUITY);
        TEST_CHECK(it.last_seq == ref->discontinuity->last_topic_sequence);
        TEST_CHECK(it.new_seq == ref->discontinuity->new_topic_sequence);
        TEST_CHECK(it.new_page == ref->discontinuity->new_sequence_page);
        break;
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_HEARTBEAT:
        TEST_EQ_INT(it.kind, MO_ITEM_HEARTBEAT);
        break;
    default:
        TEST_EQ_INT(it.kind, MO_ITEM_EMPTY);
    }
    cache_client__pubsub____subscription_item__free_unpacked(ref, NULL);
}

static void test_items(void)
{
    uint8_t buf[8192];
    size_t n;

    /* heartbeat: 1A 00 */
    CacheClient__Pubsub__Heartbeat hb = CACHE_CLIENT__PUBSUB____HEARTBEAT__INIT;
    CacheClient__Pubsub__SubscriptionItem it = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
    it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_HEARTBEAT;
    it.heartbeat = &hb;
    n = pack_item(&it, buf);
    TEST_EQ_INT(n, 2);
    TEST_EQ_INT(buf[0], 0x1a);
    TEST_EQ_INT(buf[1], 0x00);
    struct mo_item d;
    TEST_EQ_INT(mo_item_decode(buf, n, &d), 0);
    TEST_EQ_INT(d.kind, MO_ITEM_HEARTBEAT);

    /* text and binary items with and without publisher id and page */
    const char *texts[] = {"", "x", "{\"timestamp\":\"2026-01-01T00:00:00Z\"}"};
    const uint64_t seqs[] = {1, 127, 128, 300, UINT64_MAX};
    for (size_t ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < 5; si++)
            for (int binary = 0; binary < 2; binary++) {
                CacheClient__Pubsub__TopicValue v = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__INIT;
                if (binary) {
                    v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_BINARY;
                    v.binary.data = (uint8_t *)texts[ti];
                    v.binary.len = strlen(texts[ti]);
                } else {
                    v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT;
                    v.text = (char *)texts[ti];
                }
                CacheClient__Pubsub__TopicItem ti_ = CACHE_CLIENT__PUBSUB____TOPIC_ITEM__INIT;
                ti_.topic_sequence_number = seqs[si];
                ti_.sequence_page = si * 1000003;
                ti_.publisher_id = (char *)(si % 2 ? "pub-1" : "");
                ti_.value = &v;
                it = (CacheClient__Pubsub__SubscriptionItem)CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
                it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_ITEM;
                it.item = &ti_;
                n = pack_item(&it, buf);
                check_against_protobuf_c(buf, n);
                TEST_EQ_INT(mo_item_decode(buf, n, &d), 0);
                TEST_EQ_INT(d.value_kind, binary ? MO_VALUE_BINARY : MO_VALUE_TEXT);
                TEST_CHECK(d.seq == seqs[si]);
                /* every truncation is either rejected or (for a prefix ending on a
                 * field boundary) decoded without reading past the end */
                for (size_t cut = 0; cut < n; cut++) {
                    struct mo_item t;
                    int r = mo_item_decode(buf, cut, &t);
                    TEST_CHECK(r == 0 || r == -EBADMSG);
                }
            }

    /* discontinuity */
    CacheClient__Pubsub__Discontinuity dc = CACHE_CLIENT__PUBSUB____DISCONTINUITY__INIT;
    dc.last_topic_sequence = 41;
    dc.new_topic_sequence = 99;
    dc.new_sequence_page = 7;
    it = (CacheClient__Pubsub__SubscriptionItem)CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
    it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_DISCONTINUITY;
    it.discontinuity = &dc;
    n = pack_item(&it, buf);
    TEST_EQ_INT(mo_item_decode(buf, n, &d), 0);
    TEST_EQ_INT(d.kind, MO_ITEM_DISCONTINUITY);
    TEST_EQ_INT(d.last_seq, 41);
    TEST_EQ_INT(d.new_seq, 99);
    TEST_EQ_INT(d.new_page, 7);

    /* empty item, unknown fields skipped, malformed */
    TEST_EQ_INT(mo_item_decode(buf, 0, &d), 0);
    TEST_EQ_INT(d.kind, MO_ITEM_EMPTY);
    const uint8_t unknown[] = {0x28, 0x05, 0x1a, 0x00, 0x35, 1, 2, 3, 4};
    TEST_EQ_INT(mo_item_decode(unknown, sizeof unknown, &d), 0);
    TEST_EQ_INT(d.kind, MO_ITEM_HEARTBEAT);
    const uint8_t bad_len[] = {0x0a, 0x05, 0x08};
    TEST_EQ_INT(mo_item_decode(bad_len, sizeof bad_len, &d), -EBADMSG);
    const uint8_t bad_wt[] = {0x08, 0x01}; /* field 1 as a varint */
    TEST_EQ_INT(mo_item_decode(bad_wt, sizeof bad_wt, &d), -EBADMSG);
    const uint8_t bad_varint[] = {0x0a, 0x03, 0x08, 0xff, 0xff};
    TEST_EQ_INT(mo_item_decode(bad_varint, sizeof bad_varint, &d), -EBADMSG);
    const uint8_t group[] = {0x0b};
    TEST_EQ_INT(mo_item_decode(group, sizeof group, &d), -EBADMSG);

    /* random mutations: whatever protobuf-c accepts, we accept with equal fields */
    srand(11);
    CacheClient__Pubsub__TopicValue v = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__INIT;
    v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT;
    v.text = (char *)"hello world";
    CacheClient__Pubsub__TopicItem ti = CACHE_CLIENT__PUBSUB____TOPIC_ITEM__INIT;
    ti.topic_sequence_number = 12345;
    ti.sequence_page = 99;
    ti.publisher_id = (char *)"abc";
    ti.value = &v;
    it = (CacheClient__Pubsub__SubscriptionItem)CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
    it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_ITEM;
    it.item = &ti;
    uint8_t orig[256];
    size_t on = pack_item(&it, orig);
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, orig, on);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++)
            buf[rand() % on] = (uint8_t)rand();
        check_against_protobuf_c(buf, on);
    }
}

static void test_requests(void)
{
    grpc_byte_buffer *bb = mo_subscribe_request("c", "t", 5, 9);
    grpc_slice s;
    TEST_CHECK(mo_bb_read(bb, &s));
    const uint8_t want[] = {0x0a, 1, 'c', 0x12, 1, 't', 0x18, 5, 0x20, 9};
    TEST_EQ_INT(GRPC_SLICE_LENGTH(s), sizeof want);
    TEST_CHECK(memcmp(GRPC_SLICE_START_PTR(s), want, sizeof want) == 0);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    /* a text value containing a NUL byte would be cut by protobuf-c's strlen;
     * check the text path keeps exactly len bytes */
    bb = mo_publish_request("cache", "topic", "hi", 2, false);
    TEST_CHECK(mo_bb_read(bb, &s));
    CacheClient__Pubsub__PublishRequest *p = cache_client__pubsub____publish_request__unpack(
        NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    TEST_CHECK(p != NULL);
    if (p) {
        TEST_EQ_STR(p->cache_name, "cache");
        TEST_EQ_STR(p->topic, "topic");
        TEST_EQ_INT(p->value->kind_case, CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT);
        TEST_EQ_STR(p->value->text, "hi");
        cache_client__pubsub____publish_request__free_unpacked(p, NULL);
    }
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    bb = mo_publish_request("cache", "topic", "\x00\x01\x02", 3, true);
    TEST_CHECK(mo_bb_read(bb, &s));
    p = cache_client__pubsub____publish_request__unpack(NULL, GRPC_SLICE_LENGTH(s),
                                                        GRPC_SLICE_START_PTR(s));
    TEST_CHECK(p && p->value->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_BINARY &&
               p->value->binary.len == 3);
    if (p)
        cache_client__pubsub____publish_request__free_unpacked(p, NULL);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);
}

static void test_status_names(void)
{
    TEST_EQ_STR(mo_status_name(GRPC_STATUS_UNAVAILABLE), "UNAVAILABLE");
    TEST_EQ_STR(mo_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    TEST_EQ_STR(mo_status_name((grpc_status_code)99), "UNKNOWN_STATUS");
    TEST_EQ_INT(mo_status_parse("unavailable"), 14);
    TEST_EQ_INT(mo_status_parse("resource-exhausted"), 8);
    TEST_EQ_INT(mo_status_parse("NOT_FOUND"), 5);
    TEST_EQ_INT(mo_status_parse("16"), 16);
    TEST_EQ_INT(mo_status_parse("17"), -1);
    TEST_EQ_INT(mo_status_parse("bogus"), -1);
}

int main(void)
{
    grpc_init();
    test_items();
    test_requests();
    test_status_names();
    grpc_shutdown();
    return test_result("test-pubsub");
}
