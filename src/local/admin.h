/* admin.h - the test-admin port: momento-local's GET /block and /unblock
 * over plain HTTP/1.x (momento-topics-local(1), TEST-ADMIN PORT).
 *
 * The loop watches no file descriptors, and nothing here may make it wait
 * for a client: the listening sockets are non-blocking and a loop timer polls
 * them every TL_ADMIN_TICK_US, accepting what waits and reading, answering and
 * closing the connections it has, TL_ADMIN_CONNS at most at a time (more wait
 * in the kernel's backlog), each with a request of at most TL_ADMIN_REQ_MAX
 * bytes and TL_ADMIN_DEADLINE_US to be done (then it is closed unanswered).
 *
 *   GET /block, GET /unblock    the owner's hook, then 200 (also when it was
 *                               already so: the body says which)
 *   any other method or path    404
 *   not an HTTP/1.x request     400
 * Every answer has a short text body with its Content-Length and
 * `Connection: close`; the connection is closed after it. Nothing here logs.
 */
#ifndef TL_ADMIN_H
#define TL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

#define TL_ADMIN_TICK_US (20 * 1000)
#define TL_ADMIN_CONNS 8
#define TL_ADMIN_REQ_MAX 2048
#define TL_ADMIN_DEADLINE_US (2 * 1000 * 1000)

typedef struct tl_admin tl_admin;

/* What the requests do, on the loop thread. Each returns whether the state
 * changed (false: it already was blocked, or unblocked). */
struct tl_admin_hooks {
    bool (*block)(void *userdata);
    bool (*unblock)(void *userdata);
    void *userdata;
};

/* Listens on `listen` (HOST:PORT, port 0 = ephemeral; every address HOST
 * resolves to) and starts polling. A HOST that is not loopback is refused
 * unless `allow_remote`. `loop` must outlive it. Returns 0, or a negative
 * errno with a sentence naming --admin-listen in err. */
int tl_admin_new(mo_loop *loop, const char *listen, bool allow_remote,
                 const struct tl_admin_hooks *hooks, tl_admin **ret, char *err, size_t errlen);
/* The port it listens on (the real one when port 0 was asked for). */
int tl_admin_port(const tl_admin *a);
/* Closes every socket and stops the timer (before the loop is freed). Accepts NULL. */
void tl_admin_free(tl_admin *a);

#endif
