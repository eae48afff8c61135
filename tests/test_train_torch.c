/* Three Adam steps of a tiny two-style student against PyTorch (the
 * fixture tools/make_train_fixture.py wrote in double precision into
 * tests/data/train/): the weights after them within 1e-4, at every ISA
 * cap, with 1 and 2 threads. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "impasto_train.h"
#include "npy.h"

static bool load(const char *name, struct imp_npy *a)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/tests/data/train/%s", IMP_SOURCE_DIR, name);
    if (imp_npy_load(path, a, err, sizeof err) != 0) {
        printf("  %s\n", err);
        return false;
    }
    return CHECK(a->dtype == IMP_DTYPE_F32);
}

/* The fixture's network, layer for layer. */
static struct imp_tnet *fixture_net(int *out)
{
    struct imp_tnet *net = imp_tnet_create(3);
    int v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, 0, 1), 4, 3, 1, 0, false);
    v = imp_tnet_relu(net, imp_tnet_norm(net, v, 2));
    v = imp_tnet_conv(net, v, 6, 3, 2, 1, false);
    v = imp_tnet_relu(net, imp_tnet_norm(net, v, 2));
    int r = imp_tnet_conv(net, v, 6, 3, 1, 1, false);
    v = imp_tnet_add(net, v, imp_tnet_norm(net, r, 2));
    v = imp_tnet_upsample2(net, v);
    v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, v, 1), 3, 3, 1, 0, true);
    *out = imp_tnet_sigmoid(net, v);
    return net;
}

static void test_three_adam_steps_match_pytorch(void)
{
    struct imp_npy x = {0}, t = {0}, p0 = {0}, p3 = {0};
    if (!load("x.npy", &x) || !load("t.npy", &t) || !load("params0.npy", &p0) ||
        !load("params3.npy", &p3))
        goto done;
    const int n = (int)x.dims[0], s = (int)x.dims[2];
    const size_t count = x.count;
    enum imp_isa best = imp_isa_detect();
    for (int isa = IMP_ISA_SCALAR; isa <= (int)best; isa++)
        for (int threads = 1; threads <= 2; threads++) {
            int out;
            struct imp_tnet *net = fixture_net(&out);
            struct imp_error err = {0};
            struct imp_adam adam;
            struct imp_tnet_plan_options o = {.batch = n, .height = s, .width = s,
                                              .threads = threads, .max_isa = (enum imp_isa)isa,
                                              .seeds = &out, .n_seeds = 1};
            const int styles[2] = {1, 0};
            bool ok = CHECK(imp_tnet_param_count(net) == p0.count) &&
                      CHECK(imp_tnet_plan(net, &o, &err) == IMP_OK) &&
                      CHECK(imp_tnet_set_styles(net, styles, &err) == IMP_OK) &&
                      CHECK(imp_adam_init(&adam, p0.count, 0.01, &err) == IMP_OK);
            if (!ok) {
                printf("  %s\n", err.message);
                imp_tnet_free(net);
                goto done;
            }
            memcpy(imp_tnet_params(net), p0.data, sizeof(float) * p0.count);
            for (int step = 0; step < 3; step++) {
                imp_tnet_forward(net, x.data, -1);
                const float *y = imp_tnet_value(net, out), *tt = t.data;
                float *g = imp_tnet_grad(net, out);
                for (size_t i = 0; i < count; i++)
                    g[i] = (float)(2.0 * ((double)y[i] - tt[i]) / (double)count);
                imp_tnet_backward(net);
                imp_adam_step(&adam, imp_tnet_params(net), imp_tnet_param_grads(net));
            }
            const float *got = imp_tnet_params(net), *want = p3.data, *start = p0.data;
            double worst = 0.0, moved = 0.0;
            for (size_t i = 0; i < p3.count; i++) {
                worst = fmax(worst, fabs((double)got[i] - want[i]));
                moved = fmax(moved, fabs((double)want[i] - start[i]));
            }
            if (!CHECK(worst < 1e-4) || threads == 2)
                printf("  isa=%s threads=%d: max |difference| %.3g\n",
                       imp_isa_name((enum imp_isa)isa), threads, worst);
            CHECK(moved > 0.01); /* the steps did move the weights */
            imp_adam_release(&adam);
            imp_tnet_free(net);
        }
done:
    imp_npy_free(&x);
    imp_npy_free(&t);
    imp_npy_free(&p0);
    imp_npy_free(&p3);
}

int main(void)
{
    RUN(test_three_adam_steps_match_pytorch);
    return imp_test_finish();
}
