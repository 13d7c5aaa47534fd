/* env.c - what every call handler shares: the --verbose log (env.h). */
#include <config.h>

#include <stdarg.h>

#include "env.h"
#include "util.h"

void tl_log(const struct tl_env *env, const char *fmt, ...)
{
    if (!env->opts->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    mo_vwarn(fmt, ap);
    va_end(ap);
}
