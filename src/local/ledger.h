/* ledger.h - --ledger: what the server accepted, delivered, dropped and
 * rejected, one line per event, for tests that account for every message.
 *
 * The file is created (or truncated) at start and each line is written out
 * with one write(2) as it happens, so a reader sees whole lines only, in the
 * order of the events:
 *
 *   published CACHE TOPIC SEQ VALUE   a Publish accepted: the sequence number
 *                                     it got, its value: a JSON string for
 *                                     text, <binary N bytes> (no quotes) for
 *                                     binary
 *   delivered CACHE TOPIC SEQ STREAM  an item sent on a Subscribe stream (gRPC
 *                                     reported the message sent); STREAM is the
 *                                     stream's number, as --verbose shows it
 *   dropped CACHE TOPIC SEQ           a message a fault lost (--fault-drop-every):
 *                                     no stream gets it, only a discontinuity
 *   rejected RPC CODE                 a call refused by --fault-reject: RPC is
 *                                     publish or subscribe, CODE the status name
 *
 * CACHE and TOPIC are written as they are when they consist of [A-Za-z0-9._-]
 * only, as a JSON string otherwise. Nothing that looks like an API key is
 * written (src/lib/secret.h): such a name is written "<hidden>", such a word
 * of a value <hidden>. Text bytes that are not UTF-8 are written as U+FFFD.
 *
 * Lines are written on the loop thread, by the handlers of the events. When a
 * write fails the ledger says so once on stderr and writes nothing more; the
 * server goes on. Every function accepts a NULL ledger (no --ledger) and
 * then does nothing.
 */
#ifndef TL_LEDGER_H
#define TL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tl_ledger tl_ledger;

/* Creates or truncates `path`. Returns 0, or a negative errno with a
 * sentence naming the file in err. */
int tl_ledger_open(const char *path, tl_ledger **ret, char *err, size_t errlen);
/* Closes the file. Accepts NULL. */
void tl_ledger_free(tl_ledger *l);

void tl_ledger_published(tl_ledger *l, const char *cache, const char *topic, uint64_t seq,
                         bool binary, const uint8_t *value, size_t len);
void tl_ledger_delivered(tl_ledger *l, const char *cache, const char *topic, uint64_t seq,
                         uint64_t stream);
void tl_ledger_dropped(tl_ledger *l, const char *cache, const char *topic, uint64_t seq);
/* `rpc` is "publish" or "subscribe". */
void tl_ledger_rejected(tl_ledger *l, const char *rpc, const char *code);

#endif
