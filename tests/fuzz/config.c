/* config.c - fuzz target: the configuration loader, from memory
 * (mo_config_load_buffer, src/daemon/config/config.h).
 *
 * The input is a configuration file's bytes. Properties: success gives a
 * configuration and no error, failure at least one error and no
 * configuration; every error formats; a loaded configuration is usable as the
 * daemon uses it: each subscription is found by its names, and its decoder
 * decodes payloads of every kind without a fault.
 */
#include <config.h>

#include <errno.h>

#include "fuzz.h"
#include "config/config.h"

static void use_decoder(const struct mo_decoder *d)
{
    static const char *const payloads[] = {
        "{\"timestamp\":\"2026-11-23T03:17:57.123456Z\",\"meta\":{\"sent_at\":1700000000123}}",
        "2026-11-23T03:17:57Z",
        "1700000000",
        ("\x00\x00\x01\x8b\xcf\xe5\x68\x00\x17\x9b\x2c\x6a\x4e\x2f\x00\x00"
         "\x00\x00\x01\x8b\xcf\xe5\x68\x00\x17\x9b\x2c\x6a\x4e\x2f\x00\x00"),
    };
    FUZZ_CHECK(mo_decoder_equal(d, d));
    FUZZ_CHECK(mo_decode_mode_name(d->mode) != NULL);
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        size_t len = i == 3 ? 32 : strlen(payloads[i]);
        uint8_t *p = fuzz_memdup((const uint8_t *)payloads[i], len);
        char reason[MO_DECODE_REASON_MAX];
        int64_t ns;
        int r = mo_decode_timestamp(d, p, len, &ns, reason, sizeof reason);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        free(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = (char *)fuzz_memdup(data, size);
    struct mo_config *cfg = NULL;
    struct mo_config_errors errs = {0};
    int r = mo_config_load_buffer("fuzz.yaml", buf, size, &cfg, &errs);

    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r == 0) {
        FUZZ_CHECK(cfg != NULL && errs.n == 0);
        FUZZ_CHECK(cfg->path && strcmp(cfg->path, "fuzz.yaml") == 0);
        for (size_t i = 0; i < cfg->n_subs; i++) {
            const struct mo_sub_config *s = &cfg->subs[i];
            FUZZ_CHECK(s->cache && s->topic);
            FUZZ_CHECK(mo_config_find(cfg, s->cache, s->topic) == s); /* no duplicates */
            use_decoder(&s->decoder);
        }
        mo_config_free(cfg);
    } else {
        FUZZ_CHECK(cfg == NULL && errs.n > 0);
        for (size_t i = 0; i < errs.n; i++) {
            const struct mo_config_error *e = &errs.v[i];
            FUZZ_CHECK(fuzz_terminated(e->file, sizeof e->file));
            FUZZ_CHECK(fuzz_terminated(e->key, sizeof e->key));
            FUZZ_CHECK(fuzz_terminated(e->reason, sizeof e->reason) && e->reason[0]);
            FUZZ_CHECK(e->line >= 0 && e->column >= 0);
            char line[1400];
            mo_config_error_format(e, line, sizeof line);
        }
    }
    mo_config_errors_clear(&errs);
    free(buf);
    return 0;
}
