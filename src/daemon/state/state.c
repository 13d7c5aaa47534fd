/* state.c - load and atomically save the resume-position file (state.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "state/state.h"

static int fail(int code, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int code, char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- where ------------------------------------------------------------- */

int mo_state_dir_choose(const char *configured, const char *env, char **ret_dir,
                        enum mo_state_dir_source *ret_source)
{
    const char *s = NULL;
    size_t len = 0;
    enum mo_state_dir_source src = MO_STATE_DIR_NONE;
    if (configured && *configured) {
        s = configured;
        len = strlen(s);
        src = MO_STATE_DIR_CONFIG;
    } else if (env) {
        /* StateDirectory=a b gives "/var/lib/a:/var/lib/b": the first is ours. */
        for (const char *p = env; *p;) {
            size_t k = strcspn(p, ":");
            if (k) {
                s = p;
                len = k;
                src = MO_STATE_DIR_ENV;
                break;
            }
            p += 1;
        }
    }
    char *dir = NULL;
    if (s && !(dir = strndup(s, len)))
        return -ENOMEM;
    *ret_dir = dir;
    *ret_source = src;
    return 0;
}

const char *mo_state_dir_source_name(enum mo_state_dir_source s)
{
    switch (s) {
    case MO_STATE_DIR_CONFIG:
        return "state.directory";
    case MO_STATE_DIR_ENV:
        return "$STATE_DIRECTORY";
    case MO_STATE_DIR_NONE:
        break;
    }
    return "none";
}

/* ---- load -------------------------------------------------------------- */

static char *join(const char *dir, const char *file)
{
    char *p;
    return asprintf(&p, "%s/%s", dir, file) < 0 ? NULL : p;
}

int mo_state_load(const char *dir, mo_statefile **ret, char *err, size_t err_len)
{
    _cleanup_free_ char *path = join(dir, MO_STATE_FILE);
    if (!path)
        return fail(-ENOMEM, err, err_len, "out of memory");
    /* O_NONBLOCK: a FIFO in place of the file must not hang the start (it is
     * refused below); reads of a regular file ignore the flag. */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == ENOENT && stat(dir, &st) < 0)
            return fail(-ENOENT, err, err_len, "no state directory %s", dir);
        if (e == ENOENT)
            return fail(-ENOENT, err, err_len, "no state file %s yet", path);
        return fail(-e, err, err_len, "cannot open %s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(-errno, err, err_len, "cannot stat %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(-EISDIR, err, err_len, "%s is a directory, not a state file", path);
    if (!S_ISREG(st.st_mode))
        return fail(-EINVAL, err, err_len, "%s is not a regular file", path);
    if ((uint64_t)st.st_size > MO_STATEFILE_SIZE_MAX)
        return fail(-EFBIG, err, err_len, "%s: %llu bytes, more than a state file may have (%u)",
                    path, (unsigned long long)st.st_size, MO_STATEFILE_SIZE_MAX);

    /* Read to the end even if the file grew since fstat, but never past the cap. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return fail(-ENOMEM, err, err_len, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > MO_STATEFILE_SIZE_MAX)
                return fail(-EFBIG, err, err_len,
                            "%s: more than %u bytes, more than a state "
                            "file may have",
                            path, MO_STATEFILE_SIZE_MAX);
            size_t ncap = cap * 2 > MO_STATEFILE_SIZE_MAX + 1 ? MO_STATEFILE_SIZE_MAX + 1 : cap * 2;
            char *b = realloc(buf, ncap);
            if (!b)
                return fail(-ENOMEM, err, err_len, "out of memory");
            buf = b;
            cap = ncap;
        }
        ssize_t k = read(fd, buf + len, cap - len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return fail(-errno, err, err_len, "cannot read %s: %s", path, strerror(errno));
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    return mo_statefile_decode(buf, len, path, ret, err, err_len);
}

/* ---- save -------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t k = write(fd, buf, len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

int mo_state_save(const char *dir, const struct mo_statefile_entry *v, size_t n, char *err,
                  size_t err_len)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int r = mo_statefile_encode(v, n, &buf, &len, err, err_len);
    if (r < 0)
        return r;
    return mo_state_write(dir, buf, len, err, err_len);
}

int mo_state_write(const char *dir, const char *buf, size_t len, char *err, size_t err_len)
{
    int r;
    _cleanup_free_ char *path = join(dir, MO_STATE_FILE);
    _cleanup_free_ char *tmp = join(dir, MO_STATE_TMP_FILE);
    if (!path || !tmp)
        return fail(-ENOMEM, err, err_len, "out of memory");

    /* O_TRUNC: a positions.tmp left by a crash is just overwritten.
     * O_NOFOLLOW: a symlink planted there does not redirect our write. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
    if (fd < 0)
        return fail(-errno, err, err_len, "cannot create %s: %s", tmp, strerror(errno));
    const char *step = "write";
    r = write_all(fd, buf, len);
    /* fsync before the rename, or a crash could leave the new name on an
     * empty file. A failed fsync means the data may never reach the disk:
     * start over with a fresh file at the next save. */
    if (r == 0 && fsync(fd) < 0) {
        r = -errno;
        step = "sync";
    }
    if (close(fd) < 0 && r == 0) {
        r = -errno;
        step = "close";
    }
    if (r < 0) {
        unlink(tmp);
        return fail(r, err, err_len, "cannot %s %s: %s", step, tmp, strerror(-r));
    }
    if (rename(tmp, path) < 0) {
        r = -errno;
        unlink(tmp);
        return fail(r, err, err_len, "cannot rename %s to %s: %s", tmp, MO_STATE_FILE,
                    strerror(-r));
    }

    /* The rename is durable only once the directory is. */
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail(-errno, err, err_len, "saved %s but cannot open its directory to sync it: %s",
                    path, strerror(errno));
    /* Some file systems cannot sync a directory (EINVAL); nothing more can be done there. */
    if (fsync(dfd) < 0 && errno != EINVAL)
        return fail(-errno, err, err_len, "saved %s but cannot sync its directory: %s", path,
                    strerror(errno));
    return 0;
}

/* ---- pacing ------------------------------------------------------------ */

void mo_state_pacer_init(struct mo_state_pacer *p, uint64_t interval_us)
{
    *p = (struct mo_state_pacer){.interval_us = interval_us};
}

void mo_state_pacer_changed(struct mo_state_pacer *p) { p->dirty = true; }

uint64_t mo_state_pacer_due_at(const struct mo_state_pacer *p)
{
    if (!p->dirty)
        return UINT64_MAX;
    if (!p->attempted)
        return 0;
    return p->last_us > UINT64_MAX - p->interval_us ? UINT64_MAX - 1 : p->last_us + p->interval_us;
}

bool mo_state_pacer_due(const struct mo_state_pacer *p, uint64_t now_us)
{
    return p->dirty && now_us >= mo_state_pacer_due_at(p);
}

bool mo_state_pacer_saved(struct mo_state_pacer *p, uint64_t now_us, int result)
{
    bool was_failing = p->failing;
    p->attempted = true;
    p->last_us = now_us;
    p->failing = result < 0;
    if (!p->failing)
        p->dirty = false;
    return p->failing != was_failing;
}
