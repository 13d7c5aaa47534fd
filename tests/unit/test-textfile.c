/* Unit tests for the textfile writer (textfile.h): the bytes handed over
 * end up in the file (atomically: no temporary file left, mode 0644), each
 * job's outcome is polled once, a failure names its step, and the writer
 * stops cleanly. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/textfile.h"
#include "test.h"

static char *dup_text(const char *s) { return strdup(s); }

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/test-textfile.XXXXXX";
    TEST_CHECK(mkdtemp(dir) != NULL);
    char path[256], missing[256];
    snprintf(path, sizeof path, "%s/m.prom", dir);
    snprintf(missing, sizeof missing, "%s/gone/m.prom", dir);

    mo_textfile *t;
    TEST_EQ_INT(mo_textfile_new(&t), 0);
    struct mo_textfile_result res;
    TEST_CHECK(!mo_textfile_ready(t));
    TEST_CHECK(!mo_textfile_poll(t, &res));

    TEST_EQ_INT(mo_textfile_submit(t, path, dup_text("a 1\n"), 4), 0);
    TEST_CHECK(mo_textfile_wait(t, 10000000));
    TEST_CHECK(mo_textfile_ready(t));
    TEST_CHECK(mo_textfile_poll(t, &res));
    TEST_EQ_INT(res.r, 0);
    TEST_EQ_STR(res.path, path);
    TEST_CHECK(!mo_textfile_ready(t));
    TEST_CHECK(!mo_textfile_poll(t, &res)); /* taken once */
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    TEST_CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 4);
    if (f)
        fclose(f);
    TEST_EQ_STR(buf, "a 1\n");
    struct stat st;
    TEST_EQ_INT(stat(path, &st), 0);
    TEST_EQ_INT(st.st_mode & 0777, 0644);
    TEST_EQ_INT(entries(dir), 1); /* no temporary file left */

    /* a directory that is not there: the step and the errno, nothing left */
    TEST_EQ_INT(mo_textfile_submit(t, missing, dup_text("b 2\n"), 4), 0);
    TEST_CHECK(mo_textfile_wait(t, 10000000));
    TEST_CHECK(mo_textfile_poll(t, &res));
    TEST_EQ_INT(res.r, -ENOENT);
    TEST_EQ_STR(res.what, "creating a temporary file in its directory");
    TEST_EQ_STR(res.path, missing);

    /* the file replaced whole; several jobs: the last one's outcome is the one kept */
    for (int i = 0; i < 50; i++) {
        char text[32];
        int n = snprintf(text, sizeof text, "a %d\n", i);
        TEST_EQ_INT(mo_textfile_submit(t, path, dup_text(text), (size_t)n), 0);
    }
    TEST_CHECK(mo_textfile_wait(t, 10000000));
    TEST_CHECK(mo_textfile_poll(t, &res));
    TEST_EQ_INT(res.r, 0);
    f = fopen(path, "r");
    memset(buf, 0, sizeof buf);
    TEST_CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 5);
    if (f)
        fclose(f);
    TEST_EQ_STR(buf, "a 49\n");
    TEST_EQ_INT(entries(dir), 1);
    TEST_EQ_INT(mo_textfile_submit(t, path, NULL, 0), -EINVAL);

    /* a job still waiting at the stop is written before the thread ends */
    TEST_EQ_INT(mo_textfile_submit(t, path, dup_text("last\n"), 5), 0);
    mo_textfile_free(t, 10000000);
    f = fopen(path, "r");
    memset(buf, 0, sizeof buf);
    TEST_CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 5);
    if (f)
        fclose(f);
    TEST_EQ_STR(buf, "last\n");
    mo_textfile_free(NULL, 0);

    unlink(path);
    rmdir(dir);
    return test_result("test-textfile");
}
