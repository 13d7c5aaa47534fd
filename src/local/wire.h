/* wire.h - the server side of the Topics messages, encoded and decoded by hand.
 *
 * Requests are decoded without copying: the names and the value point into
 * the received bytes, with their lengths (a proto3 string may hold a NUL, and
 * the generated decoder would cut it there). Replies are encoded straight into
 * a refcounted slice, exactly as protobuf-c would write them (fields in number
 * order, zero scalars left out, a oneof member always written), so one
 * encoding of a published message can be sent to every subscriber.
 */
#ifndef TL_WIRE_H
#define TL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/slice.h>

/* Points into the request bytes. */
struct tl_str {
    const char *p;
    size_t len;
};

struct tl_publish_req {
    struct tl_str cache;
    struct tl_str topic;
    bool has_value;  /* field 3 present with a kind set */
    bool binary;     /* the _TopicValue oneof member that was set */
    const uint8_t *value;
    size_t value_len;
};

struct tl_subscribe_req {
    struct tl_str cache;
    struct tl_str topic;
    uint64_t resume_at; /* 0 when absent */
    uint64_t page;      /* 0 when absent (older clients) */
};

/* Decode a _PublishRequest / _SubscriptionRequest; unknown fields are skipped.
 * Return 0, or -EBADMSG for bytes that are not a valid message. */
int tl_wire_publish_decode(const uint8_t *buf, size_t len, struct tl_publish_req *ret);
int tl_wire_subscribe_decode(const uint8_t *buf, size_t len, struct tl_subscribe_req *ret);

/* A _SubscriptionItem holding a _TopicItem. The caller owns one ref. */
grpc_slice tl_wire_item(uint64_t seq, uint64_t page, bool binary, const uint8_t *value,
                        size_t value_len, const char *publisher_id, size_t publisher_id_len);
/* A _SubscriptionItem holding a _Discontinuity. The caller owns one ref. */
grpc_slice tl_wire_discontinuity(uint64_t last, uint64_t new_seq, uint64_t page);
/* A _SubscriptionItem holding a _Heartbeat (static, refcounting is a no-op). */
grpc_slice tl_wire_heartbeat(void);
/* What --fault-malformed-every sends, static like the heartbeat: with
 * no_kind, a _SubscriptionItem that parses but has no kind set (it holds only
 * a field the protocol does not have); else bytes that are no
 * _SubscriptionItem at all (its item field announces more bytes than follow). */
grpc_slice tl_wire_malformed(bool no_kind);

/* True when the name is empty or only whitespace (the SDKs' own check). */
bool tl_str_blank(struct tl_str s);

#endif
