/* Running the impasto program from tests: see cli_run.h. */
#include "cli_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const imp_test_cli_binary = IMP_BINARY_DIR "/apps/impasto/impasto";

bool imp_test_cli_open(struct imp_test_cli *c, const char *prefix)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/%sXXXXXX", prefix);
    if (!mkdtemp(c->dir)) {
        printf("cannot make a temporary folder\n");
        return false;
    }
    return true;
}

void imp_test_cli_close(struct imp_test_cli *c)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", c->dir);
}

static void slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

static int run_line(struct imp_test_cli *c, const char *line)
{
    char cmd[8192], out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", c->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", c->dir);
    /* The parentheses capture every part of a pipeline, not just its last. */
    snprintf(cmd, sizeof cmd, "( %s ) >'%s' 2>'%s' </dev/null", line, out_path, err_path);
    int st = system(cmd);
    slurp(out_path, c->out, sizeof c->out);
    slurp(err_path, c->err, sizeof c->err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int imp_test_sh(struct imp_test_cli *c, const char *fmt, ...)
{
    char line[6144];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return run_line(c, line);
}

int imp_test_cli_run(struct imp_test_cli *c, const char *fmt, ...)
{
    char args[4096], line[6144];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "'%s' %s", imp_test_cli_binary, args);
    return run_line(c, line);
}

bool imp_test_cli_one_error_line(const struct imp_test_cli *c, const char *want)
{
    const char *e = c->err;
    const char *nl = strchr(e, '\n');
    bool ok = strncmp(e, "impasto: ", 9) == 0 && nl && nl[1] == '\0' &&
              strstr(e + 9, ": ") != NULL && (!want || strstr(e, want));
    if (!ok)
        printf("  stderr was: [%s]%s%s%s\n", e, want ? ", wanted '" : "", want ? want : "",
               want ? "'" : "");
    return ok;
}

const char *imp_test_cli_path(const struct imp_test_cli *c, const char *name)
{
    static char paths[64][512];
    static int next;
    char *p = paths[next++ % 64];
    snprintf(p, sizeof paths[0], "%s/%s", c->dir, name);
    return p;
}

bool imp_test_has(const char *text, const char *what)
{
    bool ok = strstr(text, what) != NULL;
    if (!ok)
        printf("  missing '%s' in:\n%s\n", what, text);
    return ok;
}
