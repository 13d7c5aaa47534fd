/* env.h - what every call handler of momento-topics-local shares. */
#ifndef TL_ENV_H
#define TL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "loop.h"
#include "opts.h"
#include "topic.h"

struct tl_stream;

struct tl_env {
    mo_loop *loop;
    const struct tl_opts *opts;
    tl_store *store;
    tl_ledger *ledger; /* --ledger; NULL without (tl_ledger_* then do nothing) */
    size_t live;     /* calls taken from gRPC and not yet released */
    uint64_t streams; /* Subscribe streams ever opened, to name them in logs */
    struct tl_stream *open; /* every stream not yet released (stream.c) */
    /* Called after a handler released its call (live went down by one). */
    void (*released)(struct tl_env *env);
};

/* A stderr line with --verbose; nothing otherwise. */
void tl_log(const struct tl_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
