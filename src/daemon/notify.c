/* notify.c - systemd notifications (notify.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

void mo_notify_ready(void) { sd_notify(0, "READY=1"); }

void mo_notify_reloading(void)
{
    /* systemd >= 253 wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload);
     * older ones ignore it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void mo_notify_stopping(void) { sd_notify(0, "STOPPING=1"); }

void mo_notify_status(const char *status) { sd_notifyf(0, "STATUS=%s", status); }

uint64_t mo_notify_watchdog_usec(void)
{
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void mo_notify_watchdog(void) { sd_notify(0, "WATCHDOG=1"); }
