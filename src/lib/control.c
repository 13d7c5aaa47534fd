/* control.c - the control plane's cache calls, with the generated code. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "rpc.h"

grpc_byte_buffer *mo_cache_name_request(const char *cache)
{
    /* _CreateCacheRequest and _DeleteCacheRequest are the same bytes */
    ControlClient__CreateCacheRequest req = CONTROL_CLIENT____CREATE_CACHE_REQUEST__INIT;
    req.cache_name = (char *)cache;
    return mo_pack(&req.base);
}

grpc_byte_buffer *mo_list_caches_request(const char *next_token)
{
    ControlClient__ListCachesRequest req = CONTROL_CLIENT____LIST_CACHES_REQUEST__INIT;
    req.next_token = (char *)(next_token ? next_token : "");
    return mo_pack(&req.base);
}

char *mo_control_request_name(const uint8_t *buf, size_t len)
{
    ControlClient__CreateCacheRequest *req =
        control_client____create_cache_request__unpack(NULL, len, buf);
    if (!req) {
        errno = EBADMSG;
        return NULL;
    }
    char *name = strdup(req->cache_name ? req->cache_name : "");
    control_client____create_cache_request__free_unpacked(req, NULL);
    return name;
}

bool mo_cache_list_decode(const uint8_t *buf, size_t len, struct mo_cache_list *ret)
{
    ret->msg = control_client____list_caches_response__unpack(NULL, len, buf);
    return ret->msg != NULL;
}

size_t mo_cache_list_count(const struct mo_cache_list *l) { return l->msg ? l->msg->n_cache : 0; }

const char *mo_cache_list_name(const struct mo_cache_list *l, size_t i)
{
    const char *n = l->msg->cache[i]->cache_name;
    return n ? n : "";
}

bool mo_cache_list_limits(const struct mo_cache_list *l, size_t i, struct mo_topic_limits *ret)
{
    const ControlClient__TopicLimits *t = l->msg->cache[i]->topic_limits;
    if (!t)
        return false;
    *ret = (struct mo_topic_limits){
        .max_publish_rate = t->max_publish_rate,
        .max_subscription_count = t->max_subscription_count,
        .max_publish_message_size_kb = t->max_publish_message_size_kb,
    };
    return true;
}

const char *mo_cache_list_next(const struct mo_cache_list *l)
{
    const char *t = l->msg ? l->msg->next_token : NULL;
    return t && *t ? t : NULL;
}

void mo_cache_list_free(struct mo_cache_list *l)
{
    if (l->msg)
        control_client____list_caches_response__free_unpacked(l->msg, NULL);
    l->msg = NULL;
}

grpc_slice mo_cache_list_encode(const struct mo_cache_entry *caches, size_t n,
                                const char *next_token)
{
    ControlClient__ListCachesResponse resp = CONTROL_CLIENT____LIST_CACHES_RESPONSE__INIT;
    ControlClient__Cache *c = calloc(n ? n : 1, sizeof *c);
    ControlClient__Cache **cp = calloc(n ? n : 1, sizeof *cp);
    ControlClient__TopicLimits *tl = calloc(n ? n : 1, sizeof *tl);
    grpc_slice out = grpc_empty_slice();
    if (c && cp && tl) {
        for (size_t i = 0; i < n; i++) {
            control_client____cache__init(&c[i]);
            c[i].cache_name = (char *)caches[i].name;
            if (caches[i].limits) {
                control_client____topic_limits__init(&tl[i]);
                tl[i].max_publish_rate = caches[i].limits->max_publish_rate;
                tl[i].max_subscription_count = caches[i].limits->max_subscription_count;
                tl[i].max_publish_message_size_kb = caches[i].limits->max_publish_message_size_kb;
                c[i].topic_limits = &tl[i];
            }
            cp[i] = &c[i];
        }
        resp.n_cache = n;
        resp.cache = cp;
        resp.next_token = (char *)(next_token ? next_token : "");
        size_t len = control_client____list_caches_response__get_packed_size(&resp);
        out = grpc_slice_malloc(len);
        control_client____list_caches_response__pack(&resp, GRPC_SLICE_START_PTR(out));
    }
    free(c);
    free(cp);
    free(tl);
    return out;
}
