/* pubsub.c - request builders and the zero-copy subscription item decoder. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

struct rd {
    const uint8_t *p, *end;
};

static int varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -EBADMSG;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -EBADMSG;
}

/* Reads a tag; wire types 3 and 4 (groups) are rejected as protobuf-c does for proto3. */
static int tag(struct rd *r, uint32_t *field, int *wt)
{
    uint64_t t;
    if (varint(r, &t) < 0)
        return -EBADMSG;
    *field = (uint32_t)(t >> 3);
    *wt = (int)(t & 7);
    if (*field == 0 || t >> 3 > 0x1fffffff)
        return -EBADMSG;
    return 0;
}

static int bytes(struct rd *r, const uint8_t **data, size_t *len)
{
    uint64_t n;
    if (varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
        return -EBADMSG;
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

static int skip(struct rd *r, int wt)
{
    uint64_t v;
    const uint8_t *d;
    size_t n;
    switch (wt) {
    case 0:
        return varint(r, &v);
    case 1:
        if (r->end - r->p < 8)
            return -EBADMSG;
        r->p += 8;
        return 0;
    case 2:
        return bytes(r, &d, &n);
    case 5:
        if (r->end - r->p < 4)
            return -EBADMSG;
        r->p += 4;
        return 0;
    default:
        return -EBADMSG;
    }
}

/* Reads a uint64 field of wire type 0; a wrong wire type is malformed. */
static int u64_field(struct rd *r, int wt, uint64_t *out)
{
    if (wt != 0)
        return -EBADMSG;
    return varint(r, out);
}

static int decode_value(const uint8_t *buf, size_t len, struct mo_item *o)
{
    struct rd r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        if (f == 1 || f == 2) {
            if (wt != 2 || bytes(&r, &o->value, &o->value_len) < 0)
                return -EBADMSG;
            o->value_kind = f == 1 ? MO_VALUE_TEXT : MO_VALUE_BINARY;
        } else if (skip(&r, wt) < 0) {
            return -EBADMSG;
        }
    }
    return 0;
}

static int decode_topic_item(const uint8_t *buf, size_t len, struct mo_item *o)
{
    struct rd r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        const uint8_t *d;
        size_t n;
        if (tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        switch (f) {
        case 1:
            if (u64_field(&r, wt, &o->seq) < 0)
                return -EBADMSG;
            break;
        case 2:
            if (wt != 2 || bytes(&r, &d, &n) < 0 || decode_value(d, n, o) < 0)
                return -EBADMSG;
            break;
        case 3:
            if (wt != 2 || bytes(&r, &d, &n) < 0)
                return -EBADMSG;
            o->publisher_id = (const char *)d;
            o->publisher_id_len = n;
            break;
        case 4:
            if (u64_field(&r, wt, &o->page) < 0)
                return -EBADMSG;
            break;
        default:
            if (skip(&r, wt) < 0)
                return -EBADMSG;
        }
    }
    return 0;
}

static int decode_discontinuity(const uint8_t *buf, size_t len, struct mo_item *o)
{
    struct rd r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        uint64_t *dst = f == 1 ? &o->last_seq : f == 2 ? &o->new_seq : f == 3 ? &o->new_page : NULL;
        if (dst ? u64_field(&r, wt, dst) < 0 : skip(&r, wt) < 0)
            return -EBADMSG;
    }
    return 0;
}

int mo_item_decode(const uint8_t *buf, size_t len, struct mo_item *o)
{
    memset(o, 0, sizeof *o);
    struct rd r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        const uint8_t *d;
        size_t n;
        if (tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        if (f >= 1 && f <= 3) {
            if (wt != 2 || bytes(&r, &d, &n) < 0)
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
                struct rd hb = {d, d + n};
                while (rc == 0 && hb.p < hb.end) {
                    uint32_t hf;
                    int hwt;
                    rc = tag(&hb, &hf, &hwt) < 0 ? -EBADMSG : skip(&hb, hwt);
                }
            }
            if (rc < 0)
                return -EBADMSG;
        } else if (skip(&r, wt) < 0) {
            return -EBADMSG;
        }
    }
    return 0;
}
