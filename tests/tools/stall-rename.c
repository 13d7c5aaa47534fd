/* stall-rename.c - a library for LD_PRELOAD in tests: rename(2) onto the
 * path $MO_STALL_RENAME waits as long as the file $MO_STALL_WHILE exists,
 * as a rename on a stuck file system would. So that a test knows the stall
 * really happened, the first call that waits creates $MO_STALL_WHILE.hit.
 * Every other rename, and every rename while the file is absent, goes
 * straight to the real one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int rename(const char *from, const char *to)
{
    const char *target = getenv("MO_STALL_RENAME"), *flag = getenv("MO_STALL_WHILE");
    if (target && flag && strcmp(to, target) == 0 && access(flag, F_OK) == 0) {
        char hit[4096];
        snprintf(hit, sizeof hit, "%s.hit", flag);
        int fd = open(hit, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
        while (access(flag, F_OK) == 0)
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    return real ? real(from, to) : -1;
}
