/* ctl.c - CreateCache, DeleteCache and ListCaches. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "control.h"
#include "ctl.h"
#include "stream.h"
#include "util.h"

static void answer(struct tl_ctl_answer *a, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void answer(struct tl_ctl_answer *a, grpc_status_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->details, sizeof a->details, fmt, ap);
    va_end(ap);
    a->code = code;
}

/* A name cut for a sentence. */
#define SHOWN(n) (int)(strlen(n) > 200 ? 200 : strlen(n)), (n)

static void create(struct tl_env *env, const char *name, struct tl_ctl_answer *a)
{
    int r = tl_store_create(env->store, (struct tl_str){name, strlen(name)});
    if (r == -EEXIST) {
        answer(a, GRPC_STATUS_ALREADY_EXISTS, "cache already exists: %.*s", SHOWN(name));
    } else if (r < 0) {
        answer(a, GRPC_STATUS_INTERNAL, "out of memory");
    } else {
        tl_log(env, "control: cache %s created", name);
        a->body = grpc_empty_slice(); /* _CreateCacheResponse: no fields */
    }
}

static void delete(struct tl_env *env, const char *name, struct tl_ctl_answer *a)
{
    tl_cache *c = tl_store_find(env->store, (struct tl_str){name, strlen(name)});
    if (!c) {
        answer(a, GRPC_STATUS_NOT_FOUND, "cache not found: %.*s", SHOWN(name));
        return;
    }
    /* what a subscriber of a deleted cache gets from the service (src/proto/README.md §13) */
    tl_streams_end(env, c, GRPC_STATUS_NOT_FOUND, "cache not found");
    tl_store_remove(env->store, c);
    tl_log(env, "control: cache %s deleted", name);
    a->body = grpc_empty_slice();
}

static void list(struct tl_env *env, const char *token, struct tl_ctl_answer *a)
{
    size_t from = 0;
    if (*token) { /* the only tokens handed out are the offset of the next page */
        char *end;
        errno = 0;
        unsigned long long v = strtoull(token, &end, 10);
        if (errno || *end || token[0] < '0' || token[0] > '9') {
            answer(a, GRPC_STATUS_INVALID_ARGUMENT, "unknown next_token");
            return;
        }
        from = (size_t)v;
    }
    size_t n;
    _cleanup_free_ const tl_cache **all = tl_store_list(env->store, &n);
    if (!all) {
        answer(a, GRPC_STATUS_INTERNAL, "out of memory");
        return;
    }
    if (from > n)
        from = n;
    size_t k = n - from > TL_LIST_PAGE ? TL_LIST_PAGE : n - from;
    struct mo_cache_entry page[TL_LIST_PAGE];
    const struct mo_topic_limits *lim =
        env->opts->has_topic_limits ? &env->opts->topic_limits : NULL;
    for (size_t i = 0; i < k; i++)
        page[i] = (struct mo_cache_entry){tl_cache_name(all[from + i]), lim};
    char next[32] = "";
    if (from + k < n)
        snprintf(next, sizeof next, "%zu", from + k);
    a->body = mo_cache_list_encode(page, k, next);
}

void tl_control_answer(struct tl_env *env, enum tl_ctl m, const uint8_t *req, size_t len,
                       struct tl_ctl_answer *a)
{
    *a = (struct tl_ctl_answer){.code = GRPC_STATUS_OK, .body = grpc_empty_slice()};
    _cleanup_free_ char *name = mo_control_request_name(req, len);
    if (!name) {
        if (errno == ENOMEM)
            answer(a, GRPC_STATUS_INTERNAL, "out of memory");
        else
            answer(a, GRPC_STATUS_INTERNAL, "failed to decode the request message");
        return;
    }
    if (m == TL_CTL_LIST) {
        list(env, name, a);
        return;
    }
    if (mo_blank(name, strlen(name))) {
        answer(a, GRPC_STATUS_INVALID_ARGUMENT, "cache name must not be empty or blank");
        return;
    }
    if (m == TL_CTL_CREATE)
        create(env, name, a);
    else
        delete(env, name, a);
}
