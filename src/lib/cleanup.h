/* cleanup.h - scope-bound cleanup for locals (GNU cleanup attribute).
 *
 *   _cleanup_free_ char *s = strdup(x);     freed when s goes out of scope
 *   return TAKE_PTR(s);                      hand ownership to the caller
 *
 * Every *_freep helper accepts a pointer to NULL.
 */
#ifndef MO_CLEANUP_H
#define MO_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp = (p);                                                                   \
        (p) = NULL;                                                                                \
        _tp;                                                                                       \
    })

#define MO_DEFINE_FREEP(type, fn)                                                                  \
    static inline void fn##p(type **p)                                                             \
    {                                                                                              \
        if (*p)                                                                                    \
            fn(*p);                                                                                \
    }

static inline void mo_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(mo_freep)

static inline void mo_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(mo_fclosep)

static inline void mo_closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
#define _cleanup_close_ _cleanup_(mo_closep)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
