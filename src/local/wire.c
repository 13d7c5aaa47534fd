/* wire.c - hand-written protobuf for the four messages the server handles. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "pbwire.h"
#include "pubsub.h"
#include "util.h"
#include "wire.h"

/* ---- decoding ---- */

static int rd_str(struct mo_pb *r, int wt, struct tl_str *out)
{
    const uint8_t *d;
    size_t n;
    if (mo_pb_ld(r, wt, &d, &n) < 0)
        return -EBADMSG;
    out->p = (const char *)d;
    out->len = n;
    return 0;
}

static int decode_value(const uint8_t *buf, size_t len, struct tl_publish_req *o)
{
    enum mo_value_kind kind = MO_VALUE_NONE;
    if (mo_topic_value_decode(buf, len, &kind, &o->value, &o->value_len) < 0)
        return -EBADMSG;
    if (kind != MO_VALUE_NONE) {
        o->has_value = true;
        o->binary = kind == MO_VALUE_BINARY;
    }
    return 0;
}

int tl_wire_publish_decode(const uint8_t *buf, size_t len, struct tl_publish_req *o)
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
        int rc;
        switch (f) {
        case 1:
            rc = rd_str(&r, wt, &o->cache);
            break;
        case 2:
            rc = rd_str(&r, wt, &o->topic);
            break;
        case 3:
            /* a repeated embedded message merges; the oneof keeps the last member */
            rc = mo_pb_ld(&r, wt, &d, &n) < 0 ? -EBADMSG : decode_value(d, n, o);
            break;
        default:
            rc = mo_pb_skip(&r, wt);
        }
        if (rc < 0)
            return -EBADMSG;
    }
    return 0;
}

int tl_wire_subscribe_decode(const uint8_t *buf, size_t len, struct tl_subscribe_req *o)
{
    memset(o, 0, sizeof *o);
    struct mo_pb r = {buf, buf + len};
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -EBADMSG;
        int rc;
        switch (f) {
        case 1:
            rc = rd_str(&r, wt, &o->cache);
            break;
        case 2:
            rc = rd_str(&r, wt, &o->topic);
            break;
        case 3:
            rc = mo_pb_u64(&r, wt, &o->resume_at);
            break;
        case 4:
            rc = mo_pb_u64(&r, wt, &o->page);
            break;
        default:
            rc = mo_pb_skip(&r, wt);
        }
        if (rc < 0)
            return -EBADMSG;
    }
    return 0;
}

bool tl_str_blank(struct tl_str s) { return mo_blank(s.p, s.len); }

/* ---- encoding ---- */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* tag + value of a uint64 field, left out when zero (proto3) */
static size_t u64_len(uint64_t v) { return v ? 1 + varint_len(v) : 0; }

static uint8_t *put_u64(uint8_t *p, uint8_t tag, uint64_t v)
{
    if (!v)
        return p;
    *p++ = tag;
    return put_varint(p, v);
}

static size_t ld_len(size_t n) { return 1 + varint_len(n) + n; }

static uint8_t *put_ld(uint8_t *p, uint8_t tag, const void *data, size_t n)
{
    *p++ = tag;
    p = put_varint(p, n);
    if (n)
        memcpy(p, data, n);
    return p + n;
}

grpc_slice tl_wire_item(uint64_t seq, uint64_t page, bool binary, const uint8_t *value,
                        size_t value_len, const char *pid, size_t pid_len)
{
    size_t value_msg = ld_len(value_len);                        /* _TopicValue body */
    size_t item = u64_len(seq) + ld_len(value_msg) + (pid_len ? ld_len(pid_len) : 0) +
                  u64_len(page);                                 /* _TopicItem body */
    size_t total = ld_len(item);
    grpc_slice s = grpc_slice_malloc(total);
    uint8_t *p = GRPC_SLICE_START_PTR(s);
    *p++ = 0x0a; /* _SubscriptionItem.item */
    p = put_varint(p, item);
    p = put_u64(p, 0x08, seq);
    *p++ = 0x12; /* _TopicItem.value */
    p = put_varint(p, value_msg);
    p = put_ld(p, binary ? 0x12 : 0x0a, value, value_len);
    if (pid_len)
        p = put_ld(p, 0x1a, pid, pid_len);
    p = put_u64(p, 0x20, page);
    return s;
}

grpc_slice tl_wire_discontinuity(uint64_t last, uint64_t new_seq, uint64_t page)
{
    size_t body = u64_len(last) + u64_len(new_seq) + u64_len(page);
    grpc_slice s = grpc_slice_malloc(ld_len(body));
    uint8_t *p = GRPC_SLICE_START_PTR(s);
    *p++ = 0x12; /* _SubscriptionItem.discontinuity */
    p = put_varint(p, body);
    p = put_u64(p, 0x08, last);
    p = put_u64(p, 0x10, new_seq);
    put_u64(p, 0x18, page);
    return s;
}

grpc_slice tl_wire_heartbeat(void)
{
    static const uint8_t hb[] = {0x1a, 0x00}; /* _SubscriptionItem.heartbeat, empty */
    return grpc_slice_from_static_buffer(hb, sizeof hb);
}

grpc_slice tl_wire_malformed(bool no_kind)
{
    static const uint8_t cut[] = {0x0a, 0x05, 0x08}; /* item (field 1), 5 bytes long: 1 follows */
    static const uint8_t none[] = {0xc0, 0x3e, 0x01}; /* field 1000, a varint: unknown, skipped */
    return no_kind ? grpc_slice_from_static_buffer(none, sizeof none)
                   : grpc_slice_from_static_buffer(cut, sizeof cut);
}
