/*
 * impasto convert and info as a user meets them for metadata and ONNX
 * output: --meta pairs land in .imp and ONNX files and info prints them
 * (escaped, one line each); the output format follows the extension; bad
 * pairs and extensions are one-line errors with the right exit code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "impasto.h"

static const char *cli = IMP_BINARY_DIR "/apps/impasto/impasto";
static const char *golden = IMP_SOURCE_DIR "/tests/data/goldens/johnson_mini_op11.onnx";
static char dir[64];
static char out_text[65536], err_text[65536];

static void slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

static int run_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cli(const char *fmt, ...)
{
    char args[2048], cmd[4096], out_path[128], err_path[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", cli, args, out_path,
             err_path);
    int st = system(cmd);
    slurp(out_path, out_text, sizeof out_text);
    slurp(err_path, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool one_error_line(const char *what)
{
    const char *nl = strchr(err_text, '\n');
    bool ok = strncmp(err_text, "impasto: ", 9) == 0 && nl && nl[1] == '\0' &&
              strstr(err_text, what) != NULL;
    if (!ok)
        printf("  stderr was: [%s], wanted '%s'\n", err_text, what);
    return ok;
}

static bool has(const char *text, const char *what)
{
    bool ok = strstr(text, what) != NULL;
    if (!ok)
        printf("  missing '%s' in:\n%s\n", what, text);
    return ok;
}

static const char *tmp(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void meta_goes_into_imp_and_onnx(void)
{
    int rc = run_cli("convert '%s' '%s' --meta impasto.input.range=0,255 "
                     "--meta 'title=The Great Wave' --meta \"doc=$(printf 'one\\ntwo')\"",
                     golden, tmp("wave.imp"));
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", err_text);
    CHECK(has(out_text, "wrote "));
    CHECK(run_cli("info '%s'", tmp("wave.imp")) == 0);
    /* onnx.producer comes from the ONNX file's own fields */
    CHECK(has(out_text, "metadata    4\n"));
    CHECK(has(out_text, "  onnx.producer                pytorch"));
    CHECK(has(out_text, "  impasto.input.range          0,255\n"));
    CHECK(has(out_text, "  title                        The Great Wave\n"));
    CHECK(has(out_text, "  doc                          one\\ntwo\n"));
    /* .imp -> .onnx keeps them, and a later --meta replaces a value */
    rc = run_cli("convert '%s' '%s' --meta title=Wave", tmp("wave.imp"), tmp("wave.onnx"));
    CHECK(rc == 0);
    CHECK(run_cli("info '%s'", tmp("wave.onnx")) == 0);
    CHECK(has(out_text, "format      onnx\n"));
    CHECK(has(out_text, "metadata    4\n"));
    CHECK(has(out_text, "  title                        Wave\n"));
    /* --clear-meta starts from nothing: no metadata block at all */
    CHECK(run_cli("convert '%s' '%s' --clear-meta", tmp("wave.onnx"), tmp("bare.imp")) == 0);
    CHECK(run_cli("info '%s'", tmp("bare.imp")) == 0);
    CHECK(strstr(out_text, "metadata") == NULL);
    /* the model the ONNX file holds still runs and plans */
    CHECK(has(out_text, "output      output float32 [1, 3, 36, 48]"));
}

static void long_values_are_cut_in_info(void)
{
    char value[400];
    memset(value, 'v', 300);
    value[300] = '\0';
    CHECK(run_cli("convert '%s' '%s' --meta 'long=%s'", golden, tmp("long.imp"), value) == 0);
    CHECK(run_cli("info '%s'", tmp("long.imp")) == 0);
    CHECK(has(out_text, "... (300 bytes)\n"));
}

static void mistakes_are_one_line(void)
{
    CHECK(run_cli("convert '%s' '%s'", golden, tmp("out.txt")) == 2);
    CHECK(one_error_line("the output must end in .imp or .onnx"));
    CHECK(run_cli("convert '%s' '%s' --meta novalue", golden, tmp("x.imp")) == 2);
    CHECK(one_error_line("--meta wants KEY=VALUE"));
    CHECK(run_cli("convert '%s' '%s' --meta =v", golden, tmp("x.imp")) == 2);
    CHECK(one_error_line("--meta wants KEY=VALUE"));
    CHECK(run_cli("convert '%s' '%s' --meta \"$(printf 'a\\tb')=v\"", golden,
                  tmp("x.imp")) == 1);
    CHECK(one_error_line("control character"));
    CHECK(access(tmp("x.imp"), F_OK) != 0); /* nothing half-written */
    CHECK(run_cli("convert --help") == 0);
    CHECK(has(out_text, "OUT.onnx") && has(out_text, "--meta KEY=VALUE"));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/impasto-cli-convert-XXXXXX");
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    RUN(meta_goes_into_imp_and_onnx);
    RUN(long_values_are_cut_in_info);
    RUN(mistakes_are_one_line);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return imp_test_finish();
}
