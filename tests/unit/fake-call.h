/* fake-call.h - Subscribe calls of the tests' own, in place of
 * src/daemon/sub/subcall.c, for code built with MO_SUB_FAKE (subcall.h then
 * leaves mo_subcall_rearm to this file): no gRPC call exists; a test sends
 * the server's messages (fake_deliver: real bytes in real byte buffers) and
 * ends a call the way gRPC ends one (fake_finish). Include it in one test
 * program, after fake-loop.h.
 */
#ifndef MO_FAKE_CALL_H
#define MO_FAKE_CALL_H

#include <stdio.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "sub/subcall.h"
#include "test.h"

#define FAKE_MAX_CALLS 8
struct fake_call {
    struct mo_subcall *c;
    bool recv_armed; /* batch C waits for a message */
    bool cancelled;
    grpc_status_code cancel_status;
};
static struct fake_call fake_calls[FAKE_MAX_CALLS]; /* in flight, oldest first */
static int fake_n_calls, fake_opens;
static bool fake_fail_open;                   /* the next open starts nothing */
static uint64_t fake_resume_at, fake_page;    /* what the last open asked for */
static int fake_call_object;                  /* its address stands for a grpc_call */

static inline struct fake_call *fake_call_of(struct mo_subcall *c)
{
    for (int i = 0; i < fake_n_calls; i++)
        if (fake_calls[i].c == c)
            return &fake_calls[i];
    return NULL;
}
/* The newest call in flight, or NULL. */
static inline struct mo_subcall *fake_newest(void) { return fake_n_calls ? fake_calls[fake_n_calls - 1].c : NULL; }

void mo_subcall_init(struct mo_subcall *c) { c->details = grpc_empty_slice(); }

bool mo_subcall_open(struct mo_subcall *c, mo_conn *conn, grpc_completion_queue *cq, const char *cache,
                     const char *topic, uint64_t resume_at, uint64_t page)
{
    (void)conn, (void)cq, (void)cache, (void)topic;
    fake_opens++;
    fake_resume_at = resume_at;
    fake_page = page;
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->status = GRPC_STATUS_OK;
    c->local_failure[0] = '\0';
    c->pending = 0;
    if (fake_fail_open) {
        fake_fail_open = false;
        snprintf(c->local_failure, sizeof c->local_failure, "could not create the call (test)");
        return false;
    }
    TEST_CHECK(fake_n_calls < FAKE_MAX_CALLS);
    c->call = (grpc_call *)&fake_call_object;
    c->pending = 3;
    fake_calls[fake_n_calls++] = (struct fake_call){.c = c, .recv_armed = true};
    return true;
}

bool mo_subcall_rearm(struct mo_subcall *c)
{
    struct fake_call *k = fake_call_of(c);
    TEST_CHECK(k && !k->recv_armed);
    if (k)
        k->recv_armed = true;
    return true;
}

void mo_subcall_refused(struct mo_subcall *c, grpc_call_error e)
{
    (void)c, (void)e;
    TEST_CHECK(!"no batch is refused in these tests");
}

void mo_subcall_cancel(struct mo_subcall *c, grpc_status_code status, const char *why)
{
    struct fake_call *k = fake_call_of(c);
    TEST_CHECK(k != NULL);
    if (k) {
        k->cancelled = true;
        k->cancel_status = why ? status : GRPC_STATUS_CANCELLED;
    }
}

void mo_subcall_release(struct mo_subcall *c)
{
    TEST_EQ_INT(c->pending, 0); /* only once every tag is back */
    c->call = NULL;
    if (c->recv) {
        grpc_byte_buffer_destroy(c->recv);
        c->recv = NULL;
    }
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);
    c->details = grpc_empty_slice();
    struct fake_call *k = fake_call_of(c);
    if (k)
        *k = fake_calls[--fake_n_calls];
}

/* The server sends one message on call c (the slice is taken). */
static inline void fake_deliver(struct mo_subcall *c, grpc_slice msg)
{
    struct fake_call *k = c ? fake_call_of(c) : NULL;
    TEST_CHECK(k && k->recv_armed);
    if (!k || !k->recv_armed) {
        grpc_slice_unref(msg);
        return;
    }
    c->recv = grpc_raw_byte_buffer_create(&msg, 1);
    grpc_slice_unref(msg);
    k->recv_armed = false;
    c->tag_recv.fn(&c->tag_recv, true); /* re-armed, or back for good */
}

/* Call c ends as gRPC ends one: the receive comes back empty, then the batch
 * of the headers, then the status (a cancel's own, when it was cancelled). */
static inline void fake_finish(struct mo_subcall *c, grpc_status_code status, const char *details)
{
    struct fake_call *k = c ? fake_call_of(c) : NULL;
    TEST_CHECK(k != NULL);
    if (!k)
        return;
    if (k->cancelled) {
        status = k->cancel_status;
        details = status == GRPC_STATUS_CANCELLED ? "Cancelled" : "cancelled by the owner";
    }
    c->status = status;
    grpc_slice_unref(c->details);
    c->details = grpc_slice_from_copied_string(details);
    /* the owner may be freed or restarted once the last tag is back */
    mo_tag *recv = &c->tag_recv, *start = &c->tag_start, *st = &c->tag_status;
    bool armed = k->recv_armed;
    k->recv_armed = false;
    if (armed)
        recv->fn(recv, false);
    start->fn(start, true);
    st->fn(st, true);
}

#endif
