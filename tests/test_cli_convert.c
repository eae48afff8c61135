/*
 * impasto convert and info as a user meets them for metadata and ONNX
 * output: --meta pairs land in .imp and ONNX files and info prints them
 * (escaped, one line each); the output format follows the extension; bad
 * pairs and extensions are one-line errors with the right exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "impasto.h"

static const char *golden = IMP_SOURCE_DIR "/tests/data/goldens/johnson_mini_op11.onnx";
static struct imp_test_cli io;

static void meta_goes_into_imp_and_onnx(void)
{
    int rc = imp_test_cli_run(&io,
                              "convert '%s' '%s' --meta impasto.input.range=0,255 "
                              "--meta 'title=The Great Wave' --meta \"doc=$(printf 'one\\ntwo')\"",
                              golden, imp_test_cli_path(&io, "wave.imp"));
    if (!CHECK(rc == 0))
        printf("  stderr: %s\n", io.err);
    CHECK(imp_test_has(io.out, "wrote "));
    CHECK(imp_test_cli_run(&io, "info '%s'", imp_test_cli_path(&io, "wave.imp")) == 0);
    /* onnx.producer comes from the ONNX file's own fields */
    CHECK(imp_test_has(io.out, "metadata    4\n"));
    CHECK(imp_test_has(io.out, "  onnx.producer                pytorch"));
    CHECK(imp_test_has(io.out, "  impasto.input.range          0,255\n"));
    CHECK(imp_test_has(io.out, "  title                        The Great Wave\n"));
    CHECK(imp_test_has(io.out, "  doc                          one\\ntwo\n"));
    /* .imp -> .onnx keeps them, and a later --meta replaces a value */
    rc = imp_test_cli_run(&io, "convert '%s' '%s' --meta title=Wave",
                          imp_test_cli_path(&io, "wave.imp"), imp_test_cli_path(&io, "wave.onnx"));
    CHECK(rc == 0);
    CHECK(imp_test_cli_run(&io, "info '%s'", imp_test_cli_path(&io, "wave.onnx")) == 0);
    CHECK(imp_test_has(io.out, "format      onnx\n"));
    CHECK(imp_test_has(io.out, "metadata    4\n"));
    CHECK(imp_test_has(io.out, "  title                        Wave\n"));
    /* --clear-meta starts from nothing: no metadata block at all */
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s' --clear-meta",
                           imp_test_cli_path(&io, "wave.onnx"),
                           imp_test_cli_path(&io, "bare.imp")) == 0);
    CHECK(imp_test_cli_run(&io, "info '%s'", imp_test_cli_path(&io, "bare.imp")) == 0);
    CHECK(strstr(io.out, "metadata") == NULL);
    /* the model the ONNX file holds still runs and plans */
    CHECK(imp_test_has(io.out, "output      output float32 [1, 3, 36, 48]"));
}

static void long_values_are_cut_in_info(void)
{
    char value[400];
    memset(value, 'v', 300);
    value[300] = '\0';
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s' --meta 'long=%s'", golden,
                           imp_test_cli_path(&io, "long.imp"), value) == 0);
    CHECK(imp_test_cli_run(&io, "info '%s'", imp_test_cli_path(&io, "long.imp")) == 0);
    CHECK(imp_test_has(io.out, "... (300 bytes)\n"));
}

static void mistakes_are_one_line(void)
{
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s'", golden, imp_test_cli_path(&io, "out.txt")) ==
          2);
    CHECK(imp_test_cli_one_error_line(&io, "the output must end in .imp or .onnx"));
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s' --meta novalue", golden,
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--meta wants KEY=VALUE"));
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s' --meta =v", golden,
                           imp_test_cli_path(&io, "x.imp")) == 2);
    CHECK(imp_test_cli_one_error_line(&io, "--meta wants KEY=VALUE"));
    CHECK(imp_test_cli_run(&io, "convert '%s' '%s' --meta \"$(printf 'a\\tb')=v\"", golden,
                           imp_test_cli_path(&io, "x.imp")) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "control character"));
    CHECK(access(imp_test_cli_path(&io, "x.imp"), F_OK) != 0); /* nothing half-written */
    CHECK(imp_test_cli_run(&io, "convert --help") == 0);
    CHECK(imp_test_has(io.out, "OUT.onnx") && imp_test_has(io.out, "--meta KEY=VALUE"));
}

int main(void)
{
    if (!imp_test_cli_open(&io, "impasto-cli-convert-"))
        return 1;
    RUN(meta_goes_into_imp_and_onnx);
    RUN(long_values_are_cut_in_info);
    RUN(mistakes_are_one_line);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
