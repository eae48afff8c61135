/*
 * Running the impasto program (or any shell line) from a test, with its
 * stdout and stderr captured into buffers, and the CLI's error promise
 * checked in one place. Each test file keeps one `struct imp_test_cli`
 * (static: the buffers are large) that also owns the test's temporary
 * folder.
 */
#ifndef IMP_TEST_CLI_RUN_H
#define IMP_TEST_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct imp_test_cli {
    char dir[64];  /* the test's temporary folder, made by imp_test_cli_open */
    char out[65536], err[65536]; /* the last run's stdout and stderr */
};

/* The built program; tests skip when it is absent (IMP_BUILD_APPS=OFF). */
extern const char *const imp_test_cli_binary;

/* Makes a fresh folder /tmp/<prefix>XXXXXX in c->dir; false (after a
 * message) when it cannot. */
bool imp_test_cli_open(struct imp_test_cli *c, const char *prefix);
/* Removes c->dir and everything in it. */
void imp_test_cli_close(struct imp_test_cli *c);

/* Runs a shell line (printf-style) with stdin from /dev/null; returns its
 * exit code (-1 when it did not exit) with stdout and stderr in c->out and
 * c->err. */
int imp_test_sh(struct imp_test_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for impasto with these arguments (a shell word list). */
int imp_test_cli_run(struct imp_test_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The error promise: stderr is exactly one line "impasto: <what>: <why>",
 * and holds `want` unless it is NULL. Prints stderr when it is not. */
bool imp_test_cli_one_error_line(const struct imp_test_cli *c, const char *want);

/* dir/name in one of 64 rotating buffers: a test may hold up to 64 at once. */
const char *imp_test_cli_path(const struct imp_test_cli *c, const char *name);

/* strstr, printing the text when `what` is missing. */
bool imp_test_has(const char *text, const char *what);

#endif
