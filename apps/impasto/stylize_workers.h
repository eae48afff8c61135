/*
 * Photos in parallel: N workers, each with its own painter (a stylizer on
 * the shared model), take the next photo until none is left. A photo that
 * fails is reported on its own line and the rest are still done; a progress
 * bar goes to the terminal (only when stderr is one, so scripts and tests
 * see exactly the error lines).
 */
#ifndef IMP_CLI_STYLIZE_WORKERS_H
#define IMP_CLI_STYLIZE_WORKERS_H

#include <stddef.h>

#include "stylize_cli.h"

struct imp_stylize_workers {
    const struct imp_stylize_job *job;
    void *shared;
    /* A worker's painter with this many threads, or NULL with why. */
    void *(*start)(void *shared, int threads, char *why, size_t why_size);
    imp_stylize_paint_fn paint;
    void (*stop)(void *painter);
    const char *label; /* what paints, for the progress bar */
};

/* Returns the exit code: 0 when every photo was written. */
int imp_stylize_run_workers(struct imp_stylize_workers *w, char **in, char **out, int n);

#endif
