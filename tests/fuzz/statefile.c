/* statefile.c - fuzz target: the state file decoder (mo_statefile_decode,
 * src/daemon/state/statefile.h), which reads a file from disk at start-up.
 *
 * Byte 0: when odd, the checksum on the end line is set to the one the bytes
 * before it make (where the line has room for it), so that the fuzzer reaches
 * past the checksum; the rest is the file. Properties: only the documented
 * errors, with a detail that starts with the file's name; a decoded file finds
 * each of its entries; its entries encode, and the encoding decodes to the
 * same entries and encodes again to the same bytes.
 */
#include <config.h>

#include <errno.h>

#include "fuzz.h"
#include "state/statefile.h"

#define NAME "state"

/* Rewrites the 8 hex digits at the end of the last line that starts with "end ". */
static void fix_checksum(char *buf, size_t len)
{
    if (len < 14 || buf[len - 1] != '\n')
        return;
    size_t start = len - 1;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    if (len - start < 14 || memcmp(buf + start, "end ", 4) != 0)
        return;
    uint32_t crc = mo_statefile_crc32(0, buf, start);
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", crc);
    memcpy(buf + len - 9, hex, 8);
}

static void same_entries(const mo_statefile *a, const mo_statefile *b)
{
    size_t n = mo_statefile_count(a);
    FUZZ_CHECK(mo_statefile_count(b) == n);
    const struct mo_statefile_entry *x = mo_statefile_entries(a), *y = mo_statefile_entries(b);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(x[i].cache, y[i].cache) == 0 && strcmp(x[i].topic, y[i].topic) == 0);
        FUZZ_CHECK(x[i].page == y[i].page && x[i].last == y[i].last);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t flags = fuzz_byte(&data, &size);
    char *buf = (char *)fuzz_memdup(data, size);
    if (flags & 1)
        fix_checksum(buf, size);

    char err[MO_STATEFILE_ERR_MAX + 64];
    memset(err, 'x', sizeof err);
    mo_statefile *sf = NULL;
    int r = mo_statefile_decode(buf, size, NAME, &sf, err, sizeof err);
    FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EFBIG || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(sf == NULL);
        FUZZ_CHECK(fuzz_terminated(err, sizeof err));
        FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
        /* no detail buffer is allowed too, and gives the same answer */
        FUZZ_CHECK(mo_statefile_decode(buf, size, NAME, &sf, NULL, 0) == r && sf == NULL);
        free(buf);
        return 0;
    }

    size_t n = mo_statefile_count(sf);
    const struct mo_statefile_entry *v = mo_statefile_entries(sf);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(mo_statefile_find(sf, v[i].cache, v[i].topic) == &v[i]);

    char *enc = NULL, *enc2 = NULL;
    size_t len = 0, len2 = 0;
    FUZZ_CHECK(mo_statefile_encode(v, n, &enc, &len, err, sizeof err) == 0);
    mo_statefile *again = NULL;
    r = mo_statefile_decode(enc, len, NAME, &again, err, sizeof err);
    if (r != 0)
        fprintf(stderr, "re-encoded file does not decode: %s\n", err);
    FUZZ_CHECK(r == 0);
    same_entries(sf, again);
    FUZZ_CHECK(mo_statefile_encode(mo_statefile_entries(again), mo_statefile_count(again), &enc2,
                                   &len2, err, sizeof err) == 0);
    FUZZ_CHECK(len == len2 && memcmp(enc, enc2, len) == 0);

    free(enc);
    free(enc2);
    mo_statefile_free(again);
    mo_statefile_free(sf);
    free(buf);
    return 0;
}
