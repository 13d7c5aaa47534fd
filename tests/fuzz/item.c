/* item.c - fuzz target: the subscription item decoder (mo_item_decode, pubsub.h).
 *
 * The input is the bytes of one _SubscriptionItem as a stream delivers them.
 * Beyond memory safety, every input is also decoded by the generated protobuf-c
 * decoder (as tests/unit/test-pubsub.c does): what protobuf-c accepts, ours
 * accepts with the same values. Strings are compared as protobuf-c keeps them
 * (cut at a NUL); the zero-copy decoder keeps every byte. Ours may accept
 * more (protobuf-c 1.4 refuses a string that is not UTF-8), and refuses one
 * thing protobuf-c reads (fuzz_odd_tag).
 */
#include <config.h>

#include <errno.h>

#include "fuzz.h"
#include "pubsub.h"

/* Our bytes b[0..n) against a string protobuf-c unpacked: equal up to its NUL. */
static void check_str(const char *pb, const void *b, size_t n)
{
    size_t l = strlen(pb);
    FUZZ_CHECK(l <= n);
    FUZZ_CHECK(l == 0 || memcmp(pb, b, l) == 0);
    FUZZ_CHECK(l == n || ((const char *)b)[l] == '\0');
}

static void check_inside(const uint8_t *data, size_t size, const void *p, size_t n)
{
    if (n == 0)
        return;
    FUZZ_CHECK((const uint8_t *)p >= data && (const uint8_t *)p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mo_item it;
    int r = mo_item_decode(data, size, &it);
    FUZZ_CHECK(r == 0 || r == -EBADMSG);

    CacheClient__Pubsub__SubscriptionItem *pb =
        cache_client__pubsub____subscription_item__unpack(NULL, size, data);
    if (pb && r < 0)
        FUZZ_CHECK(fuzz_odd_tag(data, size));
    if (!pb || r < 0) {
        cache_client__pubsub____subscription_item__free_unpacked(pb, NULL);
        return 0;
    }

    switch (pb->kind_case) {
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND__NOT_SET:
        FUZZ_CHECK(it.kind == MO_ITEM_EMPTY);
        break;
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_ITEM: {
        const CacheClient__Pubsub__TopicItem *ti = pb->item;
        FUZZ_CHECK(it.kind == MO_ITEM_MESSAGE);
        FUZZ_CHECK(it.seq == ti->topic_sequence_number);
        FUZZ_CHECK(it.page == ti->sequence_page);
        check_inside(data, size, it.publisher_id, it.publisher_id_len);
        check_str(ti->publisher_id, it.publisher_id, it.publisher_id_len);
        check_inside(data, size, it.value, it.value_len);
        const CacheClient__Pubsub__TopicValue *tv = ti->value;
        const uint8_t *last = NULL;
        size_t last_len = 0;
        FUZZ_CHECK(fuzz_pb_count(data, size, 1, &last, &last_len) >= 1);
        if (fuzz_pb_count(last, last_len, 2, &last, &last_len) > 1) {
            /* merged values: see fuzz_pb_count */
        } else if (!tv || tv->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND__NOT_SET) {
            FUZZ_CHECK(it.value_kind == MO_VALUE_NONE);
        } else if (tv->kind_case == CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT) {
            FUZZ_CHECK(it.value_kind == MO_VALUE_TEXT);
            check_str(tv->text, it.value, it.value_len);
        } else {
            FUZZ_CHECK(it.value_kind == MO_VALUE_BINARY);
            FUZZ_CHECK(it.value_len == tv->binary.len);
            FUZZ_CHECK(it.value_len == 0 || memcmp(it.value, tv->binary.data, it.value_len) == 0);
        }
        break;
    }
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_DISCONTINUITY:
        FUZZ_CHECK(it.kind == MO_ITEM_DISCONTINUITY);
        FUZZ_CHECK(it.last_seq == pb->discontinuity->last_topic_sequence);
        FUZZ_CHECK(it.new_seq == pb->discontinuity->new_topic_sequence);
        FUZZ_CHECK(it.new_page == pb->discontinuity->new_sequence_page);
        break;
    case CACHE_CLIENT__PUBSUB____SUBSCRIPTION_ITEM__KIND_HEARTBEAT:
        FUZZ_CHECK(it.kind == MO_ITEM_HEARTBEAT);
        break;
    default:
        FUZZ_CHECK(!"unknown kind from protobuf-c");
    }
    cache_client__pubsub____subscription_item__free_unpacked(pb, NULL);
    return 0;
}
