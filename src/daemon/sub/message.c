/* message.c - one server message of a subscription's stream (sub-int.h).
 *
 * An item goes through each room once, in order, and each hands a value on:
 *   1. continuity (continuity.h): the verdict on its (page, number), and the
 *      step that says what it closed or skipped;
 *   2. the latency (latency/decode.h): read from the payload of a delivered
 *      item, or the reason it has none; then the publisher's floor;
 *   3. the counters (stats.h): what the verdict and the latency count for;
 *   4. the log (sublog.h): the warnings and the message event, each within
 *      its budget;
 *   5. a tap, when the owner set one (the canary reads its probes there).
 * Heartbeats end at the activity they show; discontinuities are counted when
 * they come and reported with their loss at the next item; a server message
 * the wire format does not allow is a protocol error, not a message.
 */
#include <config.h>

#include <stdio.h>

#include "pubsub.h"
#include "rpc.h"
#include "sub/sub-int.h"

static void on_item(mo_sub *s, const struct mo_item *it, int64_t received_ns);
static void on_discontinuity(mo_sub *s, const struct mo_item *it);
static void protocol_error(mo_sub *s, const char *reason);

void mo_sub_on_message(mo_sub *s, grpc_byte_buffer *bb, int64_t received_ns)
{
    grpc_slice data;
    if (!mo_bb_read(bb, &data)) {
        protocol_error(s, "unreadable gRPC message (bad compression?)");
        return;
    }
    struct mo_item it;
    if (mo_item_decode(GRPC_SLICE_START_PTR(data), GRPC_SLICE_LENGTH(data), &it) < 0) {
        char reason[96];
        snprintf(reason, sizeof reason, "malformed _SubscriptionItem (%zu bytes)", (size_t)GRPC_SLICE_LENGTH(data));
        protocol_error(s, reason);
    } else {
        switch (it.kind) {
        case MO_ITEM_HEARTBEAT:
            break;
        case MO_ITEM_MESSAGE:
            on_item(s, &it, received_ns);
            break;
        case MO_ITEM_DISCONTINUITY:
            on_discontinuity(s, &it);
            break;
        default:
            protocol_error(s, "subscription item with no kind (neither item, discontinuity nor heartbeat)");
        }
    }
    grpc_slice_unref(data);
}

void mo_sub_skip_oversized(mo_sub *s, const char *details)
{
    /* the number due: the next one, or the lower reading after a
     * discontinuity; with no position the next stream asks for new messages,
     * which skips it too */
    uint64_t page, seq, size, limit;
    bool known = mo_cont_resume_point(&s->cont, &page, &seq);
    if (known) {
        struct mo_cont_step st;
        enum mo_cont_verdict v = mo_cont_item(&s->cont, page, seq, &st);
        mo_stats_item(&s->stats, v, &st, NULL);
        mo_sublog_item(&s->log, &s->stats, v, &st, seq, NULL, NULL, s->last_activity_us);
    }
    bool sized = mo_ending_oversize(details, &size, &limit);
    mo_sublog_oversized(s->cache, s->topic, known, page, seq, sized, size, limit);
}

/* ---- the rooms ---- */

/* The first item or discontinuity of a resumed stream: how the server
 * answered what was asked (src/proto/README.md §4), counted. */
static void answered(mo_sub *s, bool disc, uint64_t page, uint64_t seq)
{
    uint64_t k;
    s->stream.answered = true;
    s->stream.resume_outcome = mo_cont_resume_outcome(s->stream.resume_page, s->stream.resume_at, disc, page, seq, &k);
    s->stats.resumes[s->stream.resume_outcome]++;
}

static void first_item(mo_sub *s, const struct mo_item *it)
{
    s->stream.got_item = true;
    s->stream.first_seq = it->seq;
    if (s->stream.resumed && !s->stream.answered)
        answered(s, false, it->page, it->seq);
}

static void on_item(mo_sub *s, const struct mo_item *it, int64_t received_ns)
{
    if (__builtin_expect(!s->stream.got_item, 0))
        first_item(s, it);
    s->stream.items++;
    /* 1. continuity */
    struct mo_cont_step st;
    enum mo_cont_verdict v = mo_cont_item(&s->cont, it->page, it->seq, &st);
    /* 2. the latency, of a delivered item */
    struct mo_latency lat;
    const struct mo_latency *l = NULL;
    if (mo_cont_delivers(v)) {
        s->delivered++;
        l = &lat;
        int64_t bound = s->set->host_bound_us ? *s->set->host_bound_us : -1;
        if (mo_latency_measure(&s->dec, it, received_ns, bound, &lat)) {
            if (!it->publisher_id_len)
                mo_pubtally_add(&s->stats.anonymous, &lat);
            else if (s->floor || mo_pubfloor_new(&s->floor) == 0)
                mo_pubfloor_record(s->floor, it->publisher_id, it->publisher_id_len, &lat);
        }
    }
    /* 3. the counters */
    mo_stats_item(&s->stats, v, &st, l);
    /* 4. the log (last_activity_us is now: mo_sub_on_message has just set it) */
    mo_sublog_item(&s->log, &s->stats, v, &st, it->seq, it, l, s->last_activity_us);
    /* 5. a tap, on the canary's stream only */
    if (__builtin_expect(s->tap != NULL, 0) && l)
        s->tap(s->tap_ctx, it, l, s->last_activity_us);
}

/* A discontinuity is counted when it comes and reported with its loss at the
 * first item after it (continuity.h). */
static void on_discontinuity(mo_sub *s, const struct mo_item *it)
{
    struct mo_cont_step st;
    if (s->stream.resumed && !s->stream.answered)
        answered(s, true, 0, 0);
    switch (mo_cont_discontinuity(&s->cont, it->last_seq, it->new_page, it->new_seq, &st)) {
    case MO_CONT_ANNOUNCE:
        /* a fresh stream learns its topic's page (src/proto/README.md §6): information */
        mo_sublog_page_announced(s->cache, s->topic, it->new_page, it->new_seq);
        break;
    case MO_CONT_DISCONTINUITY:
        s->stats.discontinuities++;
        break;
    default: /* the pending one again: already counted */
        break;
    }
}

/* A server message the wire format does not allow: the service's doing, not a message. */
static void protocol_error(mo_sub *s, const char *reason)
{
    mo_stats_protocol_error(&s->stats, reason);
    mo_sublog_protocol_error(&s->log, &s->stats, reason);
}
