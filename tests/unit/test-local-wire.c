/* Unit tests for momento-topics-local's hand-written protobuf (src/local/wire.c),
 * checked byte for byte against the generated protobuf-c code. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include <grpc/grpc.h>

#include "pubsub.h"
#include "rpc.h"
#include "test.h"
#include "wire.h"

static void check_same(grpc_slice s, const ProtobufCMessage *ref)
{
    size_t n = protobuf_c_message_get_packed_size(ref);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(ref, buf);
    TEST_EQ_INT(GRPC_SLICE_LENGTH(s), n);
    TEST_CHECK(GRPC_SLICE_LENGTH(s) == n && memcmp(GRPC_SLICE_START_PTR(s), buf, n) == 0);
    free(buf);
    grpc_slice_unref(s);
}

static void check_item(uint64_t seq, uint64_t page, bool binary, const char *value, size_t len,
                       const char *pid)
{
    CacheClient__Pubsub__TopicValue v = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__INIT;
    if (binary) {
        v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_BINARY;
        v.binary.data = (uint8_t *)value;
        v.binary.len = len;
    } else {
        v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT;
        v.text = (char *)value;
    }
    CacheClient__Pubsub__TopicItem ti = CACHE_CLIENT__PUBSUB____TOPIC_ITEM__INIT;
    ti.topic_sequence_number = seq;
    ti.sequence_page = page;
    ti.value = &v;
    ti.publisher_id = (char *)pid;
    CacheClient__Pubsub__SubscriptionItem it = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
    it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_ITEM;
    it.item = &ti;
    check_same(tl_wire_item(seq, page, binary, (const uint8_t *)value, len, pid, strlen(pid)),
               &it.base);

    /* and the subscribers' decoder reads it back */
    grpc_slice s = tl_wire_item(seq, page, binary, (const uint8_t *)value, len, pid, strlen(pid));
    struct mo_item m;
    TEST_EQ_INT(mo_item_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &m), 0);
    TEST_EQ_INT(m.kind, MO_ITEM_MESSAGE);
    TEST_CHECK(m.seq == seq && m.page == page);
    TEST_EQ_INT(m.value_kind, binary ? MO_VALUE_BINARY : MO_VALUE_TEXT);
    TEST_EQ_INT(m.value_len, len);
    TEST_CHECK(len == 0 || memcmp(m.value, value, len) == 0);
    TEST_EQ_INT(m.publisher_id_len, strlen(pid));
    grpc_slice_unref(s);
}

static void test_encode(void)
{
    check_item(1, 1795000000, false, "hello", 5, "");
    check_item(1, 1795000000, false, "", 0, "");          /* empty text: the oneof is still set */
    check_item(300, 1795000000, true, "\x00\x01\xff", 3, "token-id-1");
    check_item(UINT64_MAX, UINT64_MAX, true, "", 0, "p");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    check_item(127, 128, false, big, sizeof big - 1, "");  /* multi-byte lengths */
    check_item(16384, 2, true, big, 200, "");

    const uint64_t triples[][3] = {{0, 0, 0}, {4, 5, 1795000000}, {0, 7, 1}, {UINT64_MAX, 0, 9}};
    for (size_t i = 0; i < sizeof triples / sizeof triples[0]; i++) {
        CacheClient__Pubsub__Discontinuity d = CACHE_CLIENT__PUBSUB____DISCONTINUITY__INIT;
        d.last_topic_sequence = triples[i][0];
        d.new_topic_sequence = triples[i][1];
        d.new_sequence_page = triples[i][2];
        CacheClient__Pubsub__SubscriptionItem it = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
        it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_DISCONTINUITY;
        it.discontinuity = &d;
        check_same(tl_wire_discontinuity(triples[i][0], triples[i][1], triples[i][2]), &it.base);
    }

    CacheClient__Pubsub__Heartbeat hb = CACHE_CLIENT__PUBSUB____HEARTBEAT__INIT;
    CacheClient__Pubsub__SubscriptionItem it = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__INIT;
    it.kind_case = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_HEARTBEAT;
    it.heartbeat = &hb;
    check_same(tl_wire_heartbeat(), &it.base);
}

static bool str_is(struct tl_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void test_decode_publish(void)
{
    grpc_slice s;
    struct tl_publish_req r;

    grpc_byte_buffer *bb = mo_publish_request("cache-a", "topic-b", "hi there", 8, false);
    TEST_CHECK(mo_bb_read(bb, &s));
    TEST_EQ_INT(tl_wire_publish_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &r), 0);
    TEST_CHECK(str_is(r.cache, "cache-a"));
    TEST_CHECK(str_is(r.topic, "topic-b"));
    TEST_CHECK(r.has_value && !r.binary);
    TEST_EQ_INT(r.value_len, 8);
    TEST_CHECK(memcmp(r.value, "hi there", 8) == 0);
    /* every truncation is malformed, never a crash or a read past the end */
    for (size_t cut = 1; cut < GRPC_SLICE_LENGTH(s); cut++) {
        struct tl_publish_req t;
        int rc = tl_wire_publish_decode(GRPC_SLICE_START_PTR(s), cut, &t);
        TEST_CHECK(rc == 0 || rc == -EBADMSG);
    }
    TEST_EQ_INT(tl_wire_publish_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s) - 1, &r),
                -EBADMSG);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    bb = mo_publish_request("c", "t", "\x00\x01", 2, true);
    TEST_CHECK(mo_bb_read(bb, &s));
    TEST_EQ_INT(tl_wire_publish_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &r), 0);
    TEST_CHECK(r.has_value && r.binary && r.value_len == 2 && r.value[1] == 1);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    /* no value; an unknown field (9, varint) is skipped */
    const uint8_t novalue[] = {0x0a, 0x01, 'c', 0x12, 0x01, 't', 0x48, 0x05};
    TEST_EQ_INT(tl_wire_publish_decode(novalue, sizeof novalue, &r), 0);
    TEST_CHECK(!r.has_value && str_is(r.cache, "c") && str_is(r.topic, "t"));
    /* empty _TopicValue: present but no kind */
    const uint8_t emptyvalue[] = {0x0a, 0x01, 'c', 0x1a, 0x00};
    TEST_EQ_INT(tl_wire_publish_decode(emptyvalue, sizeof emptyvalue, &r), 0);
    TEST_CHECK(!r.has_value);
    /* a string field with the wire type of a varint is malformed */
    const uint8_t badtype[] = {0x08, 0x01};
    TEST_EQ_INT(tl_wire_publish_decode(badtype, sizeof badtype, &r), -EBADMSG);
    /* field number 0 is malformed */
    const uint8_t field0[] = {0x02, 0x00};
    TEST_EQ_INT(tl_wire_publish_decode(field0, sizeof field0, &r), -EBADMSG);
    TEST_EQ_INT(tl_wire_publish_decode(NULL, 0, &r), 0); /* all fields absent */
    TEST_CHECK(r.cache.len == 0 && !r.has_value);
}

static void test_decode_subscribe(void)
{
    grpc_slice s;
    struct tl_subscribe_req r;
    grpc_byte_buffer *bb = mo_subscribe_request("cache", "topic", 42, 1795000000);
    TEST_CHECK(mo_bb_read(bb, &s));
    TEST_EQ_INT(tl_wire_subscribe_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &r), 0);
    TEST_CHECK(str_is(r.cache, "cache") && str_is(r.topic, "topic"));
    TEST_CHECK(r.resume_at == 42 && r.page == 1795000000);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    /* an older client: fields 3 and 4 absent */
    bb = mo_subscribe_request("c", "t", 0, 0);
    TEST_CHECK(mo_bb_read(bb, &s));
    TEST_EQ_INT(tl_wire_subscribe_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &r), 0);
    TEST_CHECK(r.resume_at == 0 && r.page == 0);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);

    const uint8_t bad[] = {0x18, 0xff}; /* truncated varint */
    TEST_EQ_INT(tl_wire_subscribe_decode(bad, sizeof bad, &r), -EBADMSG);
    const uint8_t group[] = {0x0b}; /* wire type 3 (group) */
    TEST_EQ_INT(tl_wire_subscribe_decode(group, sizeof group, &r), -EBADMSG);
}

/* --fault-malformed-every: what the subscribers' decoder and the generated
 * one make of it. Garbled: neither reads it. No kind: both read it, and find
 * no kind set. */
static void test_malformed(void)
{
    grpc_slice s = tl_wire_malformed(false);
    struct mo_item m;
    TEST_EQ_INT(mo_item_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &m), -EBADMSG);
    CacheClient__Pubsub__SubscriptionItem *it =
        cache_client__pubsub____subscription_item__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    TEST_CHECK(it == NULL);
    grpc_slice_unref(s);

    s = tl_wire_malformed(true);
    TEST_EQ_INT(mo_item_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &m), 0);
    TEST_EQ_INT(m.kind, MO_ITEM_EMPTY);
    it = cache_client__pubsub____subscription_item__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    TEST_CHECK(it != NULL && it->kind_case == CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND__NOT_SET);
    if (it)
        cache_client__pubsub____subscription_item__free_unpacked(it, NULL);
    grpc_slice_unref(s);
}

static void test_blank(void)
{
    TEST_CHECK(tl_str_blank((struct tl_str){"", 0}));
    TEST_CHECK(tl_str_blank((struct tl_str){" \t\n", 3}));
    TEST_CHECK(!tl_str_blank((struct tl_str){" a ", 3}));
}

int main(void)
{
    grpc_init();
    test_encode();
    test_decode_publish();
    test_decode_subscribe();
    test_malformed();
    test_blank();
    grpc_shutdown();
    return test_result("test-local-wire");
}
