/* diag.c - count and quote skipped input. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "secret.h"

void lr_diag_damaged(struct lr_diag *d, const char *where, const char *fmt, ...)
{
    d->damaged++;
    if (d->kept >= LR_DIAG_KEEP)
        return;
    char *buf = d->first[d->kept++];
    size_t len = sizeof d->first[0];
    int n = snprintf(buf, len, "%s: ", where);
    if (n < 0 || (size_t)n >= len)
        return;
    /* whole, then scrubbed of key-like words (secret.h) as it is cut to fit */
    char *reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    int m = vasprintf(&reason, fmt, ap);
    va_end(ap);
    if (m < 0) {
        snprintf(buf + n, len - (size_t)n, "(no reason: out of memory)");
        return;
    }
    mo_secret_scrub(reason, (size_t)m, buf + n, len - (size_t)n);
    free(reason);
}

void lr_diag_print(const struct lr_diag *d, FILE *f, const char *prog)
{
    if (d->damaged) {
        fprintf(f, "%s: skipped %llu damaged record%s:\n", prog, (unsigned long long)d->damaged,
                d->damaged == 1 ? "" : "s");
        for (size_t i = 0; i < d->kept; i++)
            fprintf(f, "  %s\n", d->first[i]);
        if (d->damaged > d->kept)
            fprintf(f, "  ... and %llu more\n", (unsigned long long)(d->damaged - d->kept));
    }
    if (d->other)
        fprintf(f, "%s: ignored %llu event%s that %s not summaries\n", prog,
                (unsigned long long)d->other, d->other == 1 ? "" : "s", d->other == 1 ? "is" : "are");
}
