/* pbwire.h - reading protobuf wire format by hand, without copying.
 *
 * The few messages of the Topics API are small and fixed, so the hot paths
 * (a subscriber reading items, the local server reading requests) decode them
 * directly: fields point into the received bytes. These are the primitives;
 * each returns 0 or -EBADMSG and never reads past `end`. Groups (wire types 3
 * and 4) are rejected, as proto3 has none.
 */
#ifndef MO_PBWIRE_H
#define MO_PBWIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct mo_pb {
    const uint8_t *p, *end;
};

static inline int mo_pb_varint(struct mo_pb *r, uint64_t *out)
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

/* A field tag: number (1 .. 2^29-1) and wire type. */
static inline int mo_pb_tag(struct mo_pb *r, uint32_t *field, int *wt)
{
    uint64_t t;
    if (mo_pb_varint(r, &t) < 0 || t >> 3 == 0 || t >> 3 > 0x1fffffff)
        return -EBADMSG;
    *field = (uint32_t)(t >> 3);
    *wt = (int)(t & 7);
    return 0;
}

/* A length-delimited field's bytes (wire type 2, tag already read). */
static inline int mo_pb_bytes(struct mo_pb *r, const uint8_t **data, size_t *len)
{
    uint64_t n;
    if (mo_pb_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
        return -EBADMSG;
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* A length-delimited field, checking its wire type. */
static inline int mo_pb_ld(struct mo_pb *r, int wt, const uint8_t **data, size_t *len)
{
    return wt == 2 ? mo_pb_bytes(r, data, len) : -EBADMSG;
}

/* A uint64 field, checking its wire type. */
static inline int mo_pb_u64(struct mo_pb *r, int wt, uint64_t *out)
{
    return wt == 0 ? mo_pb_varint(r, out) : -EBADMSG;
}

/* Skips the value of a field of wire type `wt`. */
static inline int mo_pb_skip(struct mo_pb *r, int wt)
{
    uint64_t v;
    const uint8_t *d;
    size_t n;
    switch (wt) {
    case 0:
        return mo_pb_varint(r, &v);
    case 1:
        if (r->end - r->p < 8)
            return -EBADMSG;
        r->p += 8;
        return 0;
    case 2:
        return mo_pb_bytes(r, &d, &n);
    case 5:
        if (r->end - r->p < 4)
            return -EBADMSG;
        r->p += 4;
        return 0;
    default:
        return -EBADMSG;
    }
}

#endif
