/* diag.h - what the readers skipped, and why: counted, the first few kept
 * with their place (file:line, or the journal entry) for the closing words
 * on standard error. Pure apart from lr_diag_print.
 */
#ifndef LR_DIAG_H
#define LR_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LR_DIAG_KEEP 5 /* damaged records quoted with their place */

struct lr_diag {
    uint64_t damaged; /* not JSON, not an event, or a summary that fails its checks */
    uint64_t other;   /* well-formed events of other types (message, started, ...) */
    uint64_t totals;  /* "*" summaries, not added (see summary.h) */
    uint64_t outside; /* summaries outside --since/--until */
    uint64_t used;    /* summaries merged */
    size_t kept;
    char first[LR_DIAG_KEEP][320];
};

/* Counts a damaged record at `where` (e.g. "a.jsonl:17") with a reason. */
void lr_diag_damaged(struct lr_diag *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the damaged count and the kept reasons, then the count of other
 * events, as "PROGRAM: ..." lines; nothing when nothing was skipped. */
void lr_diag_print(const struct lr_diag *d, FILE *f, const char *prog);

#endif
