/*
 * Random, often hostile, attributes and shapes for the window operators
 * (Conv, ConvTranspose, MaxPool, AveragePool): loading must either fail
 * with a status and a message or succeed, and a successful model must run
 * to finite outputs. Run under ASan/UBSan this also proves the kernels
 * stay inside their buffers for odd but legal geometry (padding wider
 * than the kernel, output_shape past the full result, dilation beyond the
 * input...).
 */
#include "nn_graph.h"

static unsigned rng_state = 2024u;

static int64_t rnd(int64_t lo, int64_t hi) /* inclusive */
{
    rng_state = rng_state * 1103515245u + 12345u;
    return lo + (int64_t)((rng_state >> 8) % (unsigned)(hi - lo + 1));
}

/* Mostly sensible values, sometimes hostile ones. The huge ones lie
 * beyond what the operators accept, so no case allocates gigabytes. */
static int64_t attr_value(int64_t lo, int64_t hi)
{
    switch (rnd(0, 19)) {
    case 0: return 0;
    case 1: return -rnd(1, 3);
    case 2: return (int64_t)1 << rnd(32, 62);
    default: return rnd(lo, hi);
    }
}

static float fuzz_data[1 << 16];

static void maybe_ints(struct nn_graph *t, const char *name, int want, int64_t lo,
                       int64_t hi)
{
    if (rnd(0, 2) == 0)
        return; /* absent */
    int n = rnd(0, 9) == 0 ? (int)rnd(0, 7) : want;
    int64_t v[8];
    for (int i = 0; i < n; i++)
        v[i] = attr_value(lo, hi);
    nn_ints(t, name, n, v);
}

struct outcome {
    int loaded, failed, ran;
};

static void one_case(enum imp_op op, struct outcome *o)
{
    float *data = fuzz_data;
    const bool conv = op == IMP_OP_CONV || op == IMP_OP_CONV_TRANSPOSE;
    const int nsp = (int)rnd(1, 3);
    int64_t xd[5], wd[5];
    const int64_t group = conv && rnd(0, 2) == 0 ? rnd(1, 4) : 1;
    xd[0] = rnd(1, 2);
    xd[1] = group * rnd(1, 3) + (rnd(0, 15) == 0); /* sometimes not divisible */
    for (int i = 0; i < nsp; i++)
        xd[2 + i] = rnd(1, nsp == 3 ? 5 : 9);
    if (op == IMP_OP_CONV) {
        wd[0] = group * rnd(1, 3);
        wd[1] = xd[1] / group;
    } else {
        wd[0] = xd[1];
        wd[1] = rnd(1, 3);
    }
    for (int i = 0; i < nsp; i++)
        wd[2 + i] = rnd(1, 4);
    if (rnd(0, 15) == 0)
        wd[rnd(0, 1 + nsp)] += 1; /* inconsistent weight */

    struct nn_graph t;
    nn_begin(&t);
    int in[3];
    in[0] = nn_input(&t, "x", 2 + nsp, xd, data);
    int n_in = 1;
    if (conv) {
        in[1] = nn_const(&t, "w", 2 + nsp, wd, data);
        n_in = 2;
        if (rnd(0, 1)) {
            int64_t bd[1] = {op == IMP_OP_CONV ? wd[0] : wd[1] * group};
            in[2] = nn_const(&t, "b", 1, bd, data);
            n_in = 3;
        }
    }
    nn_node(&t, op, n_in, in);
    if (group != 1 || rnd(0, 9) == 0)
        nn_int(&t, "group", rnd(0, 9) == 0 ? attr_value(1, 4) : group);
    if (!conv || rnd(0, 3) == 0) {
        int64_t ks[3];
        for (int i = 0; i < nsp; i++)
            ks[i] = rnd(0, 4) == 0 ? attr_value(1, 4) : (conv ? wd[2 + i] : rnd(1, 4));
        if (rnd(0, 9) != 0)
            nn_ints(&t, "kernel_shape", nsp, ks);
    }
    maybe_ints(&t, "strides", nsp, 1, 3);
    maybe_ints(&t, "dilations", nsp, 1, 3);
    maybe_ints(&t, "pads", 2 * nsp, 0, 4);
    static const char *const pads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID",
                                       "BOGUS", ""};
    if (rnd(0, 2) == 0)
        nn_string(&t, "auto_pad", pads[rnd(0, 5)]);
    if (op == IMP_OP_CONV_TRANSPOSE) {
        maybe_ints(&t, "output_padding", nsp, 0, 2);
        if (rnd(0, 2) == 0) {
            int64_t os[5];
            int full = (int)rnd(0, 3) == 0;
            for (int i = 0; i < nsp + 2 * full; i++)
                os[i] = rnd(0, 9) == 0 ? attr_value(1, 20) : rnd(1, 20);
            nn_ints(&t, "output_shape", nsp + 2 * full, os);
        }
    }
    if (!conv) {
        if (rnd(0, 2) == 0)
            nn_int(&t, "ceil_mode", rnd(0, 5) == 0 ? 7 : rnd(0, 1));
        if (op == IMP_OP_AVERAGE_POOL && rnd(0, 2) == 0)
            nn_int(&t, "count_include_pad", rnd(0, 1));
    }

    float *y = NULL;
    struct imp_shape ys;
    struct imp_error err = {0};
    enum imp_status st = nn_run(&t, (int)rnd(1, 2), &y, &ys, &err);
    if (st != IMP_OK) {
        o->failed++;
        if (getenv("NN_FUZZ_VERBOSE"))
            printf("    %s: %s\n", imp_status_name(st), err.message);
        /* A failure names its reason. */
        if (!CHECK(err.message[0] != '\0'))
            printf("  %s without a message\n", imp_status_name(st));
        return;
    }
    o->loaded++;
    int64_t n = nn_count(ys.rank, ys.d);
    bool finite = true;
    for (int64_t i = 0; i < n; i++)
        finite = finite && isfinite(y[i]);
    /* MaxPool may see only padding where a dilated window skips the input. */
    if (op != IMP_OP_MAX_POOL)
        CHECK(finite);
    o->ran++;
    free(y);
}

static void random_window_ops_load_or_fail_cleanly(void)
{
    static const enum imp_op ops[] = {IMP_OP_CONV, IMP_OP_CONV_TRANSPOSE,
                                      IMP_OP_MAX_POOL, IMP_OP_AVERAGE_POOL};
    unsigned seed = 3;
    nn_fill(fuzz_data, 1 << 16, &seed);
    for (int k = 0; k < 4; k++) {
        struct outcome o = {0};
        for (int i = 0; i < 600; i++)
            one_case(ops[k], &o);
        printf("  %s: %d ran, %d rejected\n", ops[k] == IMP_OP_CONV ? "Conv"
                                              : ops[k] == IMP_OP_CONV_TRANSPOSE
                                                  ? "ConvTranspose"
                                              : ops[k] == IMP_OP_MAX_POOL ? "MaxPool"
                                                                          : "AveragePool",
               o.ran, o.failed);
        /* The generator must exercise both sides. */
        CHECK(o.ran > 50 && o.failed > 50);
    }
}

int main(void)
{
    RUN(random_window_ops_load_or_fail_cleanly);
    return imp_test_finish();
}
