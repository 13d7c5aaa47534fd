/* mdfault.c - faults asked for in request metadata, counted per request id. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdfault.h"
#include "rpc.h"

#define IDS 1024   /* request ids remembered; the oldest makes room */
#define ID_MAX 128 /* bytes of an id kept */

struct counts {
    char id[ID_MAX];
    size_t len;
    uint64_t errors, delays; /* answered with the error, held */
};

struct tl_mdfault {
    struct counts c[IDS];
    size_t n, next; /* used; where the next new id goes once full */
};

int tl_mdfault_new(tl_mdfault **ret)
{
    *ret = calloc(1, sizeof **ret);
    return *ret ? 0 : -ENOMEM;
}

void tl_mdfault_free(tl_mdfault *f) { free(f); }

static const struct {
    const char *word;
    grpc_status_code code;
} statuses[] = {
    {"invalid-argument", GRPC_STATUS_INVALID_ARGUMENT},
    {"unknown", GRPC_STATUS_UNKNOWN},
    {"already-exists", GRPC_STATUS_ALREADY_EXISTS},
    {"not-found", GRPC_STATUS_NOT_FOUND},
    {"internal", GRPC_STATUS_INTERNAL},
    {"permission-denied", GRPC_STATUS_PERMISSION_DENIED},
    {"unauthenticated", GRPC_STATUS_UNAUTHENTICATED},
    {"cancelled", GRPC_STATUS_CANCELLED},
    {"unavailable", GRPC_STATUS_UNAVAILABLE},
    {"resource-exhausted", GRPC_STATUS_RESOURCE_EXHAUSTED},
    {"deadline-exceeded", GRPC_STATUS_DEADLINE_EXCEEDED},
    {"failed-precondition", GRPC_STATUS_FAILED_PRECONDITION},
};

int tl_mdfault_status(const char *word, size_t len)
{
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
        if (strlen(statuses[i].word) == len && memcmp(statuses[i].word, word, len) == 0)
            return (int)statuses[i].code;
    return -1;
}

/* The cache RPCs momento-local knows: accepted in a list, never this server's. */
static const char *const other_rpcs[] = {
    "get", "set", "delete", "increment", "set-if", "set-if-not-exists", "get-batch",
    "set-batch", "keys-exist", "update-ttl", "item-get-ttl", "item-get-type",
    "dictionary-set", "dictionary-get", "dictionary-fetch", "dictionary-delete",
    "dictionary-increment", "dictionary-length", "set-add", "set-fetch", "set-remove",
    "set-contains", "set-length", "set-pop", "list-push-front", "list-push-back",
    "list-pop-front", "list-pop-back", "list-remove", "list-fetch", "list-length",
    "list-concatenate-front", "list-concatenate-back", "list-retain",
    "sorted-set-put", "sorted-set-fetch", "sorted-set-get-score", "sorted-set-remove",
    "sorted-set-increment", "sorted-set-get-rank", "sorted-set-length",
    "sorted-set-length-by-score", "topic-subscribe-prefix",
};

/* Whether the space-separated list names rpc; -EINVAL for a word it does not know. */
static int names_rpc(const grpc_slice *v, enum tl_md_rpc rpc, const char *key, char *reason,
                     size_t len)
{
    const char *p = (const char *)GRPC_SLICE_START_PTR(*v), *end = p + GRPC_SLICE_LENGTH(*v);
    const char *mine = rpc == TL_MD_PUBLISH ? "topic-publish" : "topic-subscribe";
    bool named = false;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *w = p;
        while (p < end && *p != ' ')
            p++;
        size_t n = (size_t)(p - w);
        if (!n)
            continue;
        bool known = false;
        if ((n == 13 && memcmp(w, "topic-publish", 13) == 0) ||
            (n == 15 && memcmp(w, "topic-subscribe", 15) == 0))
            known = true;
        for (size_t i = 0; !known && i < sizeof other_rpcs / sizeof *other_rpcs; i++)
            known = strlen(other_rpcs[i]) == n && memcmp(other_rpcs[i], w, n) == 0;
        if (!known) {
            snprintf(reason, len, "%s: unknown RPC '%.*s' (topic-publish, topic-subscribe, or a cache RPC)",
                     key, (int)(n > 60 ? 60 : n), w);
            return -EINVAL;
        }
        if (strlen(mine) == n && memcmp(mine, w, n) == 0)
            named = true;
    }
    return named;
}

static int status_of(const grpc_slice *v, const char *key, grpc_status_code *ret, char *reason,
                     size_t len)
{
    int c = tl_mdfault_status((const char *)GRPC_SLICE_START_PTR(*v), GRPC_SLICE_LENGTH(*v));
    if (c < 0) {
        snprintf(reason, len,
                 "%s: unknown status '%.*s' (invalid-argument, unknown, already-exists, not-found, "
                 "internal, permission-denied, unauthenticated, cancelled, unavailable, "
                 "resource-exhausted, deadline-exceeded, failed-precondition)",
                 key, (int)(GRPC_SLICE_LENGTH(*v) > 60 ? 60 : GRPC_SLICE_LENGTH(*v)),
                 (const char *)GRPC_SLICE_START_PTR(*v));
        return -EINVAL;
    }
    *ret = (grpc_status_code)c;
    return 0;
}

static int number_of(const grpc_slice *v, const char *key, uint64_t *ret, char *reason, size_t len)
{
    size_t n = GRPC_SLICE_LENGTH(*v);
    const char *p = (const char *)GRPC_SLICE_START_PTR(*v);
    uint64_t x = 0;
    bool ok = n > 0 && n <= 12;
    for (size_t i = 0; ok && i < n; i++) {
        ok = p[i] >= '0' && p[i] <= '9';
        x = x * 10 + (uint64_t)(p[i] - '0');
    }
    if (!ok) {
        snprintf(reason, len, "%s: '%.*s' is not a whole number", key, (int)(n > 40 ? 40 : n), p);
        return -EINVAL;
    }
    *ret = x;
    return 0;
}

/* The counts of a request id (NULL without one: nothing is counted). */
static struct counts *counts_of(tl_mdfault *f, const grpc_slice *id)
{
    if (!id)
        return NULL;
    size_t n = GRPC_SLICE_LENGTH(*id) < ID_MAX ? GRPC_SLICE_LENGTH(*id) : ID_MAX;
    const void *p = GRPC_SLICE_START_PTR(*id);
    for (size_t i = 0; i < f->n; i++)
        if (f->c[i].len == n && memcmp(f->c[i].id, p, n) == 0)
            return &f->c[i];
    struct counts *c = &f->c[f->n < IDS ? f->n++ : f->next++ % IDS];
    *c = (struct counts){.len = n};
    memcpy(c->id, p, n);
    return c;
}

/* The RPC list rpcs_key of one fault (absent: every RPC) and its number
 * num_key (absent: *num unchanged): 1 when the fault names rpc, 0 when it
 * does not, -EINVAL with reason for a word or number it cannot take. */
static int fault_keys(const grpc_metadata_array *md, enum tl_md_rpc rpc, const char *rpcs_key,
                      const char *num_key, uint64_t *num, char *reason, size_t len)
{
    const grpc_slice *v = mo_md_get(md, rpcs_key);
    int r = v ? names_rpc(v, rpc, rpcs_key, reason, len) : 1;
    if (r < 0 || ((v = mo_md_get(md, num_key)) && number_of(v, num_key, num, reason, len) < 0))
        return -EINVAL;
    return r;
}

/* Whether a fault limited to `limit` times per request id applies once more,
 * counting it in *used (NULL: no request id, so every time). */
static bool take(uint64_t *used, uint64_t limit)
{
    if (used && *used >= limit)
        return false;
    if (used)
        (*used)++;
    return true;
}

int tl_mdfault_read(tl_mdfault *f, const grpc_metadata_array *md, enum tl_md_rpc rpc,
                    struct tl_md_fault *ret, char *reason, size_t reason_len)
{
    *ret = (struct tl_md_fault){0};
    const grpc_slice *err = mo_md_get(md, "return-error"), *delay = mo_md_get(md, "delay-ms"),
                     *serr = mo_md_get(md, "stream-error");
    if (!err && !delay && !serr)
        return 0;
    struct counts *c = counts_of(f, mo_md_get(md, "request-id"));
    int r;
    if (err) {
        grpc_status_code code;
        uint64_t limit = UINT64_MAX;
        if (status_of(err, "return-error", &code, reason, reason_len) < 0 ||
            (r = fault_keys(md, rpc, "error-rpcs", "error-count", &limit, reason, reason_len)) < 0)
            return -EINVAL;
        if (r && take(c ? &c->errors : NULL, limit)) {
            ret->error = true;
            ret->error_code = code;
            return 0; /* refused: no delay or stream for it */
        }
    }
    if (delay) {
        uint64_t ms, limit = UINT64_MAX;
        if (number_of(delay, "delay-ms", &ms, reason, reason_len) < 0 ||
            (r = fault_keys(md, rpc, "delay-rpcs", "delay-count", &limit, reason, reason_len)) < 0)
            return -EINVAL;
        if (r && take(c ? &c->delays : NULL, limit))
            ret->delay_ms = ms;
    }
    if (serr) {
        grpc_status_code code;
        uint64_t after = 0;
        if (status_of(serr, "stream-error", &code, reason, reason_len) < 0 ||
            (r = fault_keys(md, rpc, "stream-error-rpcs", "stream-error-message-limit", &after, reason,
                            reason_len)) < 0)
            return -EINVAL;
        if (r && rpc == TL_MD_SUBSCRIBE) {
            ret->stream_error = true;
            ret->stream_error_code = code;
            ret->stream_error_after = after;
        }
    }
    return 0;
}
