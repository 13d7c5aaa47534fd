/* saver.c - one writer thread for the state file (saver.h). */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "state/saver.h"

struct job {
    char *dir;
    char *buf;
    size_t len;
    uint64_t submitted_us;
    struct mo_saver_barrier before; /* before.wait NULL: none */
};

struct mo_saver {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or quit */
    pthread_cond_t idle; /* a job was finished */
    /* under lock */
    struct job pending; /* pending.buf NULL: nothing waits */
    bool writing;       /* the thread holds a job it took out of pending */
    bool quit;
    bool have_result;
    struct mo_saver_result result;
    /* the thread's own, filled off the lock and then copied into result */
    struct mo_saver_result scratch;
};

static void job_clear(struct job *j)
{
    free(j->dir);
    free(j->buf);
    *j = (struct job){0};
}

static void *run(void *arg)
{
    mo_saver *sv = arg;
    struct mo_saver_result *out = &sv->scratch;
    pthread_mutex_lock(&sv->lock);
    for (;;) {
        while (!sv->pending.buf && !sv->quit)
            pthread_cond_wait(&sv->work, &sv->lock);
        if (!sv->pending.buf)
            break; /* quit, and nothing is left to write */
        struct job j = sv->pending;
        sv->pending = (struct job){0};
        sv->writing = true;
        pthread_mutex_unlock(&sv->lock);

        out->err[0] = '\0';
        out->barrier_missed = j.before.wait && !j.before.wait(j.before.mark, j.before.timeout_us);
        out->r = mo_state_write(j.dir, j.buf, j.len, out->err, sizeof out->err);
        out->submitted_us = j.submitted_us;
        snprintf(out->dir, sizeof out->dir, "%s", j.dir);
        job_clear(&j);

        pthread_mutex_lock(&sv->lock);
        sv->result = *out;
        sv->have_result = true;
        sv->writing = false;
        pthread_cond_broadcast(&sv->idle);
    }
    pthread_mutex_unlock(&sv->lock);
    return NULL;
}

int mo_saver_new(mo_saver **ret)
{
    mo_saver *sv = calloc(1, sizeof *sv);
    if (!sv)
        return -ENOMEM;
    pthread_mutex_init(&sv->lock, NULL);
    pthread_cond_init(&sv->work, NULL);
    /* mo_saver_wait counts its limit on the monotonic clock, as every timer does */
    mo_mono_cond_init(&sv->idle);
    int r = pthread_create(&sv->thread, NULL, run, sv);
    if (r != 0) {
        pthread_cond_destroy(&sv->idle);
        pthread_cond_destroy(&sv->work);
        pthread_mutex_destroy(&sv->lock);
        free(sv);
        return -r;
    }
    *ret = sv;
    return 0;
}

void mo_saver_free(mo_saver *sv)
{
    if (!sv)
        return;
    pthread_mutex_lock(&sv->lock);
    sv->quit = true;
    pthread_cond_signal(&sv->work);
    pthread_mutex_unlock(&sv->lock);
    pthread_join(sv->thread, NULL);
    job_clear(&sv->pending);
    pthread_cond_destroy(&sv->idle);
    pthread_cond_destroy(&sv->work);
    pthread_mutex_destroy(&sv->lock);
    free(sv);
}

int mo_saver_submit(mo_saver *sv, const char *dir, char *buf, size_t len, uint64_t now_us,
                    const struct mo_saver_barrier *before)
{
    if (!buf)
        return -EINVAL;
    struct job j = {.dir = strdup(dir), .buf = buf, .len = len, .submitted_us = now_us};
    if (before)
        j.before = *before;
    if (!j.dir) {
        free(buf);
        return -ENOMEM;
    }
    pthread_mutex_lock(&sv->lock);
    struct job old = sv->pending;
    sv->pending = j;
    pthread_cond_signal(&sv->work);
    pthread_mutex_unlock(&sv->lock);
    job_clear(&old); /* replaced before it was written: latest wins */
    return 0;
}

bool mo_saver_poll(mo_saver *sv, struct mo_saver_result *ret)
{
    pthread_mutex_lock(&sv->lock);
    bool got = sv->have_result;
    if (got) {
        *ret = sv->result;
        sv->have_result = false;
    }
    pthread_mutex_unlock(&sv->lock);
    return got;
}

bool mo_saver_busy(mo_saver *sv)
{
    pthread_mutex_lock(&sv->lock);
    bool busy = sv->pending.buf || sv->writing;
    pthread_mutex_unlock(&sv->lock);
    return busy;
}

bool mo_saver_wait(mo_saver *sv, uint64_t timeout_us)
{
    struct timespec until = mo_mono_deadline(timeout_us);
    pthread_mutex_lock(&sv->lock);
    int r = 0;
    while ((sv->pending.buf || sv->writing) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&sv->idle, &sv->lock, &until);
    bool done = !sv->pending.buf && !sv->writing;
    pthread_mutex_unlock(&sv->lock);
    return done;
}
