/* fake-adjtimex.c - a library for LD_PRELOAD in tests: adjtimex(2) reports
 * what the file named by $MO_FAKE_ADJTIMEX says, so that a test can make the
 * daemon see its clock lose and regain synchronisation without touching the
 * machine's clock. The file holds one line:
 *
 *   synced|unsynced MAXERROR_US ESTERROR_US
 *
 * A missing or unreadable file, or a call that would set anything, goes to the
 * real adjtimex. Reads only: modes other than 0 are passed through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

int adjtimex(struct timex *tx)
{
    const char *path = getenv("MO_FAKE_ADJTIMEX");
    FILE *f = path && tx->modes == 0 ? fopen(path, "r") : NULL;
    char state[16];
    long maxerror, esterror;
    if (f && fscanf(f, "%15s %ld %ld", state, &maxerror, &esterror) == 3) {
        fclose(f);
        bool synced = strcmp(state, "synced") == 0;
        memset(tx, 0, sizeof *tx);
        tx->status = synced ? 0 : STA_UNSYNC;
        tx->maxerror = maxerror;
        tx->esterror = esterror;
        return synced ? TIME_OK : TIME_ERROR;
    }
    if (f)
        fclose(f);
    int (*real)(struct timex *) = (int (*)(struct timex *))dlsym(RTLD_NEXT, "adjtimex");
    return real ? real(tx) : -1;
}
