/* notify.h - systemd's notification protocol (sd_notify(3)), through libsystemd.
 *
 * Without $NOTIFY_SOCKET every call does nothing, so the daemon runs the same
 * by hand and under systemd.
 */
#ifndef MO_NOTIFY_H
#define MO_NOTIFY_H

#include <stdint.h>

void mo_notify_ready(void);     /* READY=1: every subscription is up (or 10 s passed) */
void mo_notify_reloading(void); /* RELOADING=1 with MONOTONIC_USEC (Type=notify-reload) */
void mo_notify_stopping(void);  /* STOPPING=1 */
void mo_notify_status(const char *status); /* STATUS=, the line systemctl status shows */
/* The watchdog period in microseconds if systemd asked for one, else 0. */
uint64_t mo_notify_watchdog_usec(void);
void mo_notify_watchdog(void); /* WATCHDOG=1 */

#endif
