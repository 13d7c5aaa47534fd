/* ctl.h - the control plane of momento-topics-local: CreateCache,
 * DeleteCache and ListCaches, on the data port as momento-local has them.
 *
 * Each call's request is decoded and answered here; server.c only accepts
 * the call and sends the answer. CreateCache makes a cache (ALREADY_EXISTS if
 * it is there); DeleteCache ends every stream on the cache with NOT_FOUND
 * ("cache not found") and takes it out (NOT_FOUND if it is not there);
 * ListCaches names the caches in name order, TL_LIST_PAGE a page, each with
 * the --topic-limits when given.
 */
#ifndef TL_CTL_H
#define TL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "control.h"
#include "env.h"

#define TL_LIST_PAGE 100 /* caches per ListCaches answer */

enum tl_ctl { TL_CTL_CREATE, TL_CTL_DELETE, TL_CTL_LIST };

struct tl_ctl_answer {
    grpc_status_code code;
    char details[256];
    grpc_slice body; /* the reply message when code is OK (the caller unrefs) */
};

/* Answers one control call whose request message is `req` (len bytes). */
void tl_control_answer(struct tl_env *env, enum tl_ctl m, const uint8_t *req, size_t len,
                       struct tl_ctl_answer *ret);

#endif
