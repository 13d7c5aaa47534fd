/* main.c - momento-topics-local: a local Momento Topics server for tests,
 * demos and benchmarks. See momento-topics-local(1). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include "admin.h"
#include "clock.h"
#include "ledger.h"
#include "loop.h"
#include "rpc.h"
#include "opts.h"
#include "port.h"
#include "server.h"
#include "topic.h"
#include "util.h"

#define EXIT_USAGE 64

/* Writes the port to `path` atomically: a reader never sees a partial file. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f)
        return -errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

/* The test-admin port's requests, handed to the server. */
static bool on_block(void *userdata) { return tl_server_block(userdata); }
static bool on_unblock(void *userdata) { return tl_server_unblock(userdata); }

static void on_signal(int signo, void *userdata)
{
    tl_server *srv = userdata;
    tl_server_shutdown(srv);
}

int main(int argc, char **argv)
{
    mo_progname = "momento-topics-local";
    struct tl_opts opts;
    char err[1024] = "";
    int r = tl_opts_parse(argc, argv, &opts, err, sizeof err);
    if (r < 0) {
        mo_warn("%s", err);
        fprintf(stderr, "Try 'momento-topics-local --help'.\n");
        tl_opts_clear(&opts);
        return EXIT_USAGE;
    }
    if (r == TL_OPTS_HELP) {
        tl_opts_usage(stdout);
        tl_opts_clear(&opts);
        return 0;
    }
    if (r == TL_OPTS_VERSION) {
        printf("momento-topics-local %s\n", PACKAGE_VERSION);
        tl_opts_clear(&opts);
        return 0;
    }

    /* before grpc_init, so that every gRPC thread inherits the mask */
    static const int sigs[] = {SIGTERM, SIGINT};
    mo_signals_block(sigs, 2);
    signal(SIGPIPE, SIG_IGN);

    /* gRPC's own lines (e.g. the bind error we explain better, or a client's
     * failed TLS handshake) only with --verbose */
    mo_grpc_logs(opts.verbose);

    int rc = 1;
    mo_loop *loop = NULL;
    tl_store *store = NULL;
    tl_server *srv = NULL;
    tl_ledger *ledger = NULL;
    tl_admin *admin = NULL;
    grpc_init();
    struct tl_store_opts so = {
        .caches = (const char *const *)opts.caches,
        .n_caches = opts.n_caches,
        .replay = opts.replay,
        .window_us = opts.replay_window_us,
        .reading = opts.disc_at ? TL_DISC_AT : TL_DISC_AFTER,
        .announce_page = opts.announce_page,
        .publisher_id = opts.publisher_id,
        .drop_every = opts.fault_drop_every,
        .reset_after = opts.fault_reset_after,
    };
    if (mo_loop_new(&loop) < 0 || tl_store_new(&so, &store) < 0) {
        mo_warn("out of memory");
        goto out;
    }
    if (opts.ledger && tl_ledger_open(opts.ledger, &ledger, err, sizeof err) < 0) {
        mo_warn("%s", err);
        goto out;
    }
    r = tl_server_new(&opts, loop, store, ledger, &srv, err, sizeof err);
    if (r < 0) {
        mo_warn("%s", err);
        goto out;
    }
    r = mo_loop_watch_signals(loop, on_signal, srv);
    if (r < 0) {
        mo_warn("cannot watch signals: %s", strerror(-r));
        goto stop;
    }

    char where[600];
    if (opts.admin_listen) {
        struct tl_admin_hooks hooks = {.block = on_block, .unblock = on_unblock, .userdata = srv};
        r = tl_admin_new(loop, opts.admin_listen, opts.admin_allow_remote, &hooks, &admin, err,
                         sizeof err);
        if (r < 0) {
            mo_warn("%s", err);
            goto stop;
        }
        tl_port_addr(opts.admin_listen, tl_admin_port(admin), where, sizeof where);
        mo_warn("test-admin port on %s (GET /block, GET /unblock)", where);
        /* before the data port's file, which tests wait for */
        if (opts.admin_port_file) {
            r = write_port_file(opts.admin_port_file, tl_admin_port(admin));
            if (r < 0) {
                mo_warn("--admin-port-file %s: %s", opts.admin_port_file, strerror(-r));
                goto stop;
            }
        }
    }
    tl_port_addr(opts.listen, tl_server_port(srv), where, sizeof where);
    mo_warn("listening on %s%s", where, opts.tls_cert ? " (TLS)" : "");
    if (opts.port_file) {
        r = write_port_file(opts.port_file, tl_server_port(srv));
        if (r < 0) {
            mo_warn("--port-file %s: %s", opts.port_file, strerror(-r));
            goto stop;
        }
    }

    mo_loop_run(loop);
    rc = 0;
    goto out;
stop:
    /* the server is running: stop it properly before destroying it */
    tl_server_shutdown(srv);
    mo_loop_run(loop);
out:
    tl_admin_free(admin);
    tl_server_free(srv);
    mo_loop_free(loop);
    tl_store_free(store);
    tl_ledger_free(ledger);
    mo_grpc_shutdown_wait(2000);
    tl_opts_clear(&opts);
    return rc;
}
