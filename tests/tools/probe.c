/* probe.c - a small Momento Topics client for integration tests.
 *
 *   probe subscribe --target HOST:PORT [--tls] [--token T] --cache C --topic T
 *                   [--resume N] [--page P] [--count N] [--messages N]
 *                   [--timeout DURATION] [--deadline DURATION]
 *                   [--max-receive BYTES] [--no-values] [--metadata KEY=VALUE ...]
 *   probe publish   --target HOST:PORT [--tls] [--token T] --cache C --topic T
 *                   [--binary | --hex] [--count N] [--size BYTES] MESSAGE
 *   probe control   --target HOST:PORT [--tls] [--token T]
 *                   create-cache NAME | delete-cache NAME | list-caches
 *
 * subscribe makes one Subscribe call and prints one JSON line per server
 * message on stdout (flushed at once):
 *   {"type":"heartbeat"}
 *   {"type":"item","seq":N,"page":P,"kind":"text","value":"...","publisher_id":"...","len":L}
 *       (kind "binary": value is lowercase hex of the bytes; "none": no value;
 *       len: the value's length in bytes; with --no-values, value is "")
 *   {"type":"discontinuity","last":L,"new":N,"page":P}
 *   {"type":"empty"}  (an item with no kind)   {"type":"malformed","bytes":N}
 * and, when the server ends the stream:
 *   {"type":"status","code":14,"name":"UNAVAILABLE","details":"...","err":"..."}
 * (err: the `err` trailing metadata, "" if none). It exits 0 after --count
 * items or --messages server messages of any kind (it then cancels the call
 * and prints no status), 1 when the stream ended (a status line was printed),
 * 2 when --timeout ran out first (after printing {"type":"timeout"}).
 * --deadline sends a grpc-timeout header on the call but does not enforce it
 * here (the call goes over a second channel made with deadline checks off), so
 * what happens at the deadline is up to the server. --max-receive BYTES
 * raises the channel's receive limit (gRPC's default is 4 MiB) on that same
 * kind of second channel.
 *
 * publish sends MESSAGE (--count times, one after another) as text, as
 * binary bytes (--binary), or as binary decoded from hex (--hex), and prints a
 * status line per publish; it exits 0 if all were OK, 1 otherwise. --size
 * BYTES repeats MESSAGE (or "x" when it is empty) to exactly BYTES bytes,
 * for messages too large for a command line. --method PATH sends the publish
 * request to another method path instead.
 * control makes one control-plane call (list-caches: one per page) and
 * prints its status line; list-caches also a line per cache (do_control).
 * --metadata KEY=VALUE (repeatable) adds request metadata to the call, as
 * momento-local's fault words (momento-topics-local(1)).
 * Usage errors exit 64.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "control.h"
#include "endpoint.h"
#include "loop.h"
#include "pubsub.h"
#include "rpc.h"
#include "timefmt.h"
#include "util.h"

#define EXIT_USAGE 64
#define PUBLISH_DEADLINE_MS 5000
#define EXTRA_MD_MAX 12

struct args {
    const char *target, *token, *cache, *topic;
    bool tls, binary, hex, no_values;
    uint64_t resume, page, count, messages;
    uint64_t timeout_us, deadline_us;
    uint64_t max_receive, size;
    const char *method; /* publish: another method path (to test UNIMPLEMENTED) */
    /* --metadata KEY=VALUE: more request metadata (momento-local's fault words) */
    grpc_metadata extra[EXTRA_MD_MAX];
    size_t n_extra;
    const char *message;
    const char *ctl; /* control: create-cache, delete-cache or list-caches */
};

/* The --metadata entries after the connection's own n. */
static size_t add_extra(const struct args *a, grpc_metadata *md, size_t n)
{
    for (size_t i = 0; i < a->n_extra; i++)
        md[n++] = a->extra[i];
    return n;
}

/* ---- output ---- */

static void json_str(const void *data, size_t len)
{
    const unsigned char *p = data;
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_hex(const uint8_t *p, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    putchar('"');
}

static void print_status(grpc_status_code code, grpc_slice details, const grpc_metadata_array *md)
{
    printf("{\"type\":\"status\",\"code\":%d,\"name\":\"%s\",\"details\":", (int)code,
           mo_status_name(code));
    json_str(GRPC_SLICE_START_PTR(details), GRPC_SLICE_LENGTH(details));
    fputs(",\"err\":", stdout);
    const grpc_slice *err = mo_md_get(md, "err");
    if (err)
        json_str(GRPC_SLICE_START_PTR(*err), GRPC_SLICE_LENGTH(*err));
    else
        fputs("\"\"", stdout);
    fputs("}\n", stdout);
    fflush(stdout);
}

static void print_item(const struct mo_item *it, bool values)
{
    switch (it->kind) {
    case MO_ITEM_HEARTBEAT:
        fputs("{\"type\":\"heartbeat\"}\n", stdout);
        break;
    case MO_ITEM_DISCONTINUITY:
        printf("{\"type\":\"discontinuity\",\"last\":%" PRIu64 ",\"new\":%" PRIu64
               ",\"page\":%" PRIu64 "}\n",
               it->last_seq, it->new_seq, it->new_page);
        break;
    case MO_ITEM_EMPTY:
        fputs("{\"type\":\"empty\"}\n", stdout);
        break;
    case MO_ITEM_MESSAGE:
        printf("{\"type\":\"item\",\"seq\":%" PRIu64 ",\"page\":%" PRIu64 ",\"kind\":\"%s\","
               "\"value\":",
               it->seq, it->page,
               it->value_kind == MO_VALUE_TEXT     ? "text"
               : it->value_kind == MO_VALUE_BINARY ? "binary"
                                                   : "none");
        if (!values)
            fputs("\"\"", stdout);
        else if (it->value_kind == MO_VALUE_BINARY)
            json_hex(it->value, it->value_len);
        else
            json_str(it->value, it->value_len);
        fputs(",\"publisher_id\":", stdout);
        json_str(it->publisher_id, it->publisher_id_len);
        printf(",\"len\":%zu}\n", it->value_len);
        break;
    }
    fflush(stdout);
}

/* ---- subscribe ---- */

struct sub {
    mo_loop *loop;
    grpc_call *call;
    const struct args *a;
    mo_tag start_tag, status_tag, msg_tag;
    mo_timer timeout;
    int tags_out;
    grpc_metadata md[MO_CALL_MD_MAX + EXTRA_MD_MAX];
    grpc_byte_buffer *req, *msg;
    grpc_metadata_array init_md, trail_md;
    grpc_status_code status;
    grpc_slice details;
    uint64_t items, messages;
    bool done; /* we cancelled: count reached or timeout */
    int exit_code;
};

static void sub_maybe_quit(struct sub *s)
{
    if (s->tags_out == 0)
        mo_loop_quit(s->loop);
}

static void sub_finish(struct sub *s, int code)
{
    if (s->done)
        return;
    s->done = true;
    s->exit_code = code;
    mo_timer_stop(s->loop, &s->timeout);
    grpc_call_cancel(s->call, NULL);
}

static void sub_recv(struct sub *s);

static void on_sub_msg(mo_tag *tag, bool ok)
{
    struct sub *s = container_of(tag, struct sub, msg_tag);
    s->tags_out--;
    if (!ok || !s->msg) {
        sub_maybe_quit(s);
        return;
    }
    grpc_slice body;
    bool read = mo_bb_read(s->msg, &body);
    grpc_byte_buffer_destroy(s->msg);
    s->msg = NULL;
    if (!s->done) {
        struct mo_item it;
        if (!read || mo_item_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &it) < 0) {
            printf("{\"type\":\"malformed\",\"bytes\":%zu}\n", read ? GRPC_SLICE_LENGTH(body) : 0);
            fflush(stdout);
        } else {
            print_item(&it, !s->a->no_values);
            if (it.kind == MO_ITEM_MESSAGE)
                s->items++;
        }
        s->messages++;
        if ((s->a->count && s->items >= s->a->count) ||
            (s->a->messages && s->messages >= s->a->messages))
            sub_finish(s, 0);
    }
    if (read)
        grpc_slice_unref(body);
    if (!s->done)
        sub_recv(s);
    sub_maybe_quit(s);
}

static void sub_recv(struct sub *s)
{
    grpc_op op = mo_op(GRPC_OP_RECV_MESSAGE);
    op.data.recv_message.recv_message = &s->msg;
    if (grpc_call_start_batch(s->call, &op, 1, &s->msg_tag, NULL) == GRPC_CALL_OK)
        s->tags_out++;
}

static void on_sub_started(mo_tag *tag, bool ok)
{
    struct sub *s = container_of(tag, struct sub, start_tag);
    s->tags_out--;
    sub_maybe_quit(s);
}

static void on_sub_status(mo_tag *tag, bool ok)
{
    struct sub *s = container_of(tag, struct sub, status_tag);
    s->tags_out--;
    if (!s->done) {
        print_status(s->status, s->details, &s->trail_md);
        s->done = true;
        s->exit_code = 1;
        mo_timer_stop(s->loop, &s->timeout);
    }
    sub_maybe_quit(s);
}

static void on_sub_timeout(mo_timer *t)
{
    struct sub *s = container_of(t, struct sub, timeout);
    fputs("{\"type\":\"timeout\"}\n", stdout);
    fflush(stdout);
    sub_finish(s, 2);
}

static int do_subscribe(mo_loop *loop, mo_conn *conn, const struct args *a)
{
    struct sub s = {.loop = loop, .a = a, .exit_code = 1};
    s.start_tag.fn = on_sub_started;
    s.status_tag.fn = on_sub_status;
    s.msg_tag.fn = on_sub_msg;
    mo_timer_init(&s.timeout, on_sub_timeout);
    s.details = grpc_empty_slice();
    grpc_metadata_array_init(&s.init_md);
    grpc_metadata_array_init(&s.trail_md);

    grpc_channel *raw = NULL;
    if (a->deadline_us || a->max_receive) {
        gpr_timespec deadline = a->deadline_us
            ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                           gpr_time_from_micros((int64_t)a->deadline_us, GPR_TIMESPAN))
            : gpr_inf_future(GPR_CLOCK_REALTIME);
        grpc_arg arg[2] = {
            {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_DEADLINE_CHECKS, {.integer = 0}},
            {GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
             {.integer = a->max_receive ? (int)a->max_receive : -1}},
        };
        grpc_channel_args args = {.num_args = a->max_receive ? 2 : 1, .args = arg};
        grpc_channel_credentials *cr = a->tls ? grpc_ssl_credentials_create(NULL, NULL, NULL, NULL)
                                              : grpc_insecure_credentials_create();
        raw = grpc_channel_create(a->target, cr, &args);
        grpc_channel_credentials_release(cr);
        s.call = grpc_channel_create_call(raw, NULL, GRPC_PROPAGATE_DEFAULTS, mo_loop_cq(loop),
                                          grpc_slice_from_static_string(MO_METHOD_SUBSCRIBE), NULL,
                                          deadline, NULL);
    } else {
        s.call = mo_conn_call(conn, mo_loop_cq(loop), MO_METHOD_SUBSCRIBE,
                              gpr_inf_future(GPR_CLOCK_REALTIME));
    }
    s.req = mo_subscribe_request(a->cache, a->topic, a->resume, a->page);
    size_t nmd = add_extra(a, s.md, mo_conn_metadata(conn, a->cache, s.md));

    grpc_op ops[4];
    ops[0] = mo_op(GRPC_OP_SEND_INITIAL_METADATA);
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = s.md;
    ops[1] = mo_op(GRPC_OP_SEND_MESSAGE);
    ops[1].data.send_message.send_message = s.req;
    ops[2] = mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT);
    ops[3] = mo_op(GRPC_OP_RECV_INITIAL_METADATA);
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s.init_md;
    if (grpc_call_start_batch(s.call, ops, 4, &s.start_tag, NULL) != GRPC_CALL_OK) {
        mo_warn("cannot start the Subscribe call");
        return 1;
    }
    s.tags_out++;
    grpc_op st = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    st.data.recv_status_on_client.trailing_metadata = &s.trail_md;
    st.data.recv_status_on_client.status = &s.status;
    st.data.recv_status_on_client.status_details = &s.details;
    if (grpc_call_start_batch(s.call, &st, 1, &s.status_tag, NULL) == GRPC_CALL_OK)
        s.tags_out++;
    sub_recv(&s);
    if (a->timeout_us)
        mo_timer_start(loop, &s.timeout, a->timeout_us);
    mo_loop_run(loop);

    mo_timer_stop(loop, &s.timeout);
    grpc_call_unref(s.call);
    grpc_byte_buffer_destroy(s.req);
    grpc_slice_unref(s.details);
    grpc_metadata_array_destroy(&s.init_md);
    grpc_metadata_array_destroy(&s.trail_md);
    if (raw)
        grpc_channel_destroy(raw);
    return s.exit_code;
}

/* ---- publish ---- */

struct pub {
    mo_tag tag;
    mo_loop *loop;
    grpc_metadata_array init_md, trail_md;
    grpc_byte_buffer *reply;
    grpc_status_code status;
    grpc_slice details;
};

static void on_pub_done(mo_tag *tag, bool ok)
{
    struct pub *p = container_of(tag, struct pub, tag);
    mo_loop_quit(p->loop);
}

/* One unary call of `method` with `req`; prints its status line and
 * returns the status. The reply message, if any, goes to *reply (caller
 * destroys; NULL: dropped). */
static grpc_status_code unary_once(mo_loop *loop, mo_conn *conn, const struct args *a,
                                   const char *method, grpc_byte_buffer *req,
                                   grpc_byte_buffer **reply)
{
    struct pub p = {.tag.fn = on_pub_done, .loop = loop, .details = grpc_empty_slice(),
                    .status = GRPC_STATUS_UNKNOWN};
    grpc_metadata_array_init(&p.init_md);
    grpc_metadata_array_init(&p.trail_md);
    grpc_metadata md[MO_CALL_MD_MAX + EXTRA_MD_MAX];
    size_t nmd = add_extra(a, md, mo_conn_metadata(conn, a->cache, md));
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(PUBLISH_DEADLINE_MS, GPR_TIMESPAN));
    grpc_call *call = mo_conn_call(conn, mo_loop_cq(loop), method, deadline);

    grpc_op ops[6];
    ops[0] = mo_op(GRPC_OP_SEND_INITIAL_METADATA);
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = md;
    ops[1] = mo_op(GRPC_OP_SEND_MESSAGE);
    ops[1].data.send_message.send_message = req;
    ops[2] = mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT);
    ops[3] = mo_op(GRPC_OP_RECV_INITIAL_METADATA);
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &p.init_md;
    ops[4] = mo_op(GRPC_OP_RECV_MESSAGE);
    ops[4].data.recv_message.recv_message = &p.reply;
    ops[5] = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    ops[5].data.recv_status_on_client.trailing_metadata = &p.trail_md;
    ops[5].data.recv_status_on_client.status = &p.status;
    ops[5].data.recv_status_on_client.status_details = &p.details;
    if (grpc_call_start_batch(call, ops, 6, &p.tag, NULL) == GRPC_CALL_OK) {
        mo_loop_run(loop);
        print_status(p.status, p.details, &p.trail_md);
    } else {
        mo_warn("cannot start the call of %s", method);
    }
    grpc_call_unref(call);
    if (reply)
        *reply = p.reply;
    else if (p.reply)
        grpc_byte_buffer_destroy(p.reply);
    grpc_slice_unref(p.details);
    grpc_metadata_array_destroy(&p.init_md);
    grpc_metadata_array_destroy(&p.trail_md);
    return p.status;
}

static int publish_once(mo_loop *loop, mo_conn *conn, const struct args *a, const void *value,
                        size_t len, bool binary)
{
    grpc_byte_buffer *req = mo_publish_request(a->cache, a->topic, value, len, binary);
    grpc_status_code st =
        unary_once(loop, conn, a, a->method ? a->method : MO_METHOD_PUBLISH, req, NULL);
    grpc_byte_buffer_destroy(req);
    return st == GRPC_STATUS_OK ? 0 : 1;
}

/* ---- the control plane ---- */

/* create-cache NAME, delete-cache NAME: the status line. list-caches: every
 * page, a line per cache after each page's status line:
 *   {"type":"cache","name":"...","limits":true,"max_publish_rate":N,
 *    "max_subscription_count":N,"max_publish_message_size_kb":N} */
static int do_control(mo_loop *loop, mo_conn *conn, const struct args *a)
{
    if (strcmp(a->ctl, "list-caches") != 0) {
        const char *method = strcmp(a->ctl, "create-cache") == 0 ? MO_METHOD_CREATE_CACHE
                                                                  : MO_METHOD_DELETE_CACHE;
        grpc_byte_buffer *req = mo_cache_name_request(a->message);
        grpc_status_code st = unary_once(loop, conn, a, method, req, NULL);
        grpc_byte_buffer_destroy(req);
        return st == GRPC_STATUS_OK ? 0 : 1;
    }
    _cleanup_free_ char *token = NULL;
    for (int pages = 0; pages < 1000; pages++) {
        grpc_byte_buffer *req = mo_list_caches_request(token);
        grpc_byte_buffer *reply = NULL;
        grpc_status_code st = unary_once(loop, conn, a, MO_METHOD_LIST_CACHES, req, &reply);
        grpc_byte_buffer_destroy(req);
        grpc_slice body;
        struct mo_cache_list l = {0};
        bool ok = st == GRPC_STATUS_OK && reply && mo_bb_read(reply, &body);
        if (reply)
            grpc_byte_buffer_destroy(reply);
        if (!ok)
            return 1;
        ok = mo_cache_list_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &l);
        grpc_slice_unref(body);
        if (!ok) {
            mo_warn("the ListCaches answer is not a _ListCachesResponse");
            return 1;
        }
        for (size_t i = 0; i < mo_cache_list_count(&l); i++) {
            struct mo_topic_limits lim = {0};
            bool has = mo_cache_list_limits(&l, i, &lim);
            const char *name = mo_cache_list_name(&l, i);
            printf("{\"type\":\"cache\",\"name\":");
            json_str(name, strlen(name));
            printf(",\"limits\":%s,\"max_publish_rate\":%" PRIu32
                   ",\"max_subscription_count\":%" PRIu32 ",\"max_publish_message_size_kb\":%" PRIu32
                   "}\n",
                   has ? "true" : "false", lim.max_publish_rate, lim.max_subscription_count,
                   lim.max_publish_message_size_kb);
        }
        free(token);
        token = mo_cache_list_next(&l) ? strdup(mo_cache_list_next(&l)) : NULL;
        mo_cache_list_free(&l);
        fflush(stdout);
        if (!token)
            return 0;
    }
    mo_warn("more than 1000 pages of caches");
    return 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int do_publish(mo_loop *loop, mo_conn *conn, const struct args *a)
{
    const char *msg = a->message;
    size_t len = strlen(msg);
    _cleanup_free_ uint8_t *bytes = NULL;
    if (a->size) {
        const char *unit = len ? msg : "x";
        size_t ulen = len ? len : 1;
        bytes = malloc(a->size);
        if (!bytes)
            return 1;
        for (size_t i = 0; i < a->size; i++)
            bytes[i] = (uint8_t)unit[i % ulen];
        len = a->size;
    } else if (a->hex) {
        bytes = malloc(len / 2 + 1);
        if (!bytes)
            return 1;
        for (size_t i = 0; i < len / 2; i++)
            bytes[i] = (uint8_t)(hexval(msg[2 * i]) << 4 | hexval(msg[2 * i + 1]));
        len /= 2;
    }
    int rc = 0;
    uint64_t n = a->count ? a->count : 1;
    for (uint64_t i = 0; i < n; i++)
        if (publish_once(loop, conn, a, bytes ? (const void *)bytes : msg, len,
                         a->binary || a->hex) != 0)
            rc = 1;
    return rc;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    fputs("Usage: probe subscribe --target HOST:PORT [--tls] [--token T] --cache C --topic T\n"
          "                       [--resume N] [--page P] [--count N] [--messages N]\n"
          "                       [--timeout DURATION] [--deadline DURATION]\n"
          "                       [--max-receive BYTES] [--no-values]\n"
          "       probe publish --target HOST:PORT [--tls] [--token T] --cache C --topic T\n"
          "                     [--binary | --hex] [--count N] [--size BYTES] [--method PATH]\n"
          "                     MESSAGE\n"
          "       probe control --target HOST:PORT [--tls] [--token T]\n"
          "                     create-cache NAME | delete-cache NAME | list-caches\n"
          "Durations: 2.5 (seconds) or 500ms, 2s, 1m. See the top of probe.c for the output.\n",
          f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("probe: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage(stderr);
    return EXIT_USAGE;
}

/* A plain number of seconds, or a duration with a unit. */
static int parse_seconds(const char *s, uint64_t *ret)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && *end == '\0' && errno == 0 && v > 0 && v < 1e6) {
        *ret = (uint64_t)(v * 1e6);
        return 0;
    }
    return mo_time_parse_duration(s, ret);
}

enum { O_TARGET = 0x100, O_TLS, O_TOKEN, O_CACHE, O_TOPIC, O_RESUME, O_PAGE, O_COUNT,
       O_MESSAGES, O_TIMEOUT, O_DEADLINE, O_BINARY, O_HEX, O_METHOD, O_MAX_RECEIVE, O_SIZE,
       O_NO_VALUES, O_METADATA };

int main(int argc, char **argv)
{
    mo_progname = "probe";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    bool subscribe = strcmp(argv[1], "subscribe") == 0;
    bool control = strcmp(argv[1], "control") == 0;
    if (!subscribe && !control && strcmp(argv[1], "publish") != 0)
        return usage_error("unknown command \"%s\" (subscribe, publish or control)", argv[1]);

    static const struct option lo[] = {
        {"target", required_argument, NULL, O_TARGET},   {"tls", no_argument, NULL, O_TLS},
        {"token", required_argument, NULL, O_TOKEN},     {"cache", required_argument, NULL, O_CACHE},
        {"topic", required_argument, NULL, O_TOPIC},     {"resume", required_argument, NULL, O_RESUME},
        {"page", required_argument, NULL, O_PAGE},       {"count", required_argument, NULL, O_COUNT},
        {"messages", required_argument, NULL, O_MESSAGES},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"deadline", required_argument, NULL, O_DEADLINE},
        {"binary", no_argument, NULL, O_BINARY},         {"hex", no_argument, NULL, O_HEX},
        {"method", required_argument, NULL, O_METHOD},
        {"max-receive", required_argument, NULL, O_MAX_RECEIVE},
        {"size", required_argument, NULL, O_SIZE},
        {"no-values", no_argument, NULL, O_NO_VALUES},
        {"metadata", required_argument, NULL, O_METADATA},
        {0},
    };
    struct args a = {.token = ""};
    opterr = 0;
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        uint64_t *num = NULL;
        switch (c) {
        case O_TARGET: a.target = optarg; break;
        case O_TLS: a.tls = true; break;
        case O_TOKEN: a.token = optarg; break;
        case O_CACHE: a.cache = optarg; break;
        case O_TOPIC: a.topic = optarg; break;
        case O_RESUME: num = &a.resume; break;
        case O_PAGE: num = &a.page; break;
        case O_COUNT: num = &a.count; break;
        case O_MESSAGES: num = &a.messages; break;
        case O_BINARY: a.binary = true; break;
        case O_HEX: a.hex = true; break;
        case O_METHOD: a.method = optarg; break;
        case O_MAX_RECEIVE: num = &a.max_receive; break;
        case O_SIZE: num = &a.size; break;
        case O_NO_VALUES: a.no_values = true; break;
        case O_METADATA: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || a.n_extra == EXTRA_MD_MAX)
                return usage_error("--metadata KEY=VALUE (at most %d): \"%s\"", EXTRA_MD_MAX, optarg);
            a.extra[a.n_extra].key = grpc_slice_from_copied_buffer(optarg, (size_t)(eq - optarg));
            a.extra[a.n_extra++].value = grpc_slice_from_copied_string(eq + 1);
            break;
        }
        case O_TIMEOUT:
            if (parse_seconds(optarg, &a.timeout_us) < 0)
                return usage_error("--timeout: not a duration: \"%s\"", optarg);
            break;
        case O_DEADLINE:
            if (parse_seconds(optarg, &a.deadline_us) < 0)
                return usage_error("--deadline: not a duration: \"%s\"", optarg);
            break;
        default:
            return usage_error("bad option %s", argv[optind - 1]);
        }
        if (num && mo_parse_u64(optarg, num) < 0)
            return usage_error("not a number: \"%s\"", optarg);
    }
    if (a.max_receive > INT32_MAX || a.size > INT32_MAX)
        return usage_error("--max-receive and --size take at most %d bytes", INT32_MAX);
    if (!a.target || !mo_hostport_valid(a.target))
        return usage_error("--target HOST:PORT is required (got \"%s\")", a.target ? a.target : "");
    if ((!a.cache || !a.topic) && !control)
        return usage_error("--cache and --topic are required");
    if (control) {
        a.ctl = optind < argc ? argv[optind] : "";
        bool list = strcmp(a.ctl, "list-caches") == 0;
        bool named = strcmp(a.ctl, "create-cache") == 0 || strcmp(a.ctl, "delete-cache") == 0;
        if (!list && !named)
            return usage_error("control: create-cache NAME, delete-cache NAME or list-caches");
        if (optind + (named ? 2 : 1) != argc)
            return usage_error("control %s takes %s", a.ctl, named ? "one NAME" : "no argument");
        a.message = named ? argv[optind + 1] : NULL;
    } else if (subscribe) {
        if (optind != argc)
            return usage_error("unexpected argument \"%s\"", argv[optind]);
    } else {
        if (optind != argc - 1)
            return usage_error("publish takes exactly one MESSAGE");
        a.message = argv[optind];
        if (a.hex) {
            size_t n = strlen(a.message);
            bool ok = n % 2 == 0;
            for (size_t i = 0; ok && i < n; i++)
                ok = isxdigit((unsigned char)a.message[i]);
            if (!ok)
                return usage_error("--hex: MESSAGE is not an even number of hex digits: \"%s\"",
                                   a.message);
        }
    }

    struct mo_endpoint ep = {.tls = a.tls, .overridden = true};
    snprintf(ep.target, sizeof ep.target, "%s", a.target);
    const char *colon = strrchr(a.target, ':');
    snprintf(ep.authority, sizeof ep.authority, "%.*s", (int)(colon - a.target), a.target);

    /* c-ares (1.18) leaks 10 bytes per lookup of "localhost", which fails
     * the sanitizer builds; a test tool only dials loopback names, so the
     * system resolver is as good */
    setenv("GRPC_DNS_RESOLVER", "native", 0);
    grpc_init();
    int rc = 1;
    mo_loop *loop = NULL;
    mo_conn *conn = NULL;
    char err[512];
    if (mo_loop_new(&loop) < 0) {
        mo_warn("out of memory");
    } else if (mo_conn_new(&ep, a.token, &(struct mo_conn_opts){.agent = "probe:topic:test"}, &conn,
                           err, sizeof err) < 0) {
        mo_warn("%s", err);
    } else {
        rc = control     ? do_control(loop, conn, &a)
             : subscribe ? do_subscribe(loop, conn, &a)
                         : do_publish(loop, conn, &a);
    }
    mo_conn_free(conn);
    mo_loop_free(loop);
    for (size_t i = 0; i < a.n_extra; i++) {
        grpc_slice_unref(a.extra[i].key);
        grpc_slice_unref(a.extra[i].value);
    }
    mo_grpc_shutdown_wait(2000);
    return rc;
}
