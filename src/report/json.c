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
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int lr_json_print(FILE *f, const struct lr_report *r)
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
