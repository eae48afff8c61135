/* Training end to end without ../shared: a tiny two-style student against
 * a tiny random loss network. The perceptual loss's gradient against
 * finite differences, the loss falling under Adam, results equal for 1
 * and 2 threads, and a run interrupted by a checkpoint and resumed ending
 * with the same bytes as one that never stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "impasto_train.h"

#define B 2
#define S 16

/* conv 3x3 (3 -> 4) relu, maxpool, conv 3x3 (4 -> 6) relu; random weights */
static struct imp_tnet *tiny_loss_net(int *content, int styles[2])
{
    struct imp_tnet *net = imp_tnet_create(3);
    int a = imp_tnet_relu(net, imp_tnet_conv(net, 0, 4, 3, 1, 1, true));
    int p = imp_tnet_maxpool2(net, a);
    int b = imp_tnet_relu(net, imp_tnet_conv(net, p, 6, 3, 1, 1, true));
    imp_tnet_init_params(net, 99);
    /* some bias, so that the Relus do not all open at once */
    float *w = imp_tnet_params(net);
    for (size_t i = 0; i < imp_tnet_param_count(net); i++)
        w[i] += 0.05f * (float)((i * 7) % 5) - 0.1f;
    *content = a;
    styles[0] = a;
    styles[1] = b;
    return net;
}

/* pad, conv 3x3 (3 -> 8), conditional norm, relu, conv 3x3 s2 (8 -> 8), norm, relu,
 * residual (pad, conv, norm) + add, upsample, pad, conv 3x3 (8 -> 3), sigmoid */
static struct imp_tnet *tiny_student(int n_styles)
{
    struct imp_tnet *net = imp_tnet_create(3);
    int v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, 0, 1), 8, 3, 1, 0, true);
    v = imp_tnet_relu(net, imp_tnet_norm(net, v, n_styles));
    v = imp_tnet_conv(net, v, 8, 3, 2, 1, true);
    v = imp_tnet_relu(net, imp_tnet_norm(net, v, n_styles));
    int r = imp_tnet_conv(net, imp_tnet_pad_reflect(net, v, 1), 8, 3, 1, 0, true);
    v = imp_tnet_add(net, v, imp_tnet_norm(net, r, n_styles));
    v = imp_tnet_upsample2(net, v);
    v = imp_tnet_conv(net, imp_tnet_pad_reflect(net, v, 1), 3, 3, 1, 0, true);
    imp_tnet_sigmoid(net, v);
    return net;
}

static void paintings(float *p, int n_styles)
{
    for (int s = 0; s < n_styles; s++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    p[((s * 3 + c) * S + y) * S + x] =
                        0.5f + 0.4f * (float)sin(0.9 * (s + 1) * x + 0.5 * c * y + s);
}

/* A batch of "photos" drawn from the generator: smooth random gradients. */
static void photos(struct imp_rng *rng, float *x)
{
    for (int n = 0; n < B; n++)
        for (int c = 0; c < 3; c++) {
            double a = imp_rng_uniform(rng), b = imp_rng_uniform(rng), o = imp_rng_uniform(rng);
            for (int y = 0; y < S; y++)
                for (int i = 0; i < S; i++)
                    x[((n * 3 + c) * S + y) * S + i] =
                        (float)(0.5 * o + 0.5 * (a * i + b * y) / S);
        }
}

struct trainer {
    struct imp_tnet *student, *loss_net;
    struct imp_ploss *pl;
    struct imp_adam adam;
    struct imp_rng rng;
    int out;
    float x[B * 3 * S * S], grad[B * 3 * S * S];
};

static bool trainer_init(struct trainer *t, int threads, enum imp_isa isa)
{
    memset(t, 0, sizeof *t);
    int content, styles[2];
    t->loss_net = tiny_loss_net(&content, styles);
    t->student = tiny_student(2);
    imp_tnet_init_params(t->student, 5);
    t->out = imp_tnet_value_count(t->student) - 1;
    struct imp_error err = {0};
    struct imp_ploss_options po = {.content_value = content, .style_values = styles,
                                   .n_style_values = 2, .content_weight = 1.0,
                                   .style_weight = 1000.0, .tv_weight = 1e-8};
    struct imp_tnet_plan_options o = {.batch = B, .height = S, .width = S, .threads = threads,
                                      .max_isa = isa, .seeds = &t->out, .n_seeds = 1};
    bool ok = CHECK(imp_ploss_create(t->loss_net, &po, 2, B, S, S, threads, isa, &t->pl,
                                     &err) == IMP_OK) &&
              CHECK(imp_tnet_plan(t->student, &o, &err) == IMP_OK) &&
              CHECK(imp_adam_init(&t->adam, imp_tnet_param_count(t->student), 0.02, &err) ==
                    IMP_OK);
    if (!ok) {
        printf("  %s\n", err.message);
        return false;
    }
    float p[2 * 3 * S * S];
    paintings(p, 2);
    for (int s = 0; s < 2; s++)
        ok &= CHECK(imp_ploss_set_style(t->pl, s, p + s * 3 * S * S, &err) == IMP_OK);
    t->rng.state = 1234;
    return ok;
}

static void trainer_free(struct trainer *t)
{
    imp_ploss_free(t->pl);
    imp_tnet_free(t->loss_net);
    imp_tnet_free(t->student);
    imp_adam_release(&t->adam);
}

/* One Adam step on a fresh batch; returns the loss before the step. */
static double train_step(struct trainer *t)
{
    photos(&t->rng, t->x);
    int style_of[B];
    for (int n = 0; n < B; n++)
        style_of[n] = (int)(imp_rng_next(&t->rng) % 2);
    imp_tnet_set_styles(t->student, style_of, NULL);
    imp_tnet_forward(t->student, t->x, -1);
    struct imp_ploss_value v =
        imp_ploss_eval(t->pl, imp_tnet_value(t->student, t->out), t->x, style_of, t->grad);
    memcpy(imp_tnet_grad(t->student, t->out), t->grad, sizeof t->grad);
    imp_tnet_backward(t->student);
    imp_adam_step(&t->adam, imp_tnet_params(t->student), imp_tnet_param_grads(t->student));
    return v.total;
}

static void test_perceptual_gradient_matches_finite_differences(void)
{
    int content, styles[2];
    struct imp_tnet *net = tiny_loss_net(&content, styles);
    struct imp_ploss *pl = NULL;
    struct imp_error err = {0};
    struct imp_ploss_options po = {.content_value = content, .style_values = styles,
                                   .n_style_values = 2, .content_weight = 1.0,
                                   .style_weight = 600.0, .tv_weight = 1e-7};
    if (!CHECK(imp_ploss_create(net, &po, 2, B, S, S, 1, IMP_ISA_BEST, &pl, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        imp_tnet_free(net);
        return;
    }
    float p[2 * 3 * S * S], gen[B * 3 * S * S], content_img[B * 3 * S * S], grad[B * 3 * S * S],
        g2[B * 3 * S * S];
    paintings(p, 2);
    imp_ploss_set_style(pl, 0, p, &err);
    imp_ploss_set_style(pl, 1, p + 3 * S * S, &err);
    unsigned seed = 3;
    for (int i = 0; i < B * 3 * S * S; i++) {
        gen[i] = 0.5f + 0.4f * imp_test_frand(&seed);
        content_img[i] = 0.5f + 0.4f * imp_test_frand(&seed);
    }
    int style_of[B] = {1, 0};
    struct imp_ploss_value v0 = imp_ploss_eval(pl, gen, content_img, style_of, grad);
    CHECK(v0.content > 0 && v0.style > 0 && v0.tv > 0);
    CHECK_NEAR(v0.total, v0.content + v0.style + v0.tv, 1e-12);
    /* Central differences on the float loss: a step of 1e-2 keeps the
     * rounding noise below a percent of these gradients. A pixel whose
     * differences at h and h/2 disagree sits near a kink (a Relu or a max
     * switching) and is skipped; most pixels are smooth. */
    int checked = 0;
    for (int t = 0; t < 12; t++) {
        int i = (int)((imp_test_frand(&seed) + 1.0f) * 0.5f * (B * 3 * S * S)) % (B * 3 * S * S);
        float keep = gen[i];
        double fd[2];
        for (int k = 0; k < 2; k++) {
            const float h = k ? 5e-3f : 1e-2f;
            gen[i] = keep + h;
            double lp = imp_ploss_eval(pl, gen, content_img, style_of, g2).total;
            gen[i] = keep - h;
            double lm = imp_ploss_eval(pl, gen, content_img, style_of, g2).total;
            fd[k] = (lp - lm) / (2.0 * h);
        }
        gen[i] = keep;
        if (fabs(fd[0] - fd[1]) > 0.01 * fabs(fd[1]) + 1e-4)
            continue;
        if (!imp_test_near(grad[i], fd[1], 0.02, 1e-4, "d loss / d gen", __FILE__, __LINE__)) {
            printf("  pixel %d: analytic %.6g, finite differences %.6g\n", i, grad[i], fd[1]);
            break;
        }
        checked++;
    }
    printf("  %d smooth pixels checked\n", checked);
    CHECK(checked >= 6);
    imp_ploss_free(pl);
    imp_tnet_free(net);
}

/* An identity style (no painting) is judged by content and TV alone: a
 * batch of identity samples has no style term and the same gradient as a
 * loss whose style weight is 0; a sample of a painted style beside it
 * still gets its style term. */
static void test_identity_style_has_no_style_term(void)
{
    int content, styles[2];
    struct imp_tnet *net = tiny_loss_net(&content, styles);
    struct imp_tnet *net0 = tiny_loss_net(&content, styles);
    struct imp_ploss *pl = NULL, *pl0 = NULL;
    struct imp_error err = {0};
    struct imp_ploss_options po = {.content_value = content, .style_values = styles,
                                   .n_style_values = 2, .content_weight = 1.0,
                                   .style_weight = 600.0, .tv_weight = 1e-7};
    struct imp_ploss_options po0 = po;
    po0.style_weight = 0.0;
    if (!CHECK(imp_ploss_create(net, &po, 2, B, S, S, 1, IMP_ISA_BEST, &pl, &err) == IMP_OK) ||
        !CHECK(imp_ploss_create(net0, &po0, 2, B, S, S, 1, IMP_ISA_BEST, &pl0, &err) ==
               IMP_OK)) {
        printf("  %s\n", err.message);
        goto done;
    }
    float p[2 * 3 * S * S], gen[B * 3 * S * S], content_img[B * 3 * S * S], grad[B * 3 * S * S],
        grad0[B * 3 * S * S];
    paintings(p, 2);
    CHECK(imp_ploss_set_style(pl, 0, p, &err) == IMP_OK);
    CHECK(imp_ploss_set_style(pl, 1, NULL, &err) == IMP_OK); /* identity */
    CHECK(imp_ploss_set_style(pl0, 0, p, &err) == IMP_OK);
    CHECK(imp_ploss_set_style(pl0, 1, p + 3 * S * S, &err) == IMP_OK);
    unsigned seed = 11;
    for (int i = 0; i < B * 3 * S * S; i++) {
        gen[i] = 0.5f + 0.4f * imp_test_frand(&seed);
        content_img[i] = 0.5f + 0.4f * imp_test_frand(&seed);
    }
    int identity_only[B] = {1, 1};
    struct imp_ploss_value v = imp_ploss_eval(pl, gen, content_img, identity_only, grad);
    struct imp_ploss_value v0 = imp_ploss_eval(pl0, gen, content_img, identity_only, grad0);
    printf("  identity batch: content %.4g, style %.4g, tv %.4g\n", v.content, v.style, v.tv);
    CHECK(v.style == 0.0 && v.content > 0 && v.tv > 0);
    CHECK(v.total == v0.total);
    CHECK(memcmp(grad, grad0, sizeof grad) == 0);
    int mixed[B] = {0, 1};
    v = imp_ploss_eval(pl, gen, content_img, mixed, grad);
    printf("  painted + identity: style %.4g\n", v.style);
    CHECK(v.style > 0);
done:
    imp_ploss_free(pl);
    imp_ploss_free(pl0);
    imp_tnet_free(net);
    imp_tnet_free(net0);
}

/* The identity style's pixel term: with weight w, an identity sample pays
 * w * 255^2 * sum (gen - photo)^2 / (pixels of the batch) more, and its
 * gradient grows by the derivative of exactly that; painted samples pay
 * nothing more. */
static void test_identity_pixel_term(void)
{
    int content, styles[2];
    struct imp_tnet *net = tiny_loss_net(&content, styles);
    struct imp_tnet *net0 = tiny_loss_net(&content, styles);
    struct imp_ploss *pl = NULL, *pl0 = NULL;
    struct imp_error err = {0};
    const double w = 40.0;
    struct imp_ploss_options po0 = {.content_value = content, .style_values = styles,
                                    .n_style_values = 2, .content_weight = 1.0,
                                    .style_weight = 600.0, .tv_weight = 1e-7};
    struct imp_ploss_options po = po0;
    po.identity_pixel_weight = w;
    if (!CHECK(imp_ploss_create(net, &po, 2, B, S, S, 1, IMP_ISA_BEST, &pl, &err) == IMP_OK) ||
        !CHECK(imp_ploss_create(net0, &po0, 2, B, S, S, 1, IMP_ISA_BEST, &pl0, &err) ==
               IMP_OK)) {
        printf("  %s\n", err.message);
        goto done;
    }
    enum { N = B * 3 * S * S, PER = 3 * S * S };
    float p[2 * 3 * S * S], gen[N], photo[N], grad[N], grad0[N];
    paintings(p, 2);
    for (int k = 0; k < 2; k++) {
        CHECK(imp_ploss_set_style(k ? pl0 : pl, 0, p, &err) == IMP_OK);
        CHECK(imp_ploss_set_style(k ? pl0 : pl, 1, NULL, &err) == IMP_OK);
    }
    unsigned seed = 17;
    for (int i = 0; i < N; i++) {
        gen[i] = 0.5f + 0.4f * imp_test_frand(&seed);
        photo[i] = 0.5f + 0.4f * imp_test_frand(&seed);
    }
    int mixed[B] = {0, 1}; /* sample 1 is the identity style's */
    struct imp_ploss_value v = imp_ploss_eval(pl, gen, photo, mixed, grad);
    struct imp_ploss_value v0 = imp_ploss_eval(pl0, gen, photo, mixed, grad0);
    const double k = w * 255.0 * 255.0 / N;
    double sum = 0.0;
    for (int i = PER; i < N; i++)
        sum += ((double)gen[i] - photo[i]) * ((double)gen[i] - photo[i]);
    CHECK_NEAR(v.content - v0.content, k * sum, 1e-9);
    CHECK(v.style == v0.style && v.tv == v0.tv);
    CHECK(memcmp(grad, grad0, sizeof(float) * PER) == 0); /* the painted sample */
    double worst = 0.0;
    for (int i = PER; i < N; i++) {
        const double want = grad0[i] + 2.0 * k * ((double)gen[i] - photo[i]);
        worst = fmax(worst, fabs(grad[i] - want) / (fabs(want) + 1e-3));
    }
    if (!CHECK(worst < 1e-5))
        printf("  worst relative gradient error %.3g\n", worst);
done:
    imp_ploss_free(pl);
    imp_ploss_free(pl0);
    imp_tnet_free(net);
    imp_tnet_free(net0);
}

static void test_loss_falls(void)
{
    struct trainer t;
    if (!trainer_init(&t, 2, IMP_ISA_BEST)) {
        trainer_free(&t);
        return;
    }
    double first = 0.0, last = 0.0;
    for (int s = 0; s < 60; s++) {
        double l = train_step(&t);
        if (s < 5)
            first += l / 5;
        if (s >= 55)
            last += l / 5;
    }
    printf("  loss: first 5 steps %.4g, last 5 %.4g\n", first, last);
    CHECK(isfinite(last) && last < 0.6 * first);
    trainer_free(&t);
}

static void test_one_and_two_threads_agree(void)
{
    struct trainer a, b;
    bool ok = trainer_init(&a, 1, IMP_ISA_BEST) && trainer_init(&b, 2, IMP_ISA_BEST);
    if (ok) {
        for (int s = 0; s < 3; s++) {
            double la = train_step(&a), lb = train_step(&b);
            CHECK(la == lb);
        }
        CHECK(memcmp(imp_tnet_params(a.student), imp_tnet_params(b.student),
                     sizeof(float) * imp_tnet_param_count(a.student)) == 0);
    }
    trainer_free(&a);
    trainer_free(&b);
}

static void test_resume_is_bit_identical(void)
{
    char path[] = "/tmp/impasto-ckpt-XXXXXX";
    int fd = mkstemp(path);
    if (!CHECK(fd >= 0))
        return;
    close(fd);
    struct imp_error err = {0};
    /* uninterrupted: 8 steps */
    struct trainer a;
    if (!trainer_init(&a, 2, IMP_ISA_BEST)) {
        trainer_free(&a);
        return;
    }
    for (int s = 0; s < 8; s++)
        train_step(&a);
    /* interrupted after 5 steps, checkpointed, resumed in a new trainer */
    struct trainer b;
    trainer_init(&b, 2, IMP_ISA_BEST);
    for (int s = 0; s < 5; s++)
        train_step(&b);
    struct imp_checkpoint ck = {.n_params = imp_tnet_param_count(b.student),
                                .params = imp_tnet_params(b.student), .adam = &b.adam,
                                .rng = &b.rng, .tag = 42};
    CHECK(imp_checkpoint_save(path, &ck, &err) == IMP_OK);
    trainer_free(&b);
    struct trainer c;
    trainer_init(&c, 2, IMP_ISA_BEST);
    imp_tnet_init_params(c.student, 777); /* to be overwritten */
    struct imp_checkpoint ck2 = {.n_params = imp_tnet_param_count(c.student),
                                 .params = imp_tnet_params(c.student), .adam = &c.adam,
                                 .rng = &c.rng, .tag = 42};
    if (!CHECK(imp_checkpoint_load(path, &ck2, &err) == IMP_OK))
        printf("  %s\n", err.message);
    CHECK(c.adam.step == 5);
    for (int s = 0; s < 3; s++)
        train_step(&c);
    size_t n = imp_tnet_param_count(a.student);
    CHECK(memcmp(imp_tnet_params(a.student), imp_tnet_params(c.student), sizeof(float) * n) == 0);
    CHECK(memcmp(a.adam.m, c.adam.m, sizeof(float) * n) == 0);
    CHECK(memcmp(a.adam.v, c.adam.v, sizeof(float) * n) == 0);
    CHECK(a.rng.state == c.rng.state);

    /* hostile checkpoints: wrong tag, flipped byte, truncated, missing */
    ck2.tag = 43;
    CHECK(imp_checkpoint_load(path, &ck2, &err) == IMP_ERR_ARGUMENT);
    ck2.tag = 42;
    FILE *f = fopen(path, "r+b");
    fseek(f, 100, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(ch ^ 0x10, f);
    fclose(f);
    CHECK(imp_checkpoint_load(path, &ck2, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "checksum") != NULL);
    CHECK(truncate(path, 90) == 0);
    CHECK(imp_checkpoint_load(path, &ck2, &err) == IMP_ERR_FORMAT);
    CHECK(strstr(err.message, "truncated") != NULL);
    unlink(path);
    CHECK(imp_checkpoint_load(path, &ck2, &err) == IMP_ERR_IO);
    /* a folder that does not exist: an error, nothing left behind */
    CHECK(imp_checkpoint_save("/nonexistent-dir/x.ckpt", &ck2, &err) == IMP_ERR_IO);
    trainer_free(&a);
    trainer_free(&c);
}

/* The trained student exported as .imp runs in the runtime with the same
 * numbers as in training (style 1 of 2). */
static void test_export_runs_in_the_runtime(void)
{
    struct trainer t;
    if (!trainer_init(&t, 1, IMP_ISA_BEST)) {
        trainer_free(&t);
        return;
    }
    for (int s = 0; s < 3; s++)
        train_step(&t);
    char path[] = "/tmp/impasto-export-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct imp_error err = {0};
    const float mix[2] = {0.0f, 1.0f};
    if (!CHECK(imp_tnet_export_imp(t.student, mix, path, &err) == IMP_OK)) {
        printf("  %s\n", err.message);
        trainer_free(&t);
        unlink(path);
        return;
    }
    int style_of[B] = {1, 1};
    imp_tnet_set_styles(t.student, style_of, NULL);
    photos(&t.rng, t.x);
    imp_tnet_forward(t.student, t.x, -1);
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    const int64_t dims[4] = {1, 3, S, S};
    const void *out = NULL;
    struct imp_tensor_info info;
    bool ok = CHECK(imp_model_load_file(path, &m, &err) == IMP_OK) &&
              CHECK(imp_predictor_init(m, NULL, &p, &err) == IMP_OK) &&
              CHECK(imp_predictor_resize_input(p, 0, 4, dims) == IMP_OK) &&
              CHECK(imp_predictor_set_input(p, 0, t.x, sizeof(float) * 3 * S * S) == IMP_OK) &&
              CHECK(imp_predictor_run(p) == IMP_OK) &&
              CHECK(imp_predictor_output(p, 0, &info, &out) == IMP_OK);
    if (ok) {
        double e = imp_test_max_rel_error(out, imp_tnet_value(t.student, t.out), 3 * S * S,
                                          1e-3);
        printf("  runtime vs training forward: max rel error %.3g\n", e);
        CHECK(e < 1e-4);
    } else {
        printf("  %s %s\n", err.message, p ? imp_predictor_last_error(p) : "");
    }
    imp_predictor_free(p);
    imp_model_free(m);
    unlink(path);
    trainer_free(&t);
}

int main(void)
{
    RUN(test_perceptual_gradient_matches_finite_differences);
    RUN(test_identity_style_has_no_style_term);
    RUN(test_identity_pixel_term);
    RUN(test_loss_falls);
    RUN(test_one_and_two_threads_agree);
    RUN(test_resume_is_bit_identical);
    RUN(test_export_runs_in_the_runtime);
    return imp_test_finish();
}
