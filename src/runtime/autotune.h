/*
 * Engine choice by timing at plan time (imp_predictor_options.autotune).
 */
#ifndef IMP_AUTOTUNE_H
#define IMP_AUTOTUNE_H

#include <stdbool.h>

#include "ops/op.h"

/* A prepared engine: the caller owns `state` (release it with the engine). */
struct imp_tuned_engine {
    const struct imp_engine *engine;
    void *state;
    size_t scratch_bytes;
    double ms; /* its best measured run */
};

/* Prepare and time every non-reference engine of `def` that supports the
 * node in `a` (constant inputs carry data; activations may not) and keep
 * the fastest in `out`. Returns false, with nothing prepared, when there is
 * nothing to choose between or no candidate could be prepared and timed:
 * the caller then takes the default choice. */
bool imp_autotune_engine(const struct imp_op_def *def, const struct imp_kernel_args *a,
                         struct imp_tuned_engine *out);

#endif
