/* Unit tests for the summary: what each count means (count against
 * with_latency, the percentiles over the latter; decode errors, which are
 * messages, and protocol errors, which are not), stream ends by class,
 * resume outcomes, lost, the longest silence, and how intervals add up into
 * the "*" total. The summary event is read back as the JSON line it writes. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/event.h"
#include "sub/stats.h"
#include "test.h"

/* The summary line mo_stats_end_interval writes, captured from stdout. */
static char line[512 * 1024];

static const char *end_interval(struct mo_stats *s, const char *cache, struct mo_stats *add_to)
{
    static const struct mo_clock_summary clk = {.kernel = {.synced = true, .error_us = 10},
                                                .synced = true,
                                                .source = MO_SOURCE_CLOCKBOUND,
                                                .bound_us = 350,
                                                .status = MO_CB_SYNCHRONIZED};
    fflush(stdout);
    FILE *f = tmpfile();
    int saved = dup(STDOUT_FILENO);
    if (!f || saved < 0 || dup2(fileno(f), STDOUT_FILENO) < 0) {
        fprintf(stderr, "test-stats: cannot capture stdout\n");
        exit(1);
    }
    mo_stats_end_interval(s, cache, cache, s->start_us + 2000000, &clk, add_to);
    /* written by the sink's thread: wait until it is out */
    TEST_CHECK(mo_event_wait_mark(mo_event_mark(), 5000000));
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(f);
    size_t n = fread(line, 1, sizeof line - 1, f);
    line[n] = '\0';
    fclose(f);
    return line;
}

static void test_counts(void)
{
    struct mo_stats s, total;
    TEST_EQ_INT(mo_stats_init(&s), 0);
    TEST_EQ_INT(mo_stats_init(&total), 0);

    /* 5 delivered, 3 of them with a latency (2 could not be decoded) */
    s.count = 5;
    s.decode_errors = 2;
    mo_hist_record(s.hist, 100);
    mo_hist_record(s.hist, 200);
    mo_hist_record(s.hist, 300);
    s.discontinuities = 2;
    s.lost = 17;
    s.resubscribes = 7;
    s.ends[MO_END_OK] = 3;
    s.ends[MO_END_RST] = 1;
    s.ends[MO_END_IDLE] = 1;
    s.ends[MO_END_OVERSIZED] = 2;
    s.resumes[MO_CONT_RESUME_EXACT] = 4;
    s.resumes[MO_CONT_RESUME_REPEATED] = 1;
    s.resumes[MO_CONT_RESUME_DISCONTINUITY] = 2;
    s.max_silence_us = 1234567;
    s.log_dropped = 9;
    s.warnings_dropped = 4;
    mo_reasons_add(&s.decode_reasons, "invalid JSON at byte 3", 2);
    /* and 3 server messages that were not items at all, with their own reasons */
    s.protocol_errors = 3;
    mo_reasons_add(&s.protocol_reasons, "malformed _SubscriptionItem (7 bytes)", 2);
    mo_reasons_add(&s.protocol_reasons, "subscription item with no kind", 1);
    const char *j = end_interval(&s, "c", &total);
    TEST_CONTAINS(j, "\"event\":\"summary\"");
    TEST_CONTAINS(j, "\"count\":5,\"with_latency\":3,");
    TEST_CONTAINS(j, "\"p50_us\":200,");
    TEST_CONTAINS(j, "\"max_us\":300,");
    TEST_CONTAINS(j, "\"decode_errors\":2,\"protocol_errors\":3,");
    TEST_CONTAINS(j, "\"discontinuities\":2,\"resets\":0,\"lost\":17,\"reconnects\":7,");
    TEST_CONTAINS(j, "\"ends_ok\":3,\"ends_rst\":1,\"ends_idle\":1,\"ends_cancelled\":0,\"ends_error\":0,"
                     "\"oversized\":2,");
    TEST_CONTAINS(j, "\"resumes_exact\":4,\"resumes_repeated\":1,\"resumes_skipped\":0,"
                     "\"resumes_discontinuity\":2,");
    TEST_CONTAINS(j, "\"max_silence_ms\":1234,");
    /* every field of the summary, the clock's, the log's and the histogram
     * last (none cut by the event's field limit); sink_dropped in the total only */
    TEST_CONTAINS(j, "\"clock_synced\":true,\"clock_error_us\":10,\"clock_esterror_us\":");
    TEST_CONTAINS(j, "\"clock_source\":\"clockbound\",\"clock_bound_us\":350,"
                     "\"clock_status\":\"synchronized\",\"publisher_bound_us\":-1,\"skewed\":0,");
    TEST_CONTAINS(j, ",\"log_dropped\":9,\"warnings_dropped\":4,"
                     "\"decode_error_reasons\":\"2: invalid JSON at byte N\","
                     "\"protocol_error_reasons\":\"2: malformed _SubscriptionItem (N bytes) | "
                     "1: subscription item with no kind\",\"histogram\":\"h1,");
    TEST_CHECK(strstr(j, "sink_dropped") == NULL);
    TEST_CHECK(strstr(j, "state_saves_ahead_of_log") == NULL);
    TEST_CONTAINS(j, "c/c: 5 messages (2 without a latency) in 2.0 s");
    TEST_CONTAINS(j, "; 3 server messages the protocol does not allow; not logged: 9 message events, 4 warnings");
    /* the interval starts over */
    TEST_EQ_INT(s.count, 0);
    TEST_EQ_INT(s.protocol_errors, 0);
    TEST_EQ_INT(s.protocol_reasons.n, 0);
    TEST_EQ_INT(s.lost, 0);
    TEST_EQ_INT(s.ends[MO_END_OK], 0);
    TEST_EQ_INT(s.resumes[MO_CONT_RESUME_EXACT], 0);
    TEST_EQ_INT(s.max_silence_us, 0);
    TEST_EQ_INT(mo_hist_count(s.hist), 0);

    /* a second subscription: counts add up, the longest silence is the longest */
    struct mo_stats t;
    TEST_EQ_INT(mo_stats_init(&t), 0);
    t.count = 1;
    mo_hist_record(t.hist, 50);
    t.lost = 3;
    t.ends[MO_END_OK] = 2;
    t.ends[MO_END_CANCELLED] = 1;
    t.ends[MO_END_ERROR] = 4;
    t.resumes[MO_CONT_RESUME_SKIPPED] = 1;
    t.max_silence_us = 999;
    t.protocol_errors = 1;
    mo_reasons_add(&t.protocol_reasons, "unreadable gRPC message", 1);
    j = end_interval(&t, "d", &total);
    TEST_CONTAINS(j, "\"count\":1,\"with_latency\":1,");
    TEST_CONTAINS(j, "\"decode_errors\":0,\"protocol_errors\":1,");
    TEST_CONTAINS(j, "\"decode_error_reasons\":\"\",\"protocol_error_reasons\":\"1: unreadable gRPC message\",");
    TEST_CONTAINS(j, "d/d: 1 messages in 2.0 s"); /* all with a latency: not said */
    total.sink_dropped = 5;
    total.state_saves_ahead_of_log = 2;
    j = end_interval(&total, "*", NULL);
    TEST_CONTAINS(j, ", other events lost by the output (sink_dropped); "
                     "2 saves of resume positions ahead of the log\"");
    TEST_CONTAINS(j, "\"count\":6,\"with_latency\":4,");
    TEST_CONTAINS(j, "\"decode_errors\":2,\"protocol_errors\":4,");
    TEST_CONTAINS(j, ",\"log_dropped\":9,\"warnings_dropped\":4,\"sink_dropped\":5,"
                     "\"state_saves_ahead_of_log\":2,\"decode_error_reasons\":\"2: invalid JSON at byte N\","
                     "\"protocol_error_reasons\":\"2: malformed _SubscriptionItem (N bytes) | "
                     "1: subscription item with no kind | 1: unreadable gRPC message\",\"histogram\":\"h1,");
    TEST_CONTAINS(j, "\"lost\":20,");
    TEST_CONTAINS(j, "\"ends_ok\":5,\"ends_rst\":1,\"ends_idle\":1,\"ends_cancelled\":1,\"ends_error\":4,"
                     "\"oversized\":2,");
    TEST_CONTAINS(j, "\"resumes_exact\":4,\"resumes_repeated\":1,\"resumes_skipped\":1,"
                     "\"resumes_discontinuity\":2,");
    TEST_CONTAINS(j, "\"max_silence_ms\":1234,");
    TEST_CONTAINS(j, "all subscriptions: 6 messages (2 without a latency)");

    /* nothing at all */
    j = end_interval(&total, "*", NULL);
    TEST_CONTAINS(j, "\"count\":0,\"with_latency\":0,");
    TEST_CONTAINS(j, "\"decode_errors\":0,\"protocol_errors\":0,");
    TEST_CONTAINS(j, "\"sink_dropped\":0,\"state_saves_ahead_of_log\":0,");
    TEST_CHECK(strstr(j, "ahead of the log\"") == NULL);
    TEST_CONTAINS(j, "\"max_silence_ms\":0,");
    TEST_CHECK(strstr(j, "protocol does not allow") == NULL);

    mo_stats_clear(&s);
    mo_stats_clear(&t);
    mo_stats_clear(&total);
}

int main(void)
{
    mo_event_set_format(MO_LOG_JSON);
    test_counts();
    return test_result("test-stats");
}
