/* keylife.c - the API key's expiry and its events. */
#include <config.h>

#include <stdio.h>

#include "clock.h"
#include "log/event.h"
#include "remote/keylife.h"
#include "timefmt.h"

void mo_keylife_set(struct mo_keylife *k, int64_t expires_at)
{
    *k = (struct mo_keylife){.expires_at = expires_at};
}

enum mo_keylife_change mo_keylife_step(struct mo_keylife *k, int64_t now_s)
{
    if (!k->expires_at)
        return MO_KEYLIFE_SAME;
    int64_t left = k->expires_at - now_s;
    if (left <= 0 && k->said < 3) {
        k->said = 3;
        return MO_KEYLIFE_EXPIRED;
    }
    if (left > 0 && left <= MO_KEYLIFE_LAST_S && k->said < 2) {
        k->said = 2;
        return MO_KEYLIFE_LAST_DAY;
    }
    if (left > MO_KEYLIFE_LAST_S && left <= MO_KEYLIFE_WARN_S && k->said < 1) {
        k->said = 1;
        return MO_KEYLIFE_EXPIRING;
    }
    return MO_KEYLIFE_SAME;
}

bool mo_keylife_left_s(const struct mo_keylife *k, int64_t now_s, int64_t *ret)
{
    if (!k->expires_at)
        return false;
    *ret = k->expires_at - now_s;
    return true;
}

void mo_keylife_span(int64_t s, char *buf, size_t len)
{
    if (s < 0)
        s = -s;
    if (s >= 86400)
        snprintf(buf, len, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, len, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, len, "%lld min", (long long)(s / 60));
    else
        snprintf(buf, len, "%lld s", (long long)s);
}

void mo_keylife_check(struct mo_keylife *k, int64_t now_s, const char *key_source)
{
    enum mo_keylife_change c = mo_keylife_step(k, now_s);
    if (c == MO_KEYLIFE_SAME)
        return;
    char at[48], span[48];
    mo_time_format_rfc3339(k->expires_at * MO_NSEC_PER_SEC, 0, 0, at, sizeof at);
    int64_t left = k->expires_at - now_s;
    mo_keylife_span(left, span, sizeof span);
    struct mo_event e;
    mo_event_init(&e, c == MO_KEYLIFE_EXPIRED ? MO_EV_KEY_EXPIRED : MO_EV_KEY_EXPIRING, NULL, NULL);
    mo_event_str(&e, "expires_at", at);
    mo_event_int(&e, "key_expires_in_s", left);
    mo_event_str(&e, "key_source", key_source ? key_source : "");
    if (c == MO_KEYLIFE_EXPIRED)
        mo_event_msg(&e,
                     "The API key (%s) expired at %s, %s ago: the service refuses it; create a new "
                     "key, put it in its place and reload (systemctl reload momento-subscriberd)",
                     key_source ? key_source : "", at, span);
    else
        mo_event_msg(&e,
                     "The API key (%s) expires at %s, in %s: create a new key before then, put it "
                     "in its place and reload (systemctl reload momento-subscriberd); nothing is lost",
                     key_source ? key_source : "", at, span);
    mo_event_emit(&e);
}
