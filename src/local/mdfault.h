/* mdfault.h - faults a client asks for in its request metadata, as Momento's
 * momento-local takes them (momento-topics-local(1), FAULTS IN METADATA), so
 * that Momento's own SDK tests and users' tests run against this server.
 *
 * Every value is a string; lists are separated by spaces:
 *   request-id                     groups the counts below (any string)
 *   return-error, error-rpcs,      answer the named RPCs with that status,
 *   error-count                    error-count times for this request id
 *                                  (without it, every time)
 *   delay-ms, delay-rpcs,          hold the named RPCs that long before
 *   delay-count                    answering (a Subscribe: before its first
 *                                  message), delay-count times
 *   stream-error,                  end a stream of the named RPC with that
 *   stream-error-rpcs,             status after that many messages
 *   stream-error-message-limit     (heartbeats count)
 * Status words: invalid-argument unknown already-exists not-found internal
 * permission-denied unauthenticated cancelled unavailable resource-exhausted
 * deadline-exceeded failed-precondition. RPC words: topic-publish and
 * topic-subscribe apply here; the cache RPCs' words are accepted and never
 * match. A word that is neither, or a number that is not one, is an error
 * the client reads: INVALID_ARGUMENT naming the key and the value.
 *
 *   tl_mdfault_new / _free     the counts per request id (a fixed table)
 *   tl_mdfault_read            pure but for the counts: what one call asks for
 */
#ifndef TL_MDFAULT_H
#define TL_MDFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

enum tl_md_rpc { TL_MD_PUBLISH, TL_MD_SUBSCRIBE };

struct tl_md_fault {
    bool error;                /* answer at once with error_code */
    grpc_status_code error_code;
    uint64_t delay_ms;         /* 0: none */
    bool stream_error;         /* Subscribe: end with stream_error_code ... */
    grpc_status_code stream_error_code;
    uint64_t stream_error_after; /* ... after this many messages */
};

typedef struct tl_mdfault tl_mdfault;

int tl_mdfault_new(tl_mdfault **ret); /* -ENOMEM */
void tl_mdfault_free(tl_mdfault *f);

/* What the metadata md asks of this call of `rpc`, into *ret (all off when
 * nothing applies); counts it against its request id. Returns 0, or -EINVAL
 * with a sentence in reason (the call is to be refused with INVALID_ARGUMENT). */
int tl_mdfault_read(tl_mdfault *f, const grpc_metadata_array *md, enum tl_md_rpc rpc,
                    struct tl_md_fault *ret, char *reason, size_t reason_len);

/* The status of a word ("unavailable"), or -1. */
int tl_mdfault_status(const char *word, size_t len);

#endif
