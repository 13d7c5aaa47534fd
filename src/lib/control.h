/* control.h - the control plane's cache calls: requests, answers, limits.
 *
 * CreateCache, DeleteCache and ListCaches of the service's ScsControl
 * (src/proto/README.md §13), built and read with the generated protobuf-c
 * code. The daemon lists caches to learn each one's topic limits; the local
 * server answers all three. Both sides meet here, so both read the same
 * field numbers.
 */
#ifndef MO_CONTROL_H
#define MO_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "src/proto/controlclient.pb-c.h"

#define MO_METHOD_CREATE_CACHE "/control_client.ScsControl/CreateCache"
#define MO_METHOD_DELETE_CACHE "/control_client.ScsControl/DeleteCache"
#define MO_METHOD_LIST_CACHES "/control_client.ScsControl/ListCaches"

/* What the account allows a cache's topics (_TopicLimits); 0: not given. */
struct mo_topic_limits {
    uint32_t max_publish_rate;            /* messages published per second */
    uint32_t max_subscription_count;      /* subscriptions open at once on the cache */
    uint32_t max_publish_message_size_kb; /* one message, KiB */
};

/* A CreateCache or DeleteCache request (both carry only the name). */
grpc_byte_buffer *mo_cache_name_request(const char *cache);
/* A ListCaches request; next_token NULL or "" for the first page. */
grpc_byte_buffer *mo_list_caches_request(const char *next_token);

/* The cache name of a CreateCache/DeleteCache request, or the next_token of
 * a ListCaches request (they share field 1), as a new C string; NULL when
 * the bytes are not such a message (or out of memory: errno ENOMEM). */
char *mo_control_request_name(const uint8_t *buf, size_t len);

/* One page of a ListCaches answer. */
struct mo_cache_list {
    ControlClient__ListCachesResponse *msg;
};
/* Decodes a _ListCachesResponse; false when the bytes are not one. */
bool mo_cache_list_decode(const uint8_t *buf, size_t len, struct mo_cache_list *ret);
size_t mo_cache_list_count(const struct mo_cache_list *l);
const char *mo_cache_list_name(const struct mo_cache_list *l, size_t i);
/* The topic limits of entry i; false when the entry carried none. */
bool mo_cache_list_limits(const struct mo_cache_list *l, size_t i, struct mo_topic_limits *ret);
/* The token for the next page, or NULL when this was the last. */
const char *mo_cache_list_next(const struct mo_cache_list *l);
void mo_cache_list_free(struct mo_cache_list *l);

/* Builds a _ListCachesResponse of n caches, each with `limits` (NULL: no
 * _TopicLimits), as one new slice; next_token NULL for the last page. */
struct mo_cache_entry {
    const char *name;
    const struct mo_topic_limits *limits;
};
grpc_slice mo_cache_list_encode(const struct mo_cache_entry *caches, size_t n,
                                const char *next_token);

#endif
