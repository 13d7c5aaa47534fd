/* rpc.c - status names, byte buffers and metadata lookups. */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/slice.h>
#include <grpc/support/log.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "rpc.h"
#include "secret.h"
#include "util.h"

static const char *const status_names[] = {
    "OK",           "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS", "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *mo_status_name(grpc_status_code code)
{
    if ((unsigned)code < ARRAY_SIZE(status_names))
        return status_names[code];
    return "UNKNOWN_STATUS";
}

int mo_status_parse(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end == '\0')
        return v >= 0 && v < (long)ARRAY_SIZE(status_names) ? (int)v : -1;
    char up[64];
    size_t i = 0;
    for (; s[i] && i < sizeof up - 1; i++)
        up[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
    up[i] = '\0';
    for (size_t k = 0; k < ARRAY_SIZE(status_names); k++)
        if (strcmp(up, status_names[k]) == 0)
            return (int)k;
    return -1;
}

grpc_byte_buffer *mo_pack(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

bool mo_bb_read(grpc_byte_buffer *bb, grpc_slice *out)
{
    /* the usual case, one uncompressed slice: a reference, not a copy */
    if (bb->type == GRPC_BB_RAW && bb->data.raw.compression == GRPC_COMPRESS_NONE &&
        bb->data.raw.slice_buffer.count == 1) {
        *out = grpc_slice_ref(bb->data.raw.slice_buffer.slices[0]);
        return true;
    }
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return false;
    *out = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    return true;
}

const grpc_slice *mo_md_get(const grpc_metadata_array *md, const char *key)
{
    for (size_t i = 0; i < md->count; i++)
        if (grpc_slice_str_cmp(md->metadata[i].key, key) == 0)
            return &md->metadata[i].value;
    return NULL;
}

bool mo_md_copy(const grpc_metadata_array *md, const char *key, char *buf, size_t len)
{
    const grpc_slice *v = mo_md_get(md, key);
    if (!v || len == 0)
        return false;
    /* what a server sends can hold anything, a key included */
    mo_secret_scrub((const char *)GRPC_SLICE_START_PTR(*v), GRPC_SLICE_LENGTH(*v), buf, len);
    return true;
}

char *mo_slice_strdup(grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, GRPC_SLICE_START_PTR(s), n);
    p[n] = '\0';
    return p;
}

static void grpc_log_show(gpr_log_func_args *args)
{
    fprintf(stderr, "%s: grpc: %s\n", mo_progname, args->message);
}

static void grpc_log_drop(gpr_log_func_args *args) { (void)args; }

void mo_grpc_logs(bool show)
{
    if (getenv("GRPC_VERBOSITY") || getenv("GRPC_TRACE"))
        return;
    gpr_set_log_function(show ? grpc_log_show : grpc_log_drop);
}

void mo_grpc_shutdown_wait(unsigned max_ms)
{
    grpc_shutdown();
    for (unsigned i = 0; i < max_ms / 10 && grpc_is_initialized(); i++)
        usleep(10000);
}
