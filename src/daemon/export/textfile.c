/* textfile.c - one writer thread for the Prometheus textfile (textfile.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "export/textfile.h"

struct job {
    char *path;
    char *buf; /* NULL: no job */
    size_t len;
};

struct mo_textfile {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or quit */
    pthread_cond_t idle; /* a job was finished */
    /* under lock */
    struct job pending;
    bool writing; /* the thread holds a job it took out of pending */
    bool quit;
    bool orphaned; /* free gave up waiting: the thread frees everything as it leaves */
    bool have_result;
    struct mo_textfile_result result;
    atomic_bool ready; /* have_result, for a look without the lock */
};

static void job_clear(struct job *j)
{
    free(j->path);
    free(j->buf);
    *j = (struct job){0};
}

static void destroy(mo_textfile *t)
{
    job_clear(&t->pending);
    pthread_cond_destroy(&t->idle);
    pthread_cond_destroy(&t->work);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* Writes the file through a temporary one beside it, renamed over it, so
 * that the collector never reads half a file; -errno with the failed step. */
static int write_file(const struct job *j, const char **what)
{
    size_t len = strlen(j->path);
    const char *slash = strrchr(j->path, '/'); /* the path is absolute (config) */
    if (!slash) {
        *what = "finding its directory";
        return -EINVAL;
    }
    size_t dir = (size_t)(slash - j->path) + 1;
    char *tmp = malloc(len + 16);
    if (!tmp) {
        *what = "allocating";
        return -ENOMEM;
    }
    /* hidden and without .prom, so that the collector never reads it */
    snprintf(tmp, len + 16, "%.*s.%s.XXXXXX", (int)dir, j->path, slash + 1);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int r = -errno;
        *what = "creating a temporary file in its directory";
        free(tmp);
        return r;
    }
    int r = 0;
    /* node_exporter runs as another user: the file must be readable */
    if (fchmod(fd, 0644) < 0) {
        r = -errno;
        *what = "setting its mode";
    }
    for (size_t off = 0; r == 0 && off < j->len;) {
        ssize_t n = write(fd, j->buf + off, j->len - off);
        if (n >= 0)
            off += (size_t)n;
        else if (errno != EINTR) {
            r = -errno;
            *what = "writing";
        }
    }
    if (close(fd) < 0 && r == 0) {
        r = -errno;
        *what = "writing";
    }
    if (r == 0 && rename(tmp, j->path) < 0) {
        r = -errno;
        *what = "renaming the temporary file over it";
    }
    if (r < 0)
        unlink(tmp);
    free(tmp);
    return r;
}

static void *run(void *arg)
{
    mo_textfile *t = arg;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        while (!t->pending.buf && !t->quit)
            pthread_cond_wait(&t->work, &t->lock);
        if (!t->pending.buf)
            break; /* quit, and nothing is left to write */
        struct job j = t->pending;
        t->pending = (struct job){0};
        t->writing = true;
        pthread_mutex_unlock(&t->lock);

        struct mo_textfile_result res = {.what = ""};
        res.r = write_file(&j, &res.what);
        snprintf(res.path, sizeof res.path, "%s", j.path);
        job_clear(&j);

        pthread_mutex_lock(&t->lock);
        t->result = res;
        t->have_result = true;
        atomic_store(&t->ready, true);
        t->writing = false;
        pthread_cond_broadcast(&t->idle);
    }
    bool orphaned = t->orphaned;
    pthread_mutex_unlock(&t->lock);
    if (orphaned)
        destroy(t);
    return NULL;
}

int mo_textfile_new(mo_textfile **ret)
{
    mo_textfile *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->work, NULL);
    /* mo_textfile_wait counts its limit on the monotonic clock, as every timer does */
    mo_mono_cond_init(&t->idle);
    int r = pthread_create(&t->thread, NULL, run, t);
    if (r != 0) {
        destroy(t);
        return -r;
    }
    pthread_setname_np(t->thread, "mo-textfile");
    *ret = t;
    return 0;
}

void mo_textfile_free(mo_textfile *t, uint64_t timeout_us)
{
    if (!t)
        return;
    bool done = mo_textfile_wait(t, timeout_us);
    pthread_mutex_lock(&t->lock);
    t->quit = true;
    if (!done) {
        /* stuck in the file system: the job waiting is dropped, and the
         * thread cleans up after itself if it ever comes back */
        job_clear(&t->pending);
        t->orphaned = true;
    }
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->lock);
    if (!done) {
        pthread_detach(t->thread);
        return;
    }
    pthread_join(t->thread, NULL);
    destroy(t);
}

int mo_textfile_submit(mo_textfile *t, const char *path, char *buf, size_t len)
{
    if (!buf)
        return -EINVAL;
    struct job j = {.path = strdup(path), .buf = buf, .len = len};
    if (!j.path) {
        free(buf);
        return -ENOMEM;
    }
    pthread_mutex_lock(&t->lock);
    struct job old = t->pending;
    t->pending = j;
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->lock);
    job_clear(&old); /* replaced before it was written: latest wins */
    return 0;
}

bool mo_textfile_ready(const mo_textfile *t) { return atomic_load_explicit(&t->ready, memory_order_relaxed); }

bool mo_textfile_poll(mo_textfile *t, struct mo_textfile_result *ret)
{
    pthread_mutex_lock(&t->lock);
    bool got = t->have_result;
    if (got) {
        *ret = t->result;
        t->have_result = false;
        atomic_store(&t->ready, false);
    }
    pthread_mutex_unlock(&t->lock);
    return got;
}

bool mo_textfile_wait(mo_textfile *t, uint64_t timeout_us)
{
    struct timespec until = mo_mono_deadline(timeout_us);
    pthread_mutex_lock(&t->lock);
    int r = 0;
    while ((t->pending.buf || t->writing) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&t->idle, &t->lock, &until);
    bool done = !t->pending.buf && !t->writing;
    pthread_mutex_unlock(&t->lock);
    return done;
}
