/* pubsub.h - Momento Topics messages: the requests we send, the items we get.
 *
 * Requests are built with the generated protobuf-c code. Subscription items,
 * the hot path of every subscriber, are read by a small zero-copy decoder
 * (mo_item_decode) that points into the received bytes and never allocates;
 * it reads every item the generated decoder reads the same way (unit-tested
 * and fuzzed against it), skipping unknown fields. It is laxer in two ways:
 * strings need not be valid UTF-8 (they are escaped where they are shown),
 * and a _TopicValue field given twice is merged as the wire format says. It
 * refuses field numbers above 2^29-1 and a field number 0 in several bytes.
 */
#ifndef MO_PUBSUB_H
#define MO_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "src/proto/cachepubsub.pb-c.h"
#include "src/proto/common.pb-c.h"

#define MO_METHOD_PUBLISH "/cache_client.pubsub.Pubsub/Publish"
#define MO_METHOD_SUBSCRIBE "/cache_client.pubsub.Pubsub/Subscribe"

/* The service's payload limit per message (src/proto/README.md §8). */
#define MO_MAX_PAYLOAD 4096

grpc_byte_buffer *mo_subscribe_request(const char *cache, const char *topic, uint64_t resume_at,
                                       uint64_t page);
grpc_byte_buffer *mo_publish_request(const char *cache, const char *topic, const void *value,
                                     size_t len, bool binary);

enum mo_item_kind {
    MO_ITEM_EMPTY,         /* a _SubscriptionItem with no kind set */
    MO_ITEM_MESSAGE,
    MO_ITEM_DISCONTINUITY,
    MO_ITEM_HEARTBEAT,
};

enum mo_value_kind {
    MO_VALUE_NONE, /* the item carried no value */
    MO_VALUE_TEXT,
    MO_VALUE_BINARY,
};

struct mo_item {
    enum mo_item_kind kind;
    /* MO_ITEM_MESSAGE */
    uint64_t seq;
    uint64_t page;
    enum mo_value_kind value_kind;
    const uint8_t *value; /* points into the decoded buffer */
    size_t value_len;
    const char *publisher_id; /* not NUL-terminated; publisher_id_len bytes */
    size_t publisher_id_len;
    /* MO_ITEM_DISCONTINUITY */
    uint64_t last_seq;
    uint64_t new_seq;
    uint64_t new_page;
};

/* Decodes a _TopicValue: its kind (left as is when no member is set) and
 * bytes, pointing into buf. Returns 0 or -EBADMSG. Shared with the server. */
int mo_topic_value_decode(const uint8_t *buf, size_t len, enum mo_value_kind *kind,
                          const uint8_t **value, size_t *value_len);

/* Decodes one _SubscriptionItem. Returns 0, or -EBADMSG for malformed bytes. */
int mo_item_decode(const uint8_t *buf, size_t len, struct mo_item *out);

#endif
