/*
 * A small test harness. Each test file's main() runs its tests with RUN()
 * and returns imp_test_finish(), which prints "N passed, N failed" and
 * gives ctest the exit code. A check that fails reports file:line and goes
 * on, so one run shows every failure.
 */
#ifndef IMP_TEST_HARNESS_H
#define IMP_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impasto.h"
#include "core/graph.h"

#define IMP_TEST_SKIP 77

/* 1 in sanitizer builds, where the slowest numeric checks run on fewer
 * models (each says where). */
#ifndef IMP_TEST_SANITIZED
#define IMP_TEST_SANITIZED 0
#endif

void imp_test_begin(const char *name);
void imp_test_end(void);
bool imp_test_check(bool ok, const char *what, const char *file, int line);
bool imp_test_near(double got, double want, double rel, double abs_tol,
                   const char *what, const char *file, int line);
int imp_test_finish(void);
/* Exit with the skip code after printing why (for missing ../shared). */
void imp_test_skip(const char *why);
/* Path under ../shared, or NULL (after a skip message) when absent. */
const char *imp_test_shared(const char *relative, char *buf, size_t size);

/* Largest |a-b| / max(|b|, floor) over n floats. */
double imp_test_max_rel_error(const float *a, const float *b, size_t n,
                              double floor);

/* Runs a one-input float model once under options `o` (NULL: defaults) and
 * returns a malloc'd copy of output 0, its element count in *count; or NULL
 * with *status saying why (init's status when no predictor could be made:
 * IMP_ERR_UNSUPPORTED when a forced engine declines the node). */
float *imp_test_run_once(struct imp_model *m, const struct imp_predictor_options *o,
                         const float *x, size_t x_bytes, size_t *count,
                         enum imp_status *status);

/* imp_test_run_once with `x_floats` floats in, the engines forced
 * ("Op=engine[,...]", or NULL for the built-in choice), the kernels capped
 * at `isa` and `threads` threads; status may be NULL. */
float *imp_test_run_engines(struct imp_model *m, const float *x, size_t x_floats,
                            const char *engines, enum imp_isa isa, int threads,
                            size_t *count, enum imp_status *status);

/* Uniform in [-1, 1), from a seed the caller keeps: test data that is the
 * same on every run and platform. */
float imp_test_frand(unsigned *seed);

/* Starts the empty graph g as input "x" (shape xd, NCHW) -> node "conv" of
 * `op` (Conv or ConvTranspose) -> output "y", with weights of shape wd and,
 * when bias, a bias of m values, drawn in that order from
 * imp_test_frand(seed). Returns the node's index; the caller sets its
 * attributes. */
int imp_test_conv_graph(struct imp_graph *g, enum imp_op op, const int64_t *xd,
                        const int64_t *wd, int64_t m, bool bias, unsigned *seed);

#define RUN(fn)                \
    do {                       \
        imp_test_begin(#fn);   \
        fn();                  \
        imp_test_end();        \
    } while (0)
#define CHECK(cond) imp_test_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_NEAR(got, want, rel) \
    imp_test_near((got), (want), (rel), 0.0, #got, __FILE__, __LINE__)
#define CHECK_STATUS(expr, want)                                             \
    imp_test_check((expr) == (want), #expr " == " #want, __FILE__, __LINE__)

#endif
