/* wire.c - fuzz target: momento-topics-local's request decoders (src/local/wire.h).
 *
 * The first byte picks the request: even a _PublishRequest
 * (tl_wire_publish_decode), odd a _SubscriptionRequest
 * (tl_wire_subscribe_decode); the rest is the request's bytes as a client
 * sends them. Each is also decoded by the generated protobuf-c decoder (as
 * tests/unit/test-local-wire.c does): what protobuf-c accepts, ours accepts
 * with the same values (names compared as protobuf-c keeps them, cut at a NUL;
 * wire.h keeps every byte). Ours may accept more (protobuf-c 1.4 refuses a
 * string that is not UTF-8), and refuses one thing protobuf-c reads
 * (fuzz_odd_tag).
 */
#include <config.h>

#include <errno.h>

#include "fuzz.h"
#include "pubsub.h"
#include "wire.h"

static void check_str(const char *pb, const void *b, size_t n)
{
    size_t l = strlen(pb);
    FUZZ_CHECK(l <= n);
    FUZZ_CHECK(l == 0 || memcmp(pb, b, l) == 0);
    FUZZ_CHECK(l == n || ((const char *)b)[l] == '\0');
}

static void check_name(const uint8_t *data, size_t size, struct tl_str s, const char *pb)
{
    if (s.len)
        FUZZ_CHECK((const uint8_t *)s.p >= data && (const uint8_t *)s.p + s.len <= data + size);
    check_str(pb, s.p, s.len);
    (void)tl_str_blank(s);
}

static void publish(const uint8_t *data, size_t size)
{
    struct tl_publish_req q;
    int r = tl_wire_publish_decode(data, size, &q);
    FUZZ_CHECK(r == 0 || r == -EBADMSG);
    CacheClient__Pubsub__PublishRequest *pb =
        cache_client__pubsub____publish_request__unpack(NULL, size, data);
    if (pb && r < 0)
        FUZZ_CHECK(fuzz_odd_tag(data, size));
    if (!pb || r < 0) {
        cache_client__pubsub____publish_request__free_unpacked(pb, NULL);
        return;
    }
    check_name(data, size, q.cache, pb->cache_name);
    check_name(data, size, q.topic, pb->topic);
    const uint8_t *last;
    size_t last_len;
    if (fuzz_pb_count(data, size, 3, &last, &last_len) > 1) { /* merged values: see fuzz_pb_count */
        cache_client__pubsub____publish_request__free_unpacked(pb, NULL);
        return;
    }
    const CacheClient__Pubsub__TopicValue *v = pb->value;
    bool pb_has = v && v->kind_case != CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND__NOT_SET;
    FUZZ_CHECK(q.has_value == pb_has);
    if (q.has_value) {
        if (q.value_len)
            FUZZ_CHECK(q.value >= data && q.value + q.value_len <= data + size);
        if (v->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT) {
            FUZZ_CHECK(!q.binary);
            check_str(v->text, q.value, q.value_len);
        } else {
            FUZZ_CHECK(q.binary);
            FUZZ_CHECK(q.value_len == v->binary.len);
            FUZZ_CHECK(q.value_len == 0 || memcmp(q.value, v->binary.data, q.value_len) == 0);
        }
    }
    cache_client__pubsub____publish_request__free_unpacked(pb, NULL);
}

static void subscribe(const uint8_t *data, size_t size)
{
    struct tl_subscribe_req q;
    int r = tl_wire_subscribe_decode(data, size, &q);
    FUZZ_CHECK(r == 0 || r == -EBADMSG);
    CacheClient__Pubsub__SubscriptionRequest *pb =
        cache_client__pubsub____subscription_request__unpack(NULL, size, data);
    if (pb && r < 0)
        FUZZ_CHECK(fuzz_odd_tag(data, size));
    if (!pb || r < 0) {
        cache_client__pubsub____subscription_request__free_unpacked(pb, NULL);
        return;
    }
    check_name(data, size, q.cache, pb->cache_name);
    check_name(data, size, q.topic, pb->topic);
    FUZZ_CHECK(q.resume_at == pb->resume_at_topic_sequence_number);
    FUZZ_CHECK(q.page == pb->sequence_page);
    cache_client__pubsub____subscription_request__free_unpacked(pb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t which = fuzz_byte(&data, &size);
    if (which & 1)
        subscribe(data, size);
    else
        publish(data, size);
    return 0;
}
