/* failstrdup.so - make one strdup fail, to test what a program does when
 * memory runs out at that point (LD_PRELOAD).
 *
 *   LD_PRELOAD=tests/tools/failstrdup.so FAILSTRDUP=TEXT FAILSTRDUP_NTH=N PROGRAM...
 *
 * The Nth call (1-based, default 1) of strdup with a string equal to TEXT
 * returns NULL with errno ENOMEM; every other call is the real strdup. With
 * an AddressSanitizer build, also set ASAN_OPTIONS=verify_asan_link_order=0. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
    static char *(*real)(const char *);
    static atomic_long seen;
    if (!real)
        real = (char *(*)(const char *))dlsym(RTLD_NEXT, "strdup");
    const char *text = getenv("FAILSTRDUP");
    if (text && strcmp(s, text) == 0) {
        const char *nth = getenv("FAILSTRDUP_NTH");
        long want = nth ? atol(nth) : 1;
        if (atomic_fetch_add(&seen, 1) + 1 == want) {
            errno = ENOMEM;
            return NULL;
        }
    }
    return real(s);
}
