/* pubsub.c - request builders and the zero-copy subscription item decoder. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pbwire.h"
#include "pubsub.h"
#include "rpc.h"

grpc_byte_buffer *mo_subscribe_request(const char *cache, const char *topic, uint64_t resume_at,
                                       uint64_t page)
{
    CacheClient__Pubsub__SubscriptionRequest req = CACHE_CLIENT__PUBSUB____SUBSCRIPTION_REQUEST__INIT;
    req.cache_name = (char *)cache;
    req.topic = (char *)topic;
    req.resume_at_topic_sequence_number = resume_at;
    req.sequence_page = page;
    return mo_pack(&req.base);
}

grpc_byte_buffer *mo_publish_request(const char *cache, const char *topic, const void *value,
                                     size_t len, bool binary)
{
    CacheClient__Pubsub__TopicValue v = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__INIT;
    /* protobuf-c packs a string field with strlen(): give it a terminated copy */
    if (binary) {
        v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_BINARY;
        v.binary.data = (uint8_t *)value;
        v.binary.len = len;
    } else {
        v.kind_case = CACHE_CLIENT__PUBSUB____TOPIC_VALUE__KIND_TEXT;
        char *text = malloc(len + 1);
        if (!text)
            return NULL;
        memcpy(text, value, len);
        text[len] = '\0';
        v.text = text;
    }
    CacheClient__Pubsub__PublishRequest req = CACHE_CLIENT__PUBSUB____PUBLISH_REQUEST__INIT;
    req.cache_name = (char *)cache;
    req.topic = (char *)topic;
    req.value = &v;
    grpc_byte_buffer *bb = mo_pack(&req.base);
    if (!binary)
        free(v.text);
    return bb;
}

/* ---- decoder ---- */

int mo_topic_value_decode(const uint8_t *buf, size_t len, enum mo_value_kind *kind,
                          const uint8_t **value, size_t *value_len)
{
    struct mo_pb r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        if (f == 1 || f == 2) {
            /* a later oneof member replaces an earlier one */
            if (mo_pb_ld(&r, wt, value, value_len) < 0)
                return -EBADMSG;
            *kind = f == 1 ? MO_VALUE_TEXT : MO_VALUE_BINARY;
        } else if (mo_pb_skip(&r, wt) < 0) {
            return -EBADMSG;
        }
    }
    return 0;
}

static int decode_topic_item(const uint8_t *buf, size_t len, struct mo_item *o)
{
    struct mo_pb r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        const uint8_t *d;
        size_t n;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        switch (f) {
        case 1:
            if (mo_pb_u64(&r, wt, &o->seq) < 0)
                return -EBADMSG;
            break;
        case 2:
            if (mo_pb_ld(&r, wt, &d, &n) < 0 ||
                mo_topic_value_decode(d, n, &o->value_kind, &o->value, &o->value_len) < 0)
                return -EBADMSG;
            break;
        case 3:
            if (mo_pb_ld(&r, wt, &d, &n) < 0)
                return -EBADMSG;
            o->publisher_id = (const char *)d;
            o->publisher_id_len = n;
            break;
        case 4:
            if (mo_pb_u64(&r, wt, &o->page) < 0)
                return -EBADMSG;
            break;
        default:
            if (mo_pb_skip(&r, wt) < 0)
                return -EBADMSG;
        }
    }
    return 0;
}

static int decode_discontinuity(const uint8_t *buf, size_t len, struct mo_item *o)
{
    struct mo_pb r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        uint64_t *dst = f == 1 ? &o->last_seq : f == 2 ? &o->new_seq : f == 3 ? &o->new_page : NULL;
        if (dst ? mo_pb_u64(&r, wt, dst) < 0 : mo_pb_skip(&r, wt) < 0)
            return -EBADMSG;
    }
    return 0;
}

int mo_item_decode(const uint8_t *buf, size_t len, struct mo_item *o)
{
    memset(o, 0, sizeof *o);
    struct mo_pb r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        const uint8_t *d;
        size_t n;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        if (f >= 1 && f <= 3) {
            if (mo_pb_ld(&r, wt, &d, &n) < 0)
                return -EBADMSG;
            /* a later oneof member replaces an earlier one */
            memset(o, 0, sizeof *o);
            int rc = 0;
            if (f == 1) {
                o->kind = MO_ITEM_MESSAGE;
                rc = decode_topic_item(d, n, o);
            } else if (f == 2) {
                o->kind = MO_ITEM_DISCONTINUITY;
                rc = decode_discontinuity(d, n, o);
            } else {
                o->kind = MO_ITEM_HEARTBEAT;
                struct mo_pb hb = {d, d + n};
                while (rc == 0 && hb.p < hb.end) {
                    uint32_t hf;
                    int hwt;
                    rc = mo_pb_tag(&hb, &hf, &hwt) < 0 ? -EBADMSG : mo_pb_skip(&hb, hwt);
                }
            }
            if (rc < 0)
                return -EBADMSG;
        } else if (mo_pb_skip(&r, wt) < 0) {
            return -EBADMSG;
        }
    }
    return 0;
}
