/* Unit tests for the daemon's configuration loader
 * (src/daemon/config/config.c).
 *
 * Each fixture is written to a temporary file and loaded; errors are checked
 * for their exact line, column and key, and for words of their reason. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "test.h"
#include "test-keys.h"

static char tmpdir[256];

static char *fixture(const char *text)
{
    static int n;
    char *path = malloc(300);
    snprintf(path, 300, "%s/f%d.yaml", tmpdir, n++);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

static void dump(const struct mo_config_errors *e)
{
    char buf[1200];
    for (size_t i = 0; i < e->n; i++) {
        mo_config_error_format(&e->v[i], buf, sizeof buf);
        fprintf(stderr, "    %s\n", buf);
    }
}

/* Loads text; returns the config (or NULL) and fills errs and *rc. */
static struct mo_config *load(const char *text, struct mo_config_errors *errs, int *rc)
{
    char *path = fixture(text);
    struct mo_config *cfg = NULL;
    *errs = (struct mo_config_errors){0};
    *rc = mo_config_load(path, &cfg, errs);
    unlink(path);
    free(path);
    return cfg;
}

static struct mo_config *load_ok_at(int line, const char *text)
{
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load(text, &errs, &rc);
    TEST_EQ_INT(rc, 0);
    TEST_CHECK(cfg != NULL);
    if (rc != 0 || errs.n) {
        fprintf(stderr, "  from line %d, unexpected errors:\n", line);
        dump(&errs);
    }
    mo_config_errors_clear(&errs);
    return cfg;
}
#define load_ok(text) load_ok_at(__LINE__, text)

/* Checks error i of errs. */
static void check_error_at(int line, const struct mo_config_errors *errs, size_t i, int eline,
                           int ecol, const char *key, const char *reason)
{
    int before = test_failures;
    TEST_CHECK(i < errs->n);
    if (i < errs->n) {
        const struct mo_config_error *e = &errs->v[i];
        TEST_EQ_INT(e->line, eline);
        TEST_EQ_INT(e->column, ecol);
        TEST_EQ_STR(e->key, key);
        TEST_CONTAINS(e->reason, reason);
    }
    if (test_failures != before) {
        fprintf(stderr, "  from line %d, error %zu of:\n", line, i);
        dump(errs);
    }
}
#define check_error(errs, i, l, c, key, reason) check_error_at(__LINE__, errs, i, l, c, key, reason)

/* The text fails to load with exactly one error. */
static void expect_one_at(int line, const char *text, int eline, int ecol, const char *key,
                          const char *reason)
{
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load(text, &errs, &rc);
    int before = test_failures;
    TEST_EQ_INT(rc, -EINVAL);
    TEST_CHECK(cfg == NULL);
    TEST_EQ_INT(errs.n, 1);
    if (test_failures != before) {
        fprintf(stderr, "  from line %d:\n", line);
        dump(&errs);
    }
    check_error_at(line, &errs, 0, eline, ecol, key, reason);
    mo_config_free(cfg);
    mo_config_errors_clear(&errs);
}
#define expect_one(text, l, c, key, reason) expect_one_at(__LINE__, text, l, c, key, reason)

#define SUBS "subscriptions:\n  - cache: c\n    topic: t\n"

/* ---- what loads ---- */

static void test_defaults(void)
{
    struct mo_config *cfg = load_ok(SUBS);
    if (!cfg)
        return;
    TEST_CHECK(cfg->endpoint == NULL);
    TEST_CHECK(cfg->api_key_file == NULL);
    TEST_CHECK(cfg->endpoint_override == NULL);
    TEST_EQ_INT(cfg->tls, -1);
    TEST_EQ_INT(cfg->n_subs, 1);
    TEST_EQ_STR(cfg->subs[0].cache, "c");
    TEST_EQ_STR(cfg->subs[0].topic, "t");
    TEST_EQ_INT(cfg->subs[0].line, 2);
    TEST_EQ_INT(cfg->subs[0].column, 5);
    const struct mo_decoder *d = &cfg->subs[0].decoder;
    TEST_EQ_INT(d->mode, MO_DECODE_JSON);
    TEST_EQ_INT(d->format, MO_TS_AUTO);
    TEST_EQ_STR(d->field, "timestamp");
    TEST_EQ_INT(d->path_len, 1);
    TEST_EQ_INT(d->offset, 0);
    TEST_EQ_INT(d->encoding, MO_BIN_U64BE);
    TEST_EQ_INT(d->unit, MO_UNIT_NS);
    TEST_EQ_INT(cfg->messages, MO_LOG_MESSAGES_ALL);
    TEST_EQ_INT(cfg->sample_every, 100);
    TEST_EQ_INT(cfg->slow_threshold_us, 50000);
    TEST_EQ_INT(cfg->summary_interval_us, 60000000);
    TEST_EQ_INT(cfg->message_budget, 100);
    TEST_EQ_INT(cfg->warnings_per_interval, 3);
    TEST_EQ_INT(cfg->backoff_initial_us, 100000);
    TEST_EQ_INT(cfg->backoff_max_us, 30000000);
    TEST_EQ_INT(cfg->idle_timeout_us, 15000000);
    TEST_CHECK(cfg->state_directory == NULL);
    TEST_CHECK(cfg->prometheus_textfile == NULL);
    TEST_CHECK(!cfg->emf);
    TEST_CHECK(cfg->path != NULL);
    mo_config_free(cfg);

    /* empty sections and empty optional strings are the same as leaving them out */
    cfg = load_ok("momento:\n  endpoint:\n  api_key_file: \"\"\n  tls: true\n"
                  "defaults:\nlogging:\nreconnect:\nstate:\n  directory: ~\nexport:\n" SUBS);
    if (!cfg)
        return;
    TEST_CHECK(cfg->endpoint == NULL);
    TEST_CHECK(cfg->api_key_file == NULL);
    TEST_CHECK(cfg->state_directory == NULL);
    TEST_EQ_INT(cfg->tls, 1);
    mo_config_free(cfg);
}

static void test_every_key(void)
{
    struct mo_config *cfg = load_ok("momento:\n"
                                    "  endpoint: cell-1.example.com\n"
                                    "  api_key_file: /etc/momento-subscriber/api-key\n"
                                    "  endpoint_override: 127.0.0.1:8080\n"
                                    "  tls: false\n"
                                    "defaults:\n"
                                    "  decode: text\n"
                                    "  timestamp:\n"
                                    "    field: meta.sent_at\n"
                                    "    format: epoch_us\n"
                                    "    offset: 8\n"
                                    "    encoding: u32le\n"
                                    "    unit: ms\n"
                                    "subscriptions:\n"
                                    "  - cache: a\n"
                                    "    topic: \"1\"\n"
                                    "logging:\n"
                                    "  messages: sample\n"
                                    "  sample_every: 7\n"
                                    "  slow_threshold: 2.5ms\n"
                                    "  summary_interval: 2m\n"
                                    "  message_budget: 5000\n"
                                    "  warnings_per_interval: 0\n"
                                    "reconnect:\n"
                                    "  backoff_initial: 1ms\n"
                                    "  backoff_max: 1h\n"
                                    "  idle_timeout: 1s\n"
                                    "state:\n"
                                    "  directory: /var/lib/x\n"
                                    "export:\n"
                                    "  prometheus_textfile: /tmp/x.prom\n"
                                    "  emf: true\n");
    if (!cfg)
        return;
    TEST_EQ_STR(cfg->endpoint, "cell-1.example.com");
    TEST_EQ_STR(cfg->api_key_file, "/etc/momento-subscriber/api-key");
    TEST_EQ_STR(cfg->endpoint_override, "127.0.0.1:8080");
    TEST_EQ_INT(cfg->tls, 0);
    TEST_EQ_STR(cfg->subs[0].topic, "1");
    const struct mo_decoder *d = &cfg->subs[0].decoder;
    TEST_EQ_INT(d->mode, MO_DECODE_TEXT);
    TEST_EQ_INT(d->format, MO_TS_EPOCH_US);
    TEST_EQ_INT(cfg->messages, MO_LOG_MESSAGES_SAMPLE);
    TEST_EQ_INT(cfg->sample_every, 7);
    TEST_EQ_INT(cfg->slow_threshold_us, 2500);
    TEST_EQ_INT(cfg->summary_interval_us, 120000000);
    TEST_EQ_INT(cfg->message_budget, 5000);
    TEST_EQ_INT(cfg->warnings_per_interval, 0);
    TEST_EQ_INT(cfg->backoff_initial_us, 1000);
    TEST_EQ_INT(cfg->backoff_max_us, 3600000000LL);
    TEST_EQ_INT(cfg->idle_timeout_us, 1000000);
    TEST_EQ_STR(cfg->state_directory, "/var/lib/x");
    TEST_EQ_STR(cfg->prometheus_textfile, "/tmp/x.prom");
    TEST_CHECK(cfg->emf);
    mo_config_free(cfg);
}

static void test_inheritance(void)
{
    struct mo_config *cfg =
        load_ok("defaults:\n"
                "  decode: binary\n"
                "  timestamp: {field: meta.sent_at, format: epoch_ms, offset: 16, unit: us}\n"
                "subscriptions:\n"
                "  - {cache: a, topic: inherits}\n"
                "  - cache: a\n"
                "    topic: overrides-one\n"
                "    timestamp: {encoding: u32le}\n"
                "  - cache: a\n"
                "    topic: json\n"
                "    decode: json\n"
                "  - cache: a\n"
                "    topic: json-field\n"
                "    decode: json\n"
                "    timestamp:\n"
                "      field: t\n"
                "  - cache: a\n"
                "    topic: text\n"
                "    decode: text\n"
                "    timestamp: {format: rfc3339}\n");
    if (!cfg)
        return;
    TEST_EQ_INT(cfg->n_subs, 5);
    const struct mo_decoder *d = &cfg->subs[0].decoder;
    TEST_EQ_INT(d->mode, MO_DECODE_BINARY);
    TEST_EQ_INT(d->offset, 16);
    TEST_EQ_INT(d->encoding, MO_BIN_U64BE); /* built-in default */
    TEST_EQ_INT(d->unit, MO_UNIT_US);       /* from defaults */

    d = &cfg->subs[1].decoder; /* one key overridden, the rest inherited */
    TEST_EQ_INT(d->mode, MO_DECODE_BINARY);
    TEST_EQ_INT(d->offset, 16);
    TEST_EQ_INT(d->encoding, MO_BIN_U32LE);
    TEST_EQ_INT(d->unit, MO_UNIT_US);

    d = &cfg->subs[2].decoder; /* json: the inherited binary keys do not matter */
    TEST_EQ_INT(d->mode, MO_DECODE_JSON);
    TEST_EQ_STR(d->field, "meta.sent_at");
    TEST_EQ_INT(d->path_len, 2);
    TEST_EQ_INT(d->path_lens[0], 4);
    TEST_EQ_INT(d->format, MO_TS_EPOCH_MS);

    d = &cfg->subs[3].decoder;
    TEST_EQ_STR(d->field, "t");
    TEST_EQ_INT(d->path_len, 1);
    TEST_EQ_INT(d->format, MO_TS_EPOCH_MS);

    d = &cfg->subs[4].decoder;
    TEST_EQ_INT(d->mode, MO_DECODE_TEXT);
    TEST_EQ_INT(d->format, MO_TS_RFC3339);

    /* the decoders' strings belong to the config and survive the parse */
    TEST_CHECK(cfg->n_strings >= 2);
    mo_config_free(cfg);
}

static void test_find_and_equal(void)
{
    struct mo_config *a = load_ok("subscriptions:\n"
                                  "  - {cache: c, topic: one}\n"
                                  "  - {cache: c, topic: two, timestamp: {field: x.y}}\n"
                                  "  - {cache: d, topic: one, decode: binary}\n");
    struct mo_config *b = load_ok("defaults:\n  timestamp: {field: x.y}\n"
                                  "subscriptions:\n"
                                  "  - {cache: c, topic: two}\n"
                                  "  - {cache: c, topic: one, timestamp: {field: timestamp}}\n"
                                  "  - {cache: d, topic: one, decode: binary}\n"
                                  "  - {cache: d, topic: two, decode: binary, "
                                  "timestamp: {offset: 4}}\n");
    if (!a || !b) {
        mo_config_free(a);
        mo_config_free(b);
        return;
    }
    const struct mo_sub_config *s = mo_config_find(a, "c", "two");
    TEST_CHECK(s == &a->subs[1]);
    TEST_CHECK(mo_config_find(a, "d", "one") == &a->subs[2]);
    TEST_CHECK(mo_config_find(a, "c", "three") == NULL);
    TEST_CHECK(mo_config_find(a, "one", "c") == NULL);

    /* the same decoding written differently is equal */
    const char *pairs[][2] = {{"c", "one"}, {"c", "two"}};
    for (size_t i = 0; i < 2; i++) {
        const struct mo_sub_config *x = mo_config_find(a, pairs[i][0], pairs[i][1]);
        const struct mo_sub_config *y = mo_config_find(b, pairs[i][0], pairs[i][1]);
        TEST_CHECK(x && y && mo_decoder_equal(&x->decoder, &y->decoder));
    }
    TEST_CHECK(!mo_decoder_equal(&mo_config_find(a, "c", "one")->decoder,
                                 &mo_config_find(b, "c", "two")->decoder));
    mo_config_free(a);
    mo_config_free(b);

    struct mo_decoder j1 = {.mode = MO_DECODE_JSON, .format = MO_TS_AUTO, .field = "a.b"};
    struct mo_decoder j2 = j1;
    char other[] = "a.b"; /* equal by value, not by pointer */
    j2.field = other;
    TEST_CHECK(mo_decoder_equal(&j1, &j2));
    j2.format = MO_TS_EPOCH_MS;
    TEST_CHECK(!mo_decoder_equal(&j1, &j2));
    j2 = j1;
    j2.field = "a.c";
    TEST_CHECK(!mo_decoder_equal(&j1, &j2));
    j2 = j1;
    j2.offset = 9; /* binary keys do not matter to json */
    TEST_CHECK(mo_decoder_equal(&j1, &j2));

    struct mo_decoder t1 = {.mode = MO_DECODE_TEXT, .format = MO_TS_RFC3339, .field = "x"};
    struct mo_decoder t2 = {.mode = MO_DECODE_TEXT, .format = MO_TS_RFC3339, .field = "y"};
    TEST_CHECK(mo_decoder_equal(&t1, &t2));
    t2.format = MO_TS_AUTO;
    TEST_CHECK(!mo_decoder_equal(&t1, &t2));
    TEST_CHECK(!mo_decoder_equal(&t1, &j1));

    struct mo_decoder b1 = {
        .mode = MO_DECODE_BINARY, .offset = 4, .encoding = MO_BIN_U32BE, .unit = MO_UNIT_MS};
    struct mo_decoder b2 = b1;
    b2.format = MO_TS_EPOCH_NS;
    TEST_CHECK(mo_decoder_equal(&b1, &b2));
    b2 = b1;
    b2.offset = 5;
    TEST_CHECK(!mo_decoder_equal(&b1, &b2));
    b2 = b1;
    b2.encoding = MO_BIN_U32LE;
    TEST_CHECK(!mo_decoder_equal(&b1, &b2));
    b2 = b1;
    b2.unit = MO_UNIT_US;
    TEST_CHECK(!mo_decoder_equal(&b1, &b2));
}

/* Reads the shipped example; with `uncomment`, also every commented-out key. */
static char *example(bool uncomment)
{
    const char *path = TOP_SRCDIR "/conf/subscriber.yaml";
    FILE *f = fopen(path, "r");
    TEST_CHECK(f != NULL);
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap), line[512];
    while (fgets(line, sizeof line, f) && len + sizeof line < cap) {
        /* "  # key: value" and "  # - cache: x" are keys; "# Prose: ..." is not */
        char *hash = line + strspn(line, " ");
        char *body = hash + 2, *word = body + strspn(body, " ");
        if (*word == '-')
            word += 2;
        size_t w = strspn(word, "abcdefghijklmnopqrstuvwxyz_");
        if (uncomment && hash[0] == '#' && hash[1] == ' ' && w > 0 && word[w] == ':' &&
            (word[w + 1] == ' ' || word[w + 1] == '\n')) {
            memcpy(out + len, line, (size_t)(hash - line));
            len += (size_t)(hash - line);
            len += (size_t)sprintf(out + len, "%s", body);
        } else {
            len += (size_t)sprintf(out + len, "%s", line);
        }
    }
    fclose(f);
    return out;
}

static void test_example(void)
{
    char *text = example(false);
    struct mo_config *cfg = text ? load_ok(text) : NULL;
    if (cfg) {
        TEST_EQ_INT(cfg->n_subs, 1);
        TEST_CHECK(!cfg->canary.enabled);
        TEST_EQ_INT(cfg->tls, -1);
        TEST_CHECK(cfg->endpoint_override == NULL);
        TEST_EQ_INT(cfg->subs[0].decoder.mode, MO_DECODE_JSON);
    }
    mo_config_free(cfg);
    free(text);

    /* every key the example shows, uncommented, is valid too */
    text = example(true);
    cfg = text ? load_ok(text) : NULL;
    if (cfg) {
        TEST_EQ_INT(cfg->n_subs, 5); /* four listed and the canary's */
        TEST_CHECK(cfg->canary.enabled);
        TEST_EQ_INT(cfg->canary.rate_milli, 1000);
        TEST_EQ_INT(cfg->canary.slo_target_ppm, 999000);
        TEST_CHECK(cfg->subs[4].canary);
        TEST_EQ_INT(cfg->tls, 1);
        TEST_CHECK(cfg->endpoint != NULL);
        TEST_CHECK(cfg->api_key_file != NULL);
        TEST_CHECK(cfg->endpoint_override != NULL);
        TEST_CHECK(cfg->state_directory != NULL);
        TEST_CHECK(cfg->prometheus_textfile != NULL);
        const struct mo_sub_config *s = mo_config_find(cfg, "bench", "rpc-perf");
        TEST_CHECK(s && s->decoder.mode == MO_DECODE_BINARY && s->decoder.offset == 16);
        s = mo_config_find(cfg, "prices", "eu");
        TEST_CHECK(s && s->decoder.format == MO_TS_EPOCH_MS);
    }
    mo_config_free(cfg);
    free(text);
}

/* The man page's EXAMPLES load as they are printed. */
static void test_man_examples(void)
{
    const char *path = TOP_SRCDIR "/man/momento-subscriber.yaml.5";
    FILE *f = fopen(path, "r");
    TEST_CHECK(f != NULL);
    if (!f)
        return;
    char line[512], text[8192];
    size_t len = 0;
    int examples = 0;
    bool in_section = false, in_block = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, ".SH ", 4) == 0)
            in_section = strcmp(line, ".SH EXAMPLES\n") == 0;
        else if (in_section && strcmp(line, ".nf\n") == 0)
            in_block = true, len = 0;
        else if (in_block && strcmp(line, ".fi\n") == 0) {
            in_block = false;
            text[len] = '\0';
            struct mo_config *cfg = load_ok(text);
            TEST_CHECK(cfg && cfg->n_subs > 0);
            mo_config_free(cfg);
            examples++;
        } else if (in_block && line[0] != '.' && len + strlen(line) < sizeof text)
            len += (size_t)sprintf(text + len, "%s", line);
    }
    fclose(f);
    TEST_EQ_INT(examples, 2);
}

/* ---- the file as a whole ---- */

static void test_file_errors(void)
{
    struct mo_config_errors errs = {0};
    struct mo_config *cfg = NULL;
    char path[300];

    snprintf(path, sizeof path, "%s/does-not-exist.yaml", tmpdir);
    TEST_EQ_INT(mo_config_load(path, &cfg, &errs), -ENOENT);
    TEST_CHECK(cfg == NULL);
    check_error(&errs, 0, 0, 0, "", "No such file or directory");
    TEST_EQ_STR(errs.v[0].file, path);
    mo_config_errors_clear(&errs);
    TEST_EQ_INT(errs.n, 0);

    TEST_EQ_INT(mo_config_load(tmpdir, &cfg, &errs), -EISDIR);
    check_error(&errs, 0, 0, 0, "", "Is a directory");
    mo_config_errors_clear(&errs);

    expect_one("", 0, 0, "", "the file is empty");
    expect_one("# only a comment\n\n   \n", 0, 0, "", "the file is empty");
    expect_one("---\n", 0, 0, "", "the file is empty");
    expect_one("- cache: a\n  topic: b\n", 1, 1, "", "top level must be a mapping");
    expect_one("subscriptions\n", 1, 1, "", "top level must be a mapping");
    expect_one(SUBS "---\n" SUBS, 4, 1, "", "a second YAML document");
    expect_one("subscriptions:\n  - cache: a\n    topic: b\n   bad: indentation\n", 4, 4, "",
               "YAML syntax error");
    expect_one("subscriptions: [ {cache: a, topic: b}\n", 2, 1, "", "YAML syntax error");
    expect_one("momento:\n\tendpoint: x\n" SUBS, 2, 1, "", "YAML syntax error");
    expect_one("momento:\n  endpoint: caf\xc3\n" SUBS, 2, 17, "", "not valid UTF-8");
}

static void test_anchors(void)
{
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load("defaults:\n  timestamp: &ts {field: t}\n"
                                 "subscriptions:\n"
                                 "  - {cache: a, topic: b, timestamp: *ts}\n"
                                 "  - {cache: &c a, topic: c}\n",
                                 &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_CHECK(cfg == NULL);
    TEST_EQ_INT(errs.n, 3);
    check_error(&errs, 0, 2, 14, "", "anchors (&ts) are not supported");
    check_error(&errs, 1, 4, 37, "", "aliases (*ts) are not supported");
    check_error(&errs, 2, 5, 13, "", "anchors (&c)");
    mo_config_errors_clear(&errs);
}

/* ---- keys ---- */

static void test_unknown_keys(void)
{
    expect_one(SUBS "    timestmap: {format: auto}\n", 4, 5, "subscriptions[0].timestmap",
               "unknown key 'timestmap' in subscriptions[0]; did you mean 'timestamp'?");
    expect_one("momento:\n  endpiont: x\n" SUBS, 2, 3, "momento.endpiont",
               "did you mean 'endpoint'?");
    expect_one("subscription:\n  - {cache: a, topic: b}\n" SUBS, 1, 1, "subscription",
               "unknown key 'subscription' at the top level; did you mean 'subscriptions'?");
    expect_one(SUBS "    offset: 4\n", 4, 5, "subscriptions[0].offset",
               "it belongs under 'timestamp:'");
    expect_one(SUBS "colour: blue\n", 4, 1, "colour",
               "the keys here are: momento, defaults, subscriptions, logging, reconnect, state, "
               "export");
    expect_one("defaults:\n  timestamp:\n    fromat: auto\n" SUBS, 3, 5,
               "defaults.timestamp.fromat", "did you mean 'format'?");
    expect_one(SUBS "? [a, b]\n: c\n", 4, 3, "", "keys must be plain names, not a list");
}

static void test_duplicate_keys(void)
{
    expect_one("logging:\n  sample_every: 5\n  messages: all\n  sample_every: 6\n" SUBS, 4, 3,
               "logging.sample_every", "duplicate key 'sample_every' (first at line 2, column 3)");
    expect_one(SUBS "subscriptions:\n  - {cache: a, topic: b}\n", 4, 1, "subscriptions",
               "duplicate key 'subscriptions' (first at line 1, column 1)");
    expect_one("subscriptions:\n  - {cache: a, topic: b, cache: c}\n", 2, 26,
               "subscriptions[0].cache", "duplicate key 'cache'");
}

static void test_wrong_types(void)
{
    expect_one("momento:\n  endpoint: {host: x}\n" SUBS, 2, 13, "momento.endpoint",
               "expected a string here, not a mapping");
    expect_one("logging:\n  sample_every: ten\n" SUBS, 2, 17, "logging.sample_every",
               "'ten' is not a whole number");
    expect_one("logging:\n  sample_every: \"10\"\n" SUBS, 2, 17, "logging.sample_every",
               "expected a number, not the string '10'; remove the quotes");
    expect_one("logging:\n  sample_every: [1]\n" SUBS, 2, 17, "logging.sample_every",
               "expected a whole number here, not a list");
    expect_one("logging:\n  sample_every: -3\n" SUBS, 2, 17, "logging.sample_every",
               "is not a whole number");
    expect_one("export:\n  emf: yes\n" SUBS, 2, 8, "export.emf",
               "expected true or false, not 'yes'");
    expect_one("export:\n  emf: \"true\"\n" SUBS, 2, 8, "export.emf",
               "expected true or false without quotes, not the string 'true'");
    expect_one("momento:\n  tls: 1\n  endpoint_override: h:1\n" SUBS, 2, 8, "momento.tls",
               "expected true or false");
    expect_one("momento: localhost\n" SUBS, 1, 10, "momento",
               "expected a mapping (indented 'key: value' lines), not a single value");
    expect_one("defaults:\n  timestamp: [a]\n" SUBS, 2, 14, "defaults.timestamp",
               "expected a mapping");
    expect_one("subscriptions:\n  cache: a\n  topic: b\n", 2, 3, "subscriptions",
               "expected a list (one '- ' line per entry), not a mapping");
    expect_one("subscriptions:\n  - a/b\n", 2, 5, "subscriptions[0]",
               "expected a mapping (indented 'key: value' lines), not a single value");
    expect_one("logging:\n  slow_threshold:\n" SUBS, 2, 18, "logging.slow_threshold",
               "needs a value");
    expect_one("momento:\n  endpoint: \"a\\0b\"\n" SUBS, 2, 13, "momento.endpoint",
               "NUL character");
}

static void test_durations(void)
{
    expect_one("logging:\n  summary_interval: 10\n" SUBS, 2, 21, "logging.summary_interval",
               "'10' needs a unit: ms, s, m or h");
    expect_one("reconnect:\n  idle_timeout: soon\n" SUBS, 2, 17, "reconnect.idle_timeout",
               "'soon' is not a duration: write a number and a unit");
    expect_one("reconnect:\n  idle_timeout: 10 s\n" SUBS, 2, 17, "reconnect.idle_timeout",
               "is not a duration");
    expect_one("reconnect:\n  idle_timeout: -1s\n" SUBS, 2, 17, "reconnect.idle_timeout",
               "is not a duration");
    /* quoted durations are fine: they are strings anyway */
    struct mo_config *cfg = load_ok("reconnect:\n  idle_timeout: \"1.5m\"\n" SUBS);
    if (cfg)
        TEST_EQ_INT(cfg->idle_timeout_us, 90000000);
    mo_config_free(cfg);
}

static void test_ranges(void)
{
    expect_one("logging:\n  sample_every: 0\n" SUBS, 2, 17, "logging.sample_every",
               "0 is out of range: write a number from 1 to 1000000000");
    expect_one("logging:\n  message_budget: 0\n" SUBS, 2, 19, "logging.message_budget",
               "0 is out of range: write a number from 1 to 1000000");
    expect_one("logging:\n  warnings_per_interval: 1000001\n" SUBS, 2, 26,
               "logging.warnings_per_interval", "write a number from 0 to 1000000");
    expect_one("logging:\n  summary_interval: 500ms\n" SUBS, 2, 21, "logging.summary_interval",
               "500ms is out of range: write a duration from 1s to 24h");
    expect_one("logging:\n  summary_interval: 25h\n" SUBS, 2, 21, "logging.summary_interval",
               "from 1s to 24h");
    expect_one("reconnect:\n  backoff_initial: 0.5ms\n" SUBS, 2, 20, "reconnect.backoff_initial",
               "from 1ms to 1h");
    expect_one("reconnect:\n  idle_timeout: 999ms\n" SUBS, 2, 17, "reconnect.idle_timeout",
               "from 1s to 24h");
    expect_one("reconnect:\n  backoff_initial: 2s\n  backoff_max: 1s\n" SUBS, 3, 16,
               "reconnect.backoff_max", "backoff_max (1s) is below backoff_initial (2s)");
    expect_one("reconnect:\n  backoff_initial: 31s\n" SUBS, 2, 20, "reconnect.backoff_initial",
               "backoff_max (30s, the default) is below backoff_initial (31s)");
    expect_one("defaults:\n  timestamp: {offset: 4093}\n" SUBS, 2, 23, "defaults.timestamp.offset",
               "from 0 to 4092");
    expect_one("logging:\n  sample_every: 99999999999999999999999\n" SUBS, 2, 17,
               "logging.sample_every", "out of range");

    /* the reach of the integer counts, with the encoding from wherever it comes */
    struct mo_config *cfg = load_ok("subscriptions:\n  - {cache: a, topic: b, decode: binary, "
                                    "timestamp: {offset: 4088}}\n");
    mo_config_free(cfg);
    expect_one("subscriptions:\n  - {cache: a, topic: b, decode: binary, timestamp: {offset: "
               "4089}}\n",
               2, 62, "subscriptions[0].timestamp.offset",
               "offset 4089 plus the 8 bytes of u64be ends past byte 4096");
    cfg = load_ok("subscriptions:\n  - {cache: a, topic: b, decode: binary, "
                  "timestamp: {offset: 4092, encoding: u32le}}\n");
    mo_config_free(cfg);

    /* an inherited offset that is too far for two entries is reported once, where it is */
    struct mo_config_errors errs;
    int rc;
    cfg = load("defaults:\n  decode: binary\n  timestamp: {offset: 4090}\n"
               "subscriptions:\n  - {cache: a, topic: b}\n  - {cache: a, topic: c}\n"
               "  - {cache: a, topic: d, timestamp: {encoding: u32be}}\n",
               &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_EQ_INT(errs.n, 1);
    check_error(&errs, 0, 3, 23, "defaults.timestamp.offset", "ends past byte 4096");
    mo_config_free(cfg);
    mo_config_errors_clear(&errs);
}

static void test_enums(void)
{
    expect_one("defaults:\n  decode: xml\n" SUBS, 2, 11, "defaults.decode",
               "'xml' is not one of: json, text, binary");
    expect_one(SUBS "    timestamp: {format: epoch_sm}\n", 4, 25,
               "subscriptions[0].timestamp.format",
               "'epoch_sm' is not one of: auto, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns; "
               "did you mean 'epoch_s'?");
    expect_one("logging:\n  messages: some\n" SUBS, 2, 13, "logging.messages",
               "is not one of: all, sample, none");
    expect_one("defaults:\n  timestamp:\n    encoding: u64\n" SUBS, 3, 15,
               "defaults.timestamp.encoding", "u32be, u32le, u64be, u64le");
    expect_one("defaults:\n  timestamp:\n    unit: sec\n" SUBS, 3, 11, "defaults.timestamp.unit",
               "s, ms, us, ns");
    expect_one("defaults:\n  decode: JSON\n" SUBS, 2, 11, "defaults.decode",
               "did you mean 'json'?");
}

static void test_mode_keys(void)
{
    /* written in the entry and not read by its mode: an error at the key */
    expect_one(SUBS "    timestamp:\n      offset: 16\n", 5, 7, "subscriptions[0].timestamp.offset",
               "offset applies only to decode: binary; this subscription decodes json");
    expect_one(SUBS "    decode: binary\n    timestamp: {field: t}\n", 5, 17,
               "subscriptions[0].timestamp.field", "field applies only to decode: json");
    expect_one(SUBS "    decode: binary\n    timestamp: {format: epoch_ms}\n", 5, 17,
               "subscriptions[0].timestamp.format", "format applies only to decode: json or text");
    expect_one(SUBS "    decode: text\n    timestamp: {field: t}\n", 5, 17,
               "subscriptions[0].timestamp.field", "this subscription decodes text");
    /* the mode from defaults counts too */
    expect_one("defaults:\n  decode: text\n" SUBS "    timestamp: {unit: ms}\n", 6, 17,
               "subscriptions[0].timestamp.unit", "unit applies only to decode: binary");
    /* inherited keys never cause it */
    struct mo_config *cfg = load_ok("defaults:\n  timestamp: {field: a.b, offset: 3, unit: s}\n"
                                    "subscriptions:\n  - {cache: a, topic: b, decode: text}\n"
                                    "  - {cache: a, topic: c, decode: binary}\n");
    if (cfg) {
        TEST_EQ_INT(cfg->subs[1].decoder.offset, 3);
        TEST_EQ_INT(cfg->subs[1].decoder.unit, MO_UNIT_S);
    }
    mo_config_free(cfg);

    expect_one("defaults:\n  timestamp: {field: a..b}\n" SUBS, 2, 22, "defaults.timestamp.field",
               "'a..b' is not a dotted path");
    expect_one(SUBS "    timestamp: {field: \"\"}\n", 4, 24, "subscriptions[0].timestamp.field",
               "is empty");
    expect_one(SUBS "    timestamp: {field: a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q}\n", 4, 24,
               "subscriptions[0].timestamp.field", "at most 16");
}

static void test_subscriptions(void)
{
    expect_one("momento: {}\n", 1, 1, "subscriptions", "missing; list at least one subscription");
    expect_one("subscriptions: []\n", 1, 16, "subscriptions", "is empty; list at least one");
    expect_one("subscriptions:\n", 1, 15, "subscriptions", "is empty");
    expect_one("subscriptions:\n  - cache: a\n", 2, 5, "subscriptions[0].topic",
               "missing; add 'topic:' (every entry here needs cache and topic)");
    expect_one("subscriptions:\n  - topic: a\n    decode: text\n", 2, 5, "subscriptions[0].cache",
               "missing; add 'cache:'");
    expect_one("subscriptions:\n  - cache: \"\"\n    topic: a\n", 2, 12, "subscriptions[0].cache",
               "is empty; write a cache name");
    expect_one("subscriptions:\n  - cache: a\n    topic: \"  \"\n", 3, 12, "subscriptions[0].topic",
               "is only whitespace; write a topic name");
    expect_one("subscriptions:\n  - cache: a\n    topic:\n", 3, 11, "subscriptions[0].topic",
               "is empty");

    /* an empty entry misses both */
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load("subscriptions:\n  -\n  - {cache: a, topic: b}\n", &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_EQ_INT(errs.n, 2);
    check_error(&errs, 0, 2, 4, "subscriptions[0].cache", "missing");
    check_error(&errs, 1, 2, 4, "subscriptions[0].topic", "missing");
    mo_config_errors_clear(&errs);
    mo_config_free(cfg);

    /* duplicate pairs name both places; the same topic in another cache is fine */
    cfg = load("subscriptions:\n"
               "  - cache: a\n    topic: x\n"
               "  - cache: b\n    topic: x\n"
               "  - {cache: a, topic: x, decode: text}\n"
               "  - {cache: a, topic: y}\n"
               "  - {cache: a, topic: x}\n",
               &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_EQ_INT(errs.n, 2);
    check_error(&errs, 0, 6, 5, "subscriptions[2]",
                "duplicate subscription to cache 'a' topic 'x': already at line 2, column 5 "
                "(subscriptions[0])");
    check_error(&errs, 1, 8, 5, "subscriptions[4]", "already at line 2, column 5");
    mo_config_errors_clear(&errs);
    mo_config_free(cfg);
}

static void test_momento(void)
{
    expect_one("momento:\n  tls: false\n" SUBS, 2, 8, "momento.tls",
               "tls: false is only allowed together with endpoint_override");
    expect_one("momento:\n  endpoint_override: localhost\n" SUBS, 2, 22,
               "momento.endpoint_override", "'localhost' is not HOST:PORT");
    expect_one("momento:\n  endpoint_override: \"h:99999\"\n" SUBS, 2, 22,
               "momento.endpoint_override", "is not HOST:PORT");
    expect_one("momento:\n  endpoint: https://cell-1.example.com\n" SUBS, 2, 13, "momento.endpoint",
               "without a scheme such as https://");
    expect_one("momento:\n  endpoint: cell-1.example.com:443\n" SUBS, 2, 13, "momento.endpoint",
               "without a port or a path");
    expect_one("momento:\n  endpoint: cell 1\n" SUBS, 2, 13, "momento.endpoint",
               "'cell 1' is not a host name");
    struct mo_config *cfg = load_ok("momento:\n  endpoint_override: \"[::1]:8080\"\n"
                                    "  tls: false\n" SUBS);
    if (cfg) {
        TEST_EQ_STR(cfg->endpoint_override, "[::1]:8080");
        TEST_EQ_INT(cfg->tls, 0);
    }
    mo_config_free(cfg);
}

static void test_many_errors(void)
{
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load("logging:\n"
                                 "  summary_interval: 10\n"
                                 "  messages: loud\n"
                                 "subscriptions:\n"
                                 "  - cache: a\n"
                                 "    topic: b\n"
                                 "    timestmap: {}\n"
                                 "  - cache: a\n"
                                 "    topic: b\n"
                                 "momento:\n"
                                 "  tls: false\n",
                                 &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_CHECK(cfg == NULL);
    TEST_EQ_INT(errs.n, 5);
    /* in file order, whatever order they were found in */
    check_error(&errs, 0, 2, 21, "logging.summary_interval", "needs a unit");
    check_error(&errs, 1, 3, 13, "logging.messages", "is not one of");
    check_error(&errs, 2, 7, 5, "subscriptions[0].timestmap", "did you mean 'timestamp'");
    check_error(&errs, 3, 8, 5, "subscriptions[1]", "duplicate subscription");
    check_error(&errs, 4, 11, 8, "momento.tls", "endpoint_override");
    mo_config_errors_clear(&errs);

    /* a flood is cut short with a count */
    char *big = malloc(200000);
    size_t len = (size_t)sprintf(big, SUBS);
    for (int i = 0; i < 150; i++)
        len += (size_t)sprintf(big + len, "bad%d: x\n", i);
    cfg = load(big, &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_EQ_INT(errs.n, 101);
    check_error(&errs, 100, 0, 0, "", "50 more errors not shown");
    mo_config_errors_clear(&errs);
    free(big);

    /* errors are appended to what the caller already has */
    struct mo_config_errors acc = {0};
    char *p1 = fixture("momento: 1\n" SUBS), *p2 = fixture("state: 2\n" SUBS);
    TEST_EQ_INT(mo_config_load(p1, &cfg, &acc), -EINVAL);
    TEST_EQ_INT(mo_config_load(p2, &cfg, &acc), -EINVAL);
    TEST_EQ_INT(acc.n, 2);
    check_error(&acc, 0, 1, 10, "momento", "expected a mapping");
    check_error(&acc, 1, 1, 8, "state", "expected a mapping");
    TEST_EQ_STR(acc.v[0].file, p1);
    TEST_EQ_STR(acc.v[1].file, p2);
    mo_config_errors_clear(&acc);
    unlink(p1);
    unlink(p2);
    free(p1);
    free(p2);
}

static void test_format(void)
{
    char buf[1200];
    struct mo_config_error e = {.line = 12, .column = 7};
    snprintf(e.file, sizeof e.file, "/etc/momento-subscriber/subscriber.yaml");
    snprintf(e.key, sizeof e.key, "subscriptions[2].timestamp.format");
    snprintf(e.reason, sizeof e.reason, "'x' is not one of: auto");
    mo_config_error_format(&e, buf, sizeof buf);
    TEST_EQ_STR(buf, "/etc/momento-subscriber/subscriber.yaml:12:7: "
                     "subscriptions[2].timestamp.format: 'x' is not one of: auto");
    e.key[0] = '\0';
    mo_config_error_format(&e, buf, sizeof buf);
    TEST_EQ_STR(buf, "/etc/momento-subscriber/subscriber.yaml:12:7: 'x' is not one of: auto");
    e.line = e.column = 0;
    snprintf(e.reason, sizeof e.reason, "cannot read the file: Permission denied");
    mo_config_error_format(&e, buf, sizeof buf);
    TEST_EQ_STR(buf, "/etc/momento-subscriber/subscriber.yaml: cannot read the file: "
                     "Permission denied");
    char small[16];
    mo_config_error_format(&e, small, sizeof small);
    TEST_EQ_STR(small, "/etc/momento-su");

    /* without an error list: only the result */
    char *p = fixture("momento: 1\n" SUBS);
    struct mo_config *cfg = NULL;
    TEST_EQ_INT(mo_config_load(p, &cfg, NULL), -EINVAL);
    TEST_CHECK(cfg == NULL);
    unlink(p);
    free(p);

    mo_config_free(NULL);
    mo_config_errors_clear(NULL);
}

/* ---- added with the time module and the in-memory loader ---- */

/* A duration is digits, an optional fraction and a unit; everything else is an
 * error at the value, naming the key. */
static void test_duration_syntax(void)
{
    static const char *const bad[] = {
        "0x10s", "1e1m", "1E3ms", "+5s", "-0s", "5 s", "' 5s'", ".5s", "5.s", "5S", "1_000ms",
        "5sec",  "1h30m", "inf", "nans", "\"\"", "'5 s'", "0x1p3s", "1.5.5s", "5ns",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[200], why[120];
        snprintf(text, sizeof text, "reconnect:\n  backoff_initial: %s\n" SUBS, bad[i]);
        snprintf(why, sizeof why, "is not a duration: write a number and a unit (ms, s, m or h)");
        expect_one(text, 2, 20, "reconnect.backoff_initial", why);
    }
    expect_one("reconnect:\n  backoff_initial: 1e1m\n" SUBS, 2, 20, "reconnect.backoff_initial",
               "no sign, exponent or space");
    /* overflow is out of range, whatever the unit */
    expect_one("logging:\n  slow_threshold: 99999999999999999999999h\n" SUBS, 2, 19,
               "logging.slow_threshold", "is out of range: write a duration from 0s to 24h");
    expect_one("logging:\n  slow_threshold: 1000000000.000001s\n" SUBS, 2, 19,
               "logging.slow_threshold", "is out of range");
    expect_one("defaults:\n  timestamp: {}\nlogging: {summary_interval: 1.}\n" SUBS, 3, 29,
               "logging.summary_interval", "'1.' needs a unit");

    /* read exactly: fractions of every unit, digits below a microsecond dropped */
    struct mo_config *cfg = load_ok("logging:\n  slow_threshold: 1.9999999s\n"
                                    "  summary_interval: 1.5m\n"
                                    "reconnect:\n  backoff_initial: 250000us\n"
                                    "  backoff_max: 0.0125h\n  idle_timeout: 007s\n" SUBS);
    if (cfg) {
        TEST_EQ_INT(cfg->slow_threshold_us, 1999999);
        TEST_EQ_INT(cfg->summary_interval_us, 90000000);
        TEST_EQ_INT(cfg->backoff_initial_us, 250000);
        TEST_EQ_INT(cfg->backoff_max_us, 45000000);
        TEST_EQ_INT(cfg->idle_timeout_us, 7000000);
    }
    mo_config_free(cfg);
}

/* One host rule (endpoint.c): no underscore, labels well formed. */
static void test_hosts(void)
{
    expect_one("momento:\n  endpoint: my_cell.example.com\n" SUBS, 2, 13, "momento.endpoint",
               "'my_cell.example.com' is not a host name; write the endpoint's host name only, "
               "made of letters, digits, dots and hyphens");
    expect_one("momento:\n  endpoint: cell..example.com\n" SUBS, 2, 13, "momento.endpoint",
               "in labels of 1 to 63 characters joined by single dots");
    expect_one("momento:\n  endpoint: -cell.example.com\n" SUBS, 2, 13, "momento.endpoint",
               "none starting or ending with a hyphen");
    expect_one("momento:\n  endpoint_override: my_host:8080\n" SUBS, 2, 22,
               "momento.endpoint_override", "'my_host:8080' is not HOST:PORT");
    expect_one("momento:\n  endpoint_override: 10.0.0.256:8080\n" SUBS, 2, 22,
               "momento.endpoint_override", "is not HOST:PORT");
    struct mo_config *cfg = load_ok("momento:\n  endpoint: cell-1.example.com.\n" SUBS);
    if (cfg)
        TEST_EQ_STR(cfg->endpoint, "cell-1.example.com.");
    mo_config_free(cfg);
}

/* A value that looks like an API key is refused wherever it is written, and
 * neither the error's reason nor its file, key or formatted line echoes it. */
static void expect_secret_refused_at(int line, const char *text, const char *key, int eline,
                                     int ecol, const char *path)
{
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load(text, &errs, &rc);
    int before = test_failures;
    TEST_EQ_INT(rc, -EINVAL);
    TEST_CHECK(cfg == NULL);
    TEST_CHECK(errs.n >= 1);
    bool said = false;
    for (size_t i = 0; i < errs.n; i++) {
        char buf[1200];
        mo_config_error_format(&errs.v[i], buf, sizeof buf);
        TEST_NO_PIECE(buf, key);
        if (errs.v[i].line == eline && errs.v[i].column == ecol &&
            strcmp(errs.v[i].key, path) == 0 && strstr(errs.v[i].reason, "looks like an API key"))
            said = true;
    }
    TEST_CHECK(said);
    if (test_failures != before) {
        fprintf(stderr, "  from line %d:\n", line);
        dump(&errs);
    }
    mo_config_free(cfg);
    mo_config_errors_clear(&errs);
}
#define expect_secret_refused(text, key, l, c, path)                                               \
    expect_secret_refused_at(__LINE__, text, key, l, c, path)

static void test_secrets(void)
{
    static const char *const keys[] = {TEST_KEY_V2, TEST_KEY_V1, TEST_KEY_V1_INNER, TEST_KEY_BAD};
    char text[2048];
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *k = keys[i];
        snprintf(text, sizeof text, "momento:\n  endpoint: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 13, "momento.endpoint");
        snprintf(text, sizeof text, "momento:\n  endpoint: cache.%s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 13, "momento.endpoint");
        snprintf(text, sizeof text, "momento:\n  endpoint_override: \"%s:8080\"\n" SUBS, k);
        expect_secret_refused(text, k, 2, 22, "momento.endpoint_override");
        snprintf(text, sizeof text, "momento:\n  api_key_file: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 17, "momento.api_key_file");
        snprintf(text, sizeof text, "subscriptions:\n  - cache: %s\n    topic: t\n", k);
        expect_secret_refused(text, k, 2, 12, "subscriptions[0].cache");
        snprintf(text, sizeof text, "subscriptions:\n  - cache: c\n    topic: '%s'\n", k);
        expect_secret_refused(text, k, 3, 12, "subscriptions[0].topic");
        snprintf(text, sizeof text, "state:\n  directory: /var/lib/%s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 14, "state.directory");
        snprintf(text, sizeof text, "export:\n  prometheus_textfile: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 24, "export.prometheus_textfile");
        snprintf(text, sizeof text,
                 "defaults:\n  timestamp:\n    field: %s\n" SUBS, k);
        expect_secret_refused(text, k, 3, 12, "defaults.timestamp.field");
        snprintf(text, sizeof text, "logging:\n  messages: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 13, "logging.messages");
        snprintf(text, sizeof text, "logging:\n  summary_interval: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 21, "logging.summary_interval");
        snprintf(text, sizeof text, "momento:\n  tls: %s\n" SUBS, k);
        expect_secret_refused(text, k, 2, 8, "momento.tls");
        /* as a key */
        snprintf(text, sizeof text, "momento:\n  %s: x\n" SUBS, k);
        expect_secret_refused(text, k, 2, 3, "momento");
    }
    /* as an anchor and an alias (YAML allows no dot or '=' in their names) */
    char anchor[300];
    snprintf(anchor, sizeof anchor, "%.*s", (int)strlen(TEST_KEY_V1) - 2, TEST_KEY_V1);
    snprintf(text, sizeof text, "momento: &%s\n  tls: true\n" SUBS, anchor);
    expect_secret_refused(text, anchor, 1, 10, "");
    snprintf(text, sizeof text, "momento:\n  tls: true\nlogging: *%s\n" SUBS, anchor);
    expect_secret_refused(text, anchor, 3, 10, "");

    /* a file named after a key: the errors name the file without it */
    char path[600];
    snprintf(path, sizeof path, "%s/%s", tmpdir, TEST_KEY_V2);
    struct mo_config_errors errs = {0};
    struct mo_config *cfg = NULL;
    TEST_CHECK(mo_config_load(path, &cfg, &errs) < 0);
    TEST_CHECK(errs.n >= 1);
    for (size_t i = 0; i < errs.n; i++) {
        char buf[1200];
        mo_config_error_format(&errs.v[i], buf, sizeof buf);
        TEST_NO_PIECE(buf, TEST_KEY_V2);
    }
    mo_config_errors_clear(&errs);
    FILE *f = fopen(path, "w"); /* even when it exists and is a good configuration */
    fputs(SUBS, f);
    fclose(f);
    TEST_CHECK(mo_config_load(path, &cfg, &errs) < 0);
    TEST_CHECK(errs.n == 1 && strstr(errs.v[0].reason, "looks like an API key"));
    for (size_t i = 0; i < errs.n; i++) {
        char buf[1200];
        mo_config_error_format(&errs.v[i], buf, sizeof buf);
        TEST_NO_PIECE(buf, TEST_KEY_V2);
    }
    unlink(path);
    mo_config_errors_clear(&errs);
    mo_config_free(cfg);

    /* ordinary names are not mistaken for keys */
    cfg = load_ok("momento:\n  endpoint: cell-4-us-west-2-1.prod.a.momentohq.com\n"
                  "  api_key_file: /etc/momento-subscriber/api-key\n"
                  "state:\n  directory: /var/lib/momento-subscriber\n"
                  "subscriptions:\n  - cache: MyVeryLongCamelCaseCacheName2024\n"
                  "    topic: orders.eu-west-1.Q3_2024-v2\n");
    mo_config_free(cfg);
}

/* The same bytes give the same result from memory as from a file. */
static void test_load_buffer(void)
{
    static const char *const texts[] = {
        SUBS,
        "momento:\n  endpoint_override: \"[::1]:8080\"\n  tls: false\n"
        "defaults:\n  decode: binary\n  timestamp: {offset: 8, unit: ms}\n" SUBS
        "  - {cache: c, topic: u, decode: json, timestamp: {field: a.b}}\n",
        "",
        "---\n",
        "subscriptions: [ {cache: a, topic: b}\n",
        "momento:\n  endpoint: caf\xc3\n" SUBS,
        "logging:\n  summary_interval: 10\n  messages: loud\n" SUBS "    timestmap: {}\n"
        "  - cache: c\n    topic: t\nmomento:\n  tls: false\n",
        "defaults:\n  timestamp: &ts {field: t}\nsubscriptions:\n"
        "  - {cache: a, topic: b, timestamp: *ts}\n",
        SUBS "---\n" SUBS,
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t len = strlen(texts[i]);
        char *copy = malloc(len ? len : 1); /* no NUL after the bytes */
        memcpy(copy, texts[i], len);
        struct mo_config *from_mem = NULL, *from_file = NULL;
        struct mo_config_errors mem_errs = {0}, file_errs;
        int rc_file;
        int rc_mem = mo_config_load_buffer("mem.yaml", copy, len, &from_mem, &mem_errs);
        from_file = load(texts[i], &file_errs, &rc_file);
        free(copy);

        TEST_EQ_INT(rc_mem, rc_file);
        TEST_EQ_INT(from_mem != NULL, from_file != NULL);
        TEST_EQ_INT(mem_errs.n, file_errs.n);
        for (size_t e = 0; e < mem_errs.n && e < file_errs.n; e++) {
            TEST_EQ_STR(mem_errs.v[e].file, "mem.yaml");
            TEST_EQ_INT(mem_errs.v[e].line, file_errs.v[e].line);
            TEST_EQ_INT(mem_errs.v[e].column, file_errs.v[e].column);
            TEST_EQ_STR(mem_errs.v[e].key, file_errs.v[e].key);
            TEST_EQ_STR(mem_errs.v[e].reason, file_errs.v[e].reason);
        }
        if (from_mem && from_file) {
            TEST_EQ_STR(from_mem->path, "mem.yaml");
            TEST_EQ_INT(from_mem->n_subs, from_file->n_subs);
            for (size_t k = 0; k < from_mem->n_subs && k < from_file->n_subs; k++) {
                TEST_EQ_STR(from_mem->subs[k].topic, from_file->subs[k].topic);
                TEST_CHECK(mo_decoder_equal(&from_mem->subs[k].decoder,
                                            &from_file->subs[k].decoder));
                TEST_EQ_INT(from_mem->subs[k].line, from_file->subs[k].line);
            }
        }
        mo_config_free(from_mem);
        mo_config_free(from_file);
        mo_config_errors_clear(&mem_errs);
        mo_config_errors_clear(&file_errs);
    }

    /* a NUL inside the bytes is the reader's business, not the end */
    struct mo_config *cfg = NULL;
    struct mo_config_errors errs = {0};
    static const char nul[] = "subscriptions:\n  - {cache: a, topic: b}\n\0junk: 1\n";
    TEST_EQ_INT(mo_config_load_buffer("nul", nul, sizeof nul - 1, &cfg, &errs), -EINVAL);
    TEST_CHECK(errs.n >= 1);
    if (errs.n)
        TEST_EQ_INT(errs.v[0].line, 3);
    mo_config_errors_clear(&errs);

    /* as large as a file that is refused */
    size_t big = 16u << 20;
    char *huge = malloc(big);
    memset(huge, '#', big);
    TEST_EQ_INT(mo_config_load_buffer("huge", huge, big, &cfg, &errs), -EINVAL);
    TEST_EQ_INT(errs.n, 1);
    if (errs.n)
        TEST_CONTAINS(errs.v[0].reason, "larger than 16 MiB");
    mo_config_errors_clear(&errs);
    free(huge);

    /* no error list: only the result */
    TEST_EQ_INT(mo_config_load_buffer("x", "momento: 1\n", 11, &cfg, NULL), -EINVAL);
    TEST_EQ_INT(mo_config_load_buffer("x", SUBS, strlen(SUBS), &cfg, NULL), 0);
    mo_config_free(cfg);
}

/* export: the textfile's path and the EMF namespace are checked when read */
static void test_exports(void)
{
    struct mo_config *cfg = load_ok(SUBS);
    if (cfg)
        TEST_EQ_STR(cfg->emf_namespace, "MomentoSubscriber");
    mo_config_free(cfg);
    cfg = load_ok(SUBS "export:\n  emf: true\n  emf_namespace: \"Team/Probe #1: eu-west\"\n"
                  "  prometheus_textfile: /var/lib/node/m.prom\n");
    if (cfg) {
        TEST_EQ_STR(cfg->emf_namespace, "Team/Probe #1: eu-west");
        TEST_EQ_STR(cfg->prometheus_textfile, "/var/lib/node/m.prom");
    }
    mo_config_free(cfg);
    expect_one("export:\n  prometheus_textfile: node/m.prom\n" SUBS, 2, 24,
               "export.prometheus_textfile", "'node/m.prom' is not an absolute path");
    expect_one("export:\n  prometheus_textfile: /var/lib/node/m.txt\n" SUBS, 2, 24,
               "export.prometheus_textfile", "reads only *.prom files");
    expect_one("export:\n  prometheus_textfile: /var/lib/node/.prom\n" SUBS, 2, 24,
               "export.prometheus_textfile", "does not end in .prom");
    expect_one("export:\n  emf_namespace: \"caf\u00e9\"\n" SUBS, 2, 18, "export.emf_namespace",
               "holds a character CloudWatch does not accept");
    expect_one("export:\n  emf_namespace: AWS/Lambda\n" SUBS, 2, 18, "export.emf_namespace",
               "starts with AWS/");
    expect_one("export:\n  emf_namespace: \":x\"\n" SUBS, 2, 18, "export.emf_namespace",
               "starts with a colon");
    expect_one("export:\n  emf_namespace: \"  \"\n" SUBS, 2, 18, "export.emf_namespace",
               "is only whitespace");
}

/* ---- canary: ---- */

#define CANARY SUBS "canary:\n  cache: cc\n" /* a key of canary: on line 6, column 3 */

/* canary.KEY: VALUE loads, and the config is returned for its checks. */
static struct mo_config *canary_ok_at(int line, const char *key, const char *value)
{
    char text[512];
    snprintf(text, sizeof text, CANARY "  %s: %s\n", key, value);
    return load_ok_at(line, text);
}
#define canary_ok(key, value) canary_ok_at(__LINE__, key, value)

static void test_canary_defaults(void)
{
    /* absent and null: off, with the defaults, and no subscription added */
    const char *off[] = {SUBS, SUBS "canary:\n", SUBS "canary: null\n", SUBS "canary: ~\n"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        struct mo_config *cfg = load_ok(off[i]);
        if (!cfg)
            continue;
        const struct mo_canary_config *k = &cfg->canary;
        TEST_CHECK(!k->enabled);
        TEST_CHECK(k->cache == NULL);
        TEST_EQ_STR(k->topic, "momento-subscriber-canary");
        TEST_EQ_INT(k->rate_milli, 1000);
        TEST_EQ_INT(k->size, 0);
        TEST_EQ_INT(k->deadline_us, 5000000);
        TEST_EQ_INT(k->slo_latency_us, 20000);
        TEST_EQ_INT(k->slo_target_ppm, 999000);
        TEST_EQ_INT(cfg->n_subs, 1);
        TEST_CHECK(!cfg->subs[0].canary);
        mo_config_free(cfg);
    }

    /* a cache enables it, and its own subscription comes last, decoding its
     * probes whatever defaults: says */
    struct mo_config *cfg =
        load_ok("defaults:\n  decode: binary\n  timestamp: {offset: 8}\n" SUBS "canary:\n"
                "  cache: cc\n");
    if (!cfg)
        return;
    const struct mo_canary_config *k = &cfg->canary;
    TEST_CHECK(k->enabled);
    TEST_EQ_STR(k->cache, "cc");
    TEST_EQ_STR(k->topic, "momento-subscriber-canary");
    TEST_EQ_INT(k->line, 7);
    TEST_EQ_INT(k->column, 1);
    TEST_EQ_INT(cfg->n_subs, 2);
    TEST_CHECK(!cfg->subs[0].canary);
    TEST_EQ_INT(cfg->subs[0].decoder.mode, MO_DECODE_BINARY);
    const struct mo_sub_config *s = &cfg->subs[1];
    TEST_CHECK(s->canary);
    TEST_EQ_STR(s->cache, "cc");
    TEST_EQ_STR(s->topic, "momento-subscriber-canary");
    TEST_EQ_INT(s->line, 7);
    TEST_EQ_INT(s->column, 1);
    TEST_EQ_INT(s->decoder.mode, MO_DECODE_JSON);
    TEST_EQ_STR(s->decoder.field, "timestamp");
    TEST_EQ_INT(s->decoder.path_len, 1);
    TEST_EQ_INT(s->decoder.format, MO_TS_AUTO);
    TEST_EQ_INT(s->decoder.offset, 0);
    /* to reloads it is one more subscription */
    TEST_CHECK(mo_config_find(cfg, "cc", "momento-subscriber-canary") == s);
    mo_config_free(cfg);

    /* every key */
    cfg = load_ok(SUBS "canary:\n  cache: cc\n  topic: probes\n  rate: 2.5/s\n  size: 1000\n"
                       "  deadline: 2s\n  slo:\n    latency: 50ms\n    target: 99.95%\n");
    if (!cfg)
        return;
    k = &cfg->canary;
    TEST_EQ_STR(k->topic, "probes");
    TEST_EQ_INT(k->rate_milli, 2500);
    TEST_EQ_INT(k->size, 1000);
    TEST_EQ_INT(k->deadline_us, 2000000);
    TEST_EQ_INT(k->slo_latency_us, 50000);
    TEST_EQ_INT(k->slo_target_ppm, 999500);
    TEST_EQ_INT(cfg->n_subs, 2);
    TEST_EQ_STR(cfg->subs[1].topic, "probes");
    TEST_CHECK(mo_config_find(cfg, "cc", "probes") == &cfg->subs[1]);
    mo_config_free(cfg);

    /* the same cache as a subscription, another topic, is fine */
    cfg = load_ok(SUBS "canary:\n  cache: c\n");
    TEST_CHECK(cfg && cfg->n_subs == 2);
    mo_config_free(cfg);
}

static void test_canary_values(void)
{
    static const struct {
        const char *key, *value;
        uint64_t want;
    } ok[] = {
        {"rate", "1/s", 1000},       {"rate", "0.5/s", 500},     {"rate", "0.1/s", 100},
        {"rate", "100/s", 100000},   {"rate", "0.125/s", 125},   {"rate", "2.50/s", 2500},
        {"rate", "1.5000/s", 1500},  {"rate", "\"3/s\"", 3000},  {"rate", "60/m", 1000},
        {"rate", "6/m", 100},        {"rate", "6000/m", 100000}, {"rate", "0.06/m", 0},
        {"rate", "7.5/m", 125},      {"size", "0", 0},           {"size", "256", 256},
        {"size", "4096", 4096},      {"deadline", "100ms", 100000}, {"deadline", "60s", 60000000},
        {"deadline", "1m", 60000000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (ok[i].want == 0)
            continue; /* 0.06/m is 1 in 1000 s, below the range: see below */
        struct mo_config *cfg = canary_ok(ok[i].key, ok[i].value);
        if (!cfg)
            continue;
        const struct mo_canary_config *k = &cfg->canary;
        uint64_t got = strcmp(ok[i].key, "rate") == 0   ? k->rate_milli
                       : strcmp(ok[i].key, "size") == 0 ? k->size
                                                        : k->deadline_us;
        if (got != ok[i].want)
            fprintf(stderr, "  canary.%s: %s\n", ok[i].key, ok[i].value);
        TEST_EQ_INT(got, ok[i].want);
        mo_config_free(cfg);
    }

    static const struct {
        const char *value;
        uint32_t want;
    } targets[] = {
        {"99.9%", 999000},   {"99.95%", 999500},  {"99%", 990000},     {"50%", 500000},
        {"99.9999%", 999999}, {"99.99990%", 999999}, {"\"99.9%\"", 999000}, {"0.999", 999000},
        {"0.5", 500000},     {"0.999999", 999999}, {"0.99", 990000},    {"0.9990", 999000},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char text[300];
        snprintf(text, sizeof text, CANARY "  slo:\n    target: %s\n", targets[i].value);
        struct mo_config *cfg = load_ok(text);
        if (!cfg)
            continue;
        if (cfg->canary.slo_target_ppm != targets[i].want)
            fprintf(stderr, "  canary.slo.target: %s\n", targets[i].value);
        TEST_EQ_INT(cfg->canary.slo_target_ppm, targets[i].want);
        mo_config_free(cfg);
    }

    /* slo.latency: from 1ms to the deadline, the deadline included */
    struct mo_config *cfg = load_ok(CANARY "  slo: {latency: 1ms}\n");
    TEST_CHECK(cfg && cfg->canary.slo_latency_us == 1000);
    mo_config_free(cfg);
    cfg = load_ok(CANARY "  deadline: 200ms\n  slo: {latency: 200ms}\n");
    TEST_CHECK(cfg && cfg->canary.slo_latency_us == 200000 && cfg->canary.deadline_us == 200000);
    mo_config_free(cfg);
    cfg = load_ok(CANARY "  slo:\n");
    TEST_CHECK(cfg && cfg->canary.slo_latency_us == 20000);
    mo_config_free(cfg);
}

static void test_canary_errors(void)
{
    /* canary.rate, at line 6 column 9 */
    const char *range = "is out of range: write a rate from 0.1/s to 100/s (6/m to 6000/m)";
    static const struct {
        const char *value, *reason;
    } rates[] = {
        {"1", "'1' needs a unit: write 1/s (a second) or 1/m (a minute)"},
        {"0.5", "'0.5' needs a unit: write 0.5/s"},
        {"0.05/s", NULL},
        {"0.099/s", NULL},
        {"101/s", NULL},
        {"100.001/s", NULL},
        {"0/s", NULL},
        {"5.4/m", NULL},
        {"0.06/m", NULL},
        {"99999999999999999999/s", NULL},
        {"1/h", "'1/h' is not a rate: write a number of probes, then /s"},
        {"1/sec", "is not a rate"},
        {"1 /s", "is not a rate"},
        {"-1/s", "is not a rate"},
        {".5/s", "is not a rate"},
        {"1./s", "is not a rate"},
        {"/s", "is not a rate"},
        {"1e2/s", "is not a rate"},
        {"fast", "'fast' is not a rate"},
        {"0.1234/s", "'0.1234/s' has more than 3 digits after the point"},
        {"10/m", "'10/m' is not a whole number of thousandths of a probe per second; write a "
                 "rate per minute that is a multiple of 0.06/m"},
        {"0.01/m", "is not a whole number of thousandths"},
        {"\"\"", "needs a value: a rate such as 1/s"},
        {"[1]", "expected a rate such as 1/s here, not a list"},
    };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        char text[300], reason[200];
        snprintf(text, sizeof text, CANARY "  rate: %s\n", rates[i].value);
        snprintf(reason, sizeof reason, "%s %s", rates[i].value, range);
        expect_one_at(__LINE__, text, 6, 9, "canary.rate", rates[i].reason ? rates[i].reason : reason);
    }
    expect_one(CANARY "  rate:\n", 6, 8, "canary.rate", "needs a value: a rate such as 1/s");

    /* canary.slo.target, at line 7 column 13 */
    static const struct {
        const char *value, *reason;
    } targets[] = {
        {"100%", "100% is out of range: write a target from 50% to 99.9999% (0.5 to 0.999999); "
                 "100% leaves no room for a single late or lost probe"},
        {"1", "1 is out of range: write a target from 50%"},
        {"1.0", "1.0 is out of range"},
        {"0.4999", "0.4999 is out of range"},
        {"49.9999%", "49.9999% is out of range"},
        {"0%", "0% is out of range"},
        {"150%", "150% is out of range"},
        {"0", "0 is out of range"},
        {"99.9", "'99.9' is more than 1; write a percentage with its sign (99.9%) or a fraction"},
        {"99.99999%", "'99.99999%' is finer than a part per million; write at most 4 digits"},
        {"0.9999999", "'0.9999999' is finer than a part per million; write at most 6 digits"},
        {"high", "'high' is not a target: write a percentage such as 99.9% (at most 4 digits "
                 "after the point) or a fraction such as 0.999"},
        {"99.9%%", "is not a target"},
        {"99.9 %", "is not a target"},
        {"\"%\"", "is not a target"},
        {"-0.5", "is not a target"},
        {"99,9%", "is not a target"},
        {"{a: 1}", "expected a percentage such as 99.9% here, not a mapping"},
        {"\"\"", "needs a value: a percentage such as 99.9%"},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char text[300];
        snprintf(text, sizeof text, CANARY "  slo:\n    target: %s\n", targets[i].value);
        expect_one_at(__LINE__, text, 7, 13, "canary.slo.target", targets[i].reason);
    }

    /* canary.size */
    expect_one(CANARY "  size: 255\n", 6, 9, "canary.size",
               "255 is too small: write 0 (no padding) or a size from 256 to 4096 bytes (every "
               "probe fits in 256 bytes unpadded)");
    expect_one(CANARY "  size: 1\n", 6, 9, "canary.size", "1 is too small");
    expect_one(CANARY "  size: 4097\n", 6, 9, "canary.size",
               "4097 is out of range: write a number from 0 to 4096");
    expect_one(CANARY "  size: 1k\n", 6, 9, "canary.size", "'1k' is not a whole number");

    /* canary.deadline and canary.slo.latency */
    expect_one(CANARY "  deadline: 50ms\n", 6, 13, "canary.deadline",
               "50ms is out of range: write a duration from 100ms to 1m");
    expect_one(CANARY "  deadline: 61s\n", 6, 13, "canary.deadline", "61s is out of range");
    expect_one(CANARY "  deadline: 5\n", 6, 13, "canary.deadline", "'5' needs a unit");
    expect_one(CANARY "  slo:\n    latency: 500us\n", 7, 14, "canary.slo.latency",
               "500us is out of range: write a duration from 1ms to 1m");
    expect_one(CANARY "  slo:\n    latency: 6s\n", 7, 14, "canary.slo.latency",
               "slo.latency (6s) is longer than deadline (5s, the default); a probe not received "
               "by the deadline is lost, not late: make slo.latency at most the deadline");
    expect_one(CANARY "  deadline: 1s\n  slo:\n    latency: 1001ms\n", 8, 14, "canary.slo.latency",
               "slo.latency (1001ms) is longer than deadline (1s); a probe");

    /* canary.cache and canary.topic */
    expect_one(SUBS "canary:\n  rate: 1/s\n", 4, 1, "canary.cache",
               "missing: give the cache the canary publishes to, or remove canary:");
    expect_one(SUBS "canary: {}\n", 4, 1, "canary.cache", "missing: give the cache");
    expect_one(SUBS "canary:\n  cache: \"\"\n", 5, 10, "canary.cache",
               "is empty; write a cache name");
    expect_one(SUBS "canary:\n  cache:\n", 5, 9, "canary.cache", "is empty; write a cache name");
    expect_one(SUBS "canary:\n  cache: \" \"\n", 5, 10, "canary.cache", "is only whitespace");
    expect_one(SUBS "canary:\n  cache: [a]\n", 5, 10, "canary.cache",
               "expected a string here, not a list");
    expect_one(CANARY "  topic: \"\"\n", 6, 10, "canary.topic", "is empty; write a topic name");
    expect_one(CANARY "  cache: dd\n", 6, 3, "canary.cache",
               "duplicate key 'cache' (first at line 5, column 3)");

    /* the mapping itself */
    expect_one(SUBS "canary: cc\n", 4, 9, "canary",
               "expected a mapping (indented 'key: value' lines), not a single value");
    expect_one(SUBS "canary:\n  - cache: cc\n", 5, 3, "canary", "expected a mapping");
    expect_one(CANARY "  colour: blue\n", 6, 3, "canary.colour",
               "unknown key 'colour' in canary; the keys here are: cache, topic, rate, size, "
               "deadline, slo");
    expect_one(CANARY "  rte: 1/s\n", 6, 3, "canary.rte",
               "unknown key 'rte' in canary; did you mean 'rate'?");
    expect_one(CANARY "  target: 99%\n", 6, 3, "canary.target",
               "unknown key 'target' in canary; it belongs under 'slo:'");
    expect_one(CANARY "  slo:\n    budget: 1\n", 7, 5, "canary.slo.budget",
               "unknown key 'budget' in canary.slo; the keys here are: latency, target");
    expect_one(CANARY "  slo: 99.9%\n", 6, 8, "canary.slo", "expected a mapping");
    expect_one(SUBS "canary:\n  cache: cc\ncanary:\n  cache: dd\n", 6, 1, "canary",
               "duplicate key 'canary' (first at line 4, column 1)");

    /* a topic of its own */
    expect_one("subscriptions:\n  - cache: a\n    topic: b\n  - cache: cc\n    topic: probes\n"
               "canary:\n  cache: cc\n  topic: probes\n",
               8, 10, "canary.topic",
               "the canary's topic is also subscriptions[1] (line 4): give the canary a topic of "
               "its own");
    expect_one("subscriptions:\n  - cache: cc\n    topic: momento-subscriber-canary\n"
               "canary:\n  cache: cc\n",
               4, 1, "canary.topic", "the canary's topic is also subscriptions[0] (line 2)");

    /* the canary does not count as a subscription */
    expect_one("canary:\n  cache: cc\n", 1, 1, "subscriptions",
               "missing; list at least one subscription");
    expect_one("subscriptions: []\ncanary:\n  cache: cc\n", 1, 16, "subscriptions",
               "is empty; list at least one subscription");

    /* errors together, in file order */
    struct mo_config_errors errs;
    int rc;
    struct mo_config *cfg = load(SUBS "canary:\n  rate: 1/h\n  size: 9\n  slo:\n    target: 1\n",
                                 &errs, &rc);
    TEST_EQ_INT(rc, -EINVAL);
    TEST_CHECK(cfg == NULL);
    TEST_EQ_INT(errs.n, 4);
    check_error(&errs, 0, 4, 1, "canary.cache", "missing");
    check_error(&errs, 1, 5, 9, "canary.rate", "is not a rate");
    check_error(&errs, 2, 6, 9, "canary.size", "is too small");
    check_error(&errs, 3, 8, 13, "canary.slo.target", "is out of range");
    mo_config_free(cfg);
    mo_config_errors_clear(&errs);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/test-config.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_defaults();
    test_every_key();
    test_inheritance();
    test_find_and_equal();
    test_example();
    test_man_examples();
    test_file_errors();
    test_anchors();
    test_unknown_keys();
    test_duplicate_keys();
    test_wrong_types();
    test_durations();
    test_ranges();
    test_enums();
    test_mode_keys();
    test_subscriptions();
    test_momento();
    test_many_errors();
    test_format();
    test_duration_syntax();
    test_hosts();
    test_secrets();
    test_load_buffer();
    test_exports();
    test_canary_defaults();
    test_canary_values();
    test_canary_errors();
    rmdir(tmpdir);
    return test_result("test-config");
}
