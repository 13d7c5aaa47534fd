/* json.c - print the report as JSON. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "timefmt.h"
#include "json.h"

/* Numbers go through double: exact for the integers a report holds (< 2^53). */
static bool add_num(cJSON *o, const char *key, double v) { return cJSON_AddNumberToObject(o, key, v); }

/* A bound in microseconds, or null when unknown. */
static bool add_bound(cJSON *o, const char *key, bool known, uint64_t v)
{
    return known ? add_num(o, key, (double)v) : cJSON_AddNullToObject(o, key) != NULL;
}

/* The clock error bounds of a row (merge.h). */
static bool add_clock(cJSON *o, const struct lr_row *row)
{
    bool partial;
    int64_t bound = lr_row_bound_us(row, &partial);
    cJSON *sources = NULL;
    bool ok = add_bound(o, "clock_bound_us", row->has_clock_bound, row->clock_bound_us) &&
              add_bound(o, "publisher_bound_us", row->has_publisher_bound, row->publisher_bound_us) &&
              add_bound(o, "bound_us", bound >= 0, (uint64_t)bound) &&
              cJSON_AddBoolToObject(o, "bound_partial", partial) &&
              add_num(o, "skewed", (double)row->skewed) &&
              (sources = cJSON_AddArrayToObject(o, "clock_sources"));
    for (int i = 0; ok && i < LR_CLOCK_SOURCES; i++) {
        if (!(row->clock_sources & (1u << i)))
            continue;
        cJSON *name = cJSON_CreateString(lr_clock_source_names[i]);
        ok = name && cJSON_AddItemToArray(sources, name);
        if (!ok)
            cJSON_Delete(name);
    }
    return ok;
}

static cJSON *row_json(const struct lr_report *r, const struct lr_row *row)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    bool ok = true;
    if (r->by_host && row->host)
        ok = ok && cJSON_AddStringToObject(o, "host", row->host);
    if (row->cache)
        ok = ok && cJSON_AddStringToObject(o, "cache", row->cache) &&
             cJSON_AddStringToObject(o, "topic", row->topic);
    ok = ok && add_num(o, "summaries", (double)row->summaries) &&
         add_num(o, "messages", (double)row->messages) && add_num(o, "measured", (double)row->measured);
    if (row->cache)
        ok = ok && add_num(o, "covered_s", round(row->covered_s * 1000) / 1000);
    ok = ok && add_num(o, "rate_per_s", round(row->rate * 1000) / 1000);
    const struct {
        const char *key;
        int64_t v;
    } lat[] = {{"min_us", row->min_us}, {"p50_us", row->p50_us},   {"p90_us", row->p90_us},
               {"p99_us", row->p99_us}, {"p999_us", row->p999_us}, {"max_us", row->max_us}};
    for (size_t i = 0; ok && i < sizeof lat / sizeof *lat; i++)
        ok = row->measured ? add_num(o, lat[i].key, (double)lat[i].v)
                           : cJSON_AddNullToObject(o, lat[i].key) != NULL;
    ok = ok && add_num(o, "negative", (double)row->negative) &&
         add_num(o, "decode_errors", (double)row->decode_errors) &&
         add_num(o, "protocol_errors", (double)row->protocol_errors) &&
         add_num(o, "gaps", (double)row->gaps) && add_num(o, "duplicates", (double)row->duplicates) &&
         add_num(o, "discontinuities", (double)row->discontinuities) &&
         add_num(o, "lost", (double)row->lost) && add_num(o, "resets", (double)row->resets) &&
         add_num(o, "reconnects", (double)row->reconnects) &&
         add_num(o, "log_dropped", (double)row->log_dropped) &&
         add_num(o, "warnings_dropped", (double)row->warnings_dropped);
    ok = ok && add_clock(o, row);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* A latency in microseconds, or null when none was measured. */
static bool add_us(cJSON *o, const char *key, bool measured, int64_t v)
{
    return measured ? add_num(o, key, (double)v) : cJSON_AddNullToObject(o, key) != NULL;
}

static cJSON *canary_json(const struct lr_canary_row *row)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    bool ok = true, m = row->received > 0;
    if (row->host)
        ok = cJSON_AddStringToObject(o, "host", row->host) &&
             cJSON_AddStringToObject(o, "cache", row->cache) && cJSON_AddStringToObject(o, "topic", row->topic);
    const struct {
        const char *key;
        uint64_t v;
    } n[] = {{"events", row->events},
             {"sent", row->sent},
             {"received", row->received},
             {"lost", row->lost},
             {"late", row->late},
             {"duplicates", row->duplicates},
             {"out_of_order", row->out_of_order},
             {"after_deadline", row->after_deadline},
             {"publish_errors", row->publish_errors}};
    for (size_t i = 0; ok && i < sizeof n / sizeof *n; i++)
        ok = add_num(o, n[i].key, (double)n[i].v);
    ok = ok && (row->has_availability ? add_num(o, "availability", (double)row->availability_ppm / 1e6)
                                      : cJSON_AddNullToObject(o, "availability") != NULL);
    ok = ok && add_us(o, "rtt_min_us", m, row->min_us) && add_us(o, "rtt_p50_us", m, row->p50_us) &&
         add_us(o, "rtt_p90_us", m, row->p90_us) && add_us(o, "rtt_p99_us", m, row->p99_us) &&
         add_us(o, "rtt_p999_us", m, row->p999_us) && add_us(o, "rtt_max_us", m, row->max_us);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *peer_json(const struct lr_peer_row *row)
{
    cJSON *o = cJSON_CreateObject();
    bool m = row->received > 0;
    bool ok = o && cJSON_AddStringToObject(o, "reporter", row->reporter) &&
              cJSON_AddStringToObject(o, "host", row->host) && add_num(o, "events", (double)row->events) &&
              add_num(o, "received", (double)row->received) && add_num(o, "lost", (double)row->lost) &&
              add_us(o, "p50_us", m, row->p50_us) && add_us(o, "p90_us", m, row->p90_us) &&
              add_us(o, "p99_us", m, row->p99_us) && add_us(o, "p999_us", m, row->p999_us) &&
              add_us(o, "max_us", m, row->max_us) &&
              add_us(o, "bound_us", row->has_bound, (int64_t)row->bound_us);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* "canary", "canary_total" and "canary_peers", when the window has canary events. */
static bool add_canary(cJSON *doc, const struct lr_canary_report *c)
{
    if (!c || (c->n_rows == 0 && c->n_peers == 0))
        return true;
    cJSON *rows = cJSON_AddArrayToObject(doc, "canary"), *o;
    if (!rows)
        return false;
    for (size_t i = 0; i < c->n_rows; i++) {
        if (!(o = canary_json(&c->rows[i])))
            return false;
        cJSON_AddItemToArray(rows, o);
    }
    if (c->all) {
        if (!(o = canary_json(c->all)))
            return false;
        if (!cJSON_AddItemToObject(doc, "canary_total", o)) {
            cJSON_Delete(o);
            return false;
        }
    } else if (!cJSON_AddNullToObject(doc, "canary_total")) {
        return false;
    }
    cJSON *peers = cJSON_AddArrayToObject(doc, "canary_peers");
    if (!peers)
        return false;
    for (size_t i = 0; i < c->n_peers; i++) {
        if (!(o = peer_json(&c->peers[i])))
            return false;
        cJSON_AddItemToArray(peers, o);
    }
    return true;
}

int lr_json_print(FILE *f, const struct lr_report *r) { return lr_json_print_with(f, r, NULL); }

int lr_json_print_with(FILE *f, const struct lr_report *r, const struct lr_canary_report *c)
{
    char first[48], last[48];
    mo_time_format_rfc3339(r->first_us * 1000, 6, 0, first, sizeof first);
    mo_time_format_rfc3339(r->last_us * 1000, 6, 0, last, sizeof last);
    cJSON *doc = cJSON_CreateObject(), *topics = NULL, *hosts = NULL, *total = NULL;
    bool ok = doc && cJSON_AddStringToObject(doc, "first", first) &&
              cJSON_AddStringToObject(doc, "last", last) &&
              add_num(doc, "summaries", (double)r->n_summaries) &&
              add_num(doc, "host_count", (double)r->n_hosts) &&
              add_num(doc, "topic_count", (double)r->n_topics) &&
              cJSON_AddBoolToObject(doc, "by_host", r->by_host) &&
              (topics = cJSON_AddArrayToObject(doc, "topics")) &&
              (hosts = cJSON_AddArrayToObject(doc, "hosts"));
    for (size_t i = 0; ok && i < r->n_rows; i++) {
        const struct lr_row *row = &r->rows[i];
        cJSON *o = row_json(r, row);
        if (!o) {
            ok = false;
            break;
        }
        if (row->cache)
            cJSON_AddItemToArray(topics, o);
        else if (row->host && r->by_host)
            cJSON_AddItemToArray(hosts, o);
        else
            total = o;
    }
    ok = ok && total && cJSON_AddItemToObject(doc, "total", total);
    ok = ok && add_canary(doc, c);
    char *text = ok ? cJSON_PrintUnformatted(doc) : NULL;
    if (!ok && total && doc && !cJSON_GetObjectItem(doc, "total"))
        cJSON_Delete(total);
    cJSON_Delete(doc);
    if (!text)
        return -ENOMEM;
    fputs(text, f);
    fputc('\n', f);
    free(text);
    return ferror(f) ? -EIO : 0;
}
