#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int passed, failed, current_failures;
static const char *current;

void imp_test_begin(const char *name)
{
    current = name;
    current_failures = 0;
}

void imp_test_end(void)
{
    if (current_failures) {
        failed++;
        printf("FAIL %s\n", current);
    } else {
        passed++;
        printf("ok   %s\n", current);
    }
    fflush(stdout);
}

bool imp_test_check(bool ok, const char *what, const char *file, int line)
{
    if (!ok) {
        current_failures++;
        printf("  %s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

bool imp_test_near(double got, double want, double rel, double abs_tol,
                   const char *what, const char *file, int line)
{
    double diff = fabs(got - want);
    bool ok = diff <= abs_tol || diff <= rel * fabs(want);
    if (!ok) {
        current_failures++;
        printf("  %s:%d: %s = %.9g, want %.9g (rel tol %g)\n", file, line, what,
               got, want, rel);
    }
    return ok;
}

int imp_test_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

void imp_test_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    printf("0 passed, 0 failed, 1 skipped\n");
    exit(IMP_TEST_SKIP);
}

const char *imp_test_shared(const char *relative, char *buf, size_t size)
{
#ifdef IMP_SHARED_DIR
    snprintf(buf, size, "%s/%s", IMP_SHARED_DIR, relative);
#else
    snprintf(buf, size, "../shared/%s", relative);
#endif
    struct stat st;
    if (stat(buf, &st) != 0) {
        printf("note: %s is absent\n", buf);
        return NULL;
    }
    return buf;
}

double imp_test_max_rel_error(const float *a, const float *b, size_t n,
                              double floor)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double denom = fabs(b[i]) > floor ? fabs(b[i]) : floor;
        double e = fabs((double)a[i] - b[i]) / denom;
        if (!(e <= worst)) /* NaN counts as worst */
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

float *imp_test_run_once(struct imp_model *m, const struct imp_predictor_options *o,
                         const float *x, size_t x_bytes, size_t *count,
                         enum imp_status *status)
{
    struct imp_predictor *p;
    *status = imp_predictor_init(m, o, &p, NULL);
    if (*status != IMP_OK)
        return NULL;
    float *out = NULL;
    struct imp_tensor_info info;
    const float *y;
    *status = imp_predictor_set_input(p, 0, x, x_bytes);
    if (*status == IMP_OK)
        *status = imp_predictor_run(p);
    if (*status == IMP_OK)
        *status = imp_predictor_output(p, 0, &info, (const void **)&y);
    if (*status == IMP_OK) {
        *count = 1;
        for (int i = 0; i < info.rank; i++)
            *count *= (size_t)info.dims[i];
        out = malloc(sizeof(float) * (*count ? *count : 1));
        if (out)
            memcpy(out, y, sizeof(float) * *count);
        else
            *status = IMP_ERR_NOMEM;
    }
    imp_predictor_free(p);
    return out;
}

float *imp_test_run_engines(struct imp_model *m, const float *x, size_t x_floats,
                            const char *engines, enum imp_isa isa, int threads,
                            size_t *count, enum imp_status *status)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.max_isa = isa;
    o.threads = threads;
    enum imp_status st;
    return imp_test_run_once(m, &o, x, sizeof(float) * x_floats, count, status ? status : &st);
}

float imp_test_frand(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

int imp_test_conv_graph(struct imp_graph *g, enum imp_op op, const int64_t *xd,
                        const int64_t *wd, int64_t m, bool bias, unsigned *seed)
{
    struct imp_shape xs = imp_shape_make(4, xd), ws = imp_shape_make(4, wd);
    struct imp_shape bs = imp_shape_make(1, &m);
    size_t wn = (size_t)(wd[0] * wd[1] * wd[2] * wd[3]);
    float *w = malloc(sizeof(float) * wn), *b = malloc(sizeof(float) * (size_t)m);
    if (!w || !b) {
        free(w);
        free(b);
        return -1;
    }
    for (size_t i = 0; i < wn; i++)
        w[i] = imp_test_frand(seed);
    for (int64_t i = 0; bias && i < m; i++)
        b[i] = imp_test_frand(seed);
    int in[3];
    in[0] = imp_graph_add_value(g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    in[1] = imp_graph_add_const(g, "w", IMP_DTYPE_F32, &ws, w);
    if (bias)
        in[2] = imp_graph_add_const(g, "b", IMP_DTYPE_F32, &bs, b);
    int y = imp_graph_add_value(g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
    int node = imp_graph_add_node(g, op, "conv", bias ? 3 : 2, in, 1, &y);
    imp_graph_add_input(g, in[0]);
    imp_graph_add_output(g, y);
    free(w);
    free(b);
    return node;
}
