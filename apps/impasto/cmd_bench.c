/* impasto bench: latency and throughput of a model on random inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

static const char help[] =
    "usage: impasto bench MODEL [--shape NAME=DIMS]... [options]\n"
    "\n"
    "Time a model on random inputs (uniform 0..1, seeded): a few warm-up\n"
    "runs, then timed runs. Prints the median, minimum and maximum latency\n"
    "and the arithmetic rate, 2 x multiply-accumulates / median time.\n"
    "\n"
    "options:\n"
    "      --shape NAME=DIMS time this input shape instead of the default\n"
    "                        (open dims as 1); without NAME=, the first input\n"
    "      --runs N          timed runs (default 10)\n"
    "      --warmup N        untimed runs first (default 2)\n"
    "      --seed N          seed for the random inputs (default 1)\n"
    "      --profile         time every node too: a table by node, slowest\n"
    "                        first, and a summary by operator type\n"
    "      --set-param NAME  before every run, change this weight (its own\n"
    "                        values, scaled by 1 or 1.01 in turn; repeat the\n"
    "                        flag for more): the timings then include\n"
    "                        imp_predictor_set_param, as a live slider does\n"
    "      --json            print one JSON line instead (median_ms, min_ms,\n"
    "                        max_ms, gflops, threads, isa, model, shape, ...)\n" IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto bench selfie_segmentation.tflite\n"
    "  impasto bench candy.onnx --threads 1 --runs 5 --profile\n"
    "  impasto bench model.onnx --shape input=1x3x512x512 --isa avx2 --json\n"
    "  impasto bench model.onnx --engine Conv=ref --runs 3\n"
    "  impasto bench candy.onnx --set-param InstanceNormalization_scale\n";

#define BENCH_MAX_PARAMS 64

struct bench_opts {
    int runs, warmup, seed, profile, json;
    const char *params[BENCH_MAX_PARAMS];
    int n_params;
};

/* Each --set-param weight, twice: as loaded and scaled by 1.01. */
struct live_param {
    const char *name;
    float *values[2];
    size_t count;
};

static void free_live(struct live_param *lp, int n)
{
    for (int i = 0; i < n; i++) {
        free(lp[i].values[0]);
        free(lp[i].values[1]);
    }
}

static int prepare_live(struct imp_cli_session *s, const struct bench_opts *o,
                        struct live_param *lp)
{
    for (int i = 0; i < o->n_params; i++) {
        const float *d;
        size_t count;
        if (imp_model_param(s->model, o->params[i], &d, &count) != IMP_OK) {
            free_live(lp, i);
            return imp_cli_fail(s->path, "--set-param: no float weight named '%s'",
                                o->params[i]);
        }
        lp[i].name = o->params[i];
        lp[i].count = count;
        lp[i].values[0] = malloc(sizeof(float) * (count ? count : 1));
        lp[i].values[1] = malloc(sizeof(float) * (count ? count : 1));
        if (!lp[i].values[0] || !lp[i].values[1]) {
            free_live(lp, i + 1);
            return imp_cli_fail(s->path, "out of memory");
        }
        for (size_t k = 0; k < count; k++) {
            lp[i].values[0][k] = d[k];
            lp[i].values[1][k] = d[k] * 1.01f;
        }
    }
    return 0;
}

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64* */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ull;
}

static int fill_inputs(struct imp_cli_session *s, int seed)
{
    uint64_t state = 0x9e3779b97f4a7c15ull ^ (uint64_t)(unsigned)seed;
    for (int i = 0; i < s->n_inputs; i++) {
        struct imp_tensor_info info;
        imp_model_input_info(s->model, i, &info);
        size_t es = imp_npy_dtype_size(info.dtype);
        if (!es)
            return imp_cli_fail(s->path, "input '%s' has dtype %s, which bench cannot fill",
                                info.name, imp_dtype_name(info.dtype));
        size_t count = 1;
        for (int d = 0; d < s->inputs[i].rank; d++)
            count *= (size_t)s->inputs[i].dims[d];
        float *f = malloc(count * sizeof *f + 1);
        void *data = malloc(count * es + 1);
        int rc = 0;
        if (!f || !data) {
            rc = imp_cli_fail(s->path, "out of memory");
        } else {
            for (size_t k = 0; k < count; k++)
                f[k] = (float)(next_random(&state) >> 40) * (1.0f / 16777216.0f);
            imp_convert_elements(IMP_DTYPE_F32, f, info.dtype, data, count);
            if (imp_predictor_set_input(s->pred, i, data, count * es) != IMP_OK)
                rc = imp_cli_fail(s->path, "%s", imp_predictor_last_error(s->pred));
        }
        free(f);
        free(data);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct node_time {
    struct imp_node_profile p;
    double ms; /* per run */
};

static int by_time(const void *a, const void *b)
{
    double x = ((const struct node_time *)a)->ms, y = ((const struct node_time *)b)->ms;
    return x > y ? -1 : x < y;
}

static double gflops(int64_t macs, double ms)
{
    return ms > 0 ? 2.0 * (double)macs / (ms * 1e6) : 0.0;
}

/* Each node's summed time and run count so far (the warm-up's, to leave
 * out of the averages); NULL when out of memory. */
static struct imp_node_profile *profile_so_far(const struct imp_cli_session *s)
{
    const int n = imp_predictor_node_count(s->pred);
    struct imp_node_profile *base = calloc((size_t)n + 1, sizeof *base);
    for (int i = 0; base && i < n; i++)
        if (imp_predictor_node_profile(s->pred, i, &base[i]) != IMP_OK)
            base[i] = (struct imp_node_profile){0};
    return base;
}

/* Per-node times of the runs since `base` (NULL: all runs), slowest first;
 * NULL when there are none. */
static struct node_time *collect_profile(const struct imp_cli_session *s,
                                         const struct imp_node_profile *base, int *n,
                                         double *total)
{
    *n = imp_predictor_node_count(s->pred);
    *total = 0;
    struct node_time *t = calloc((size_t)*n + 1, sizeof *t);
    if (!t)
        return NULL;
    int k = 0;
    for (int i = 0; i < *n; i++) {
        if (imp_predictor_node_profile(s->pred, i, &t[k].p) != IMP_OK)
            continue;
        if (base) {
            t[k].p.total_ms -= base[i].total_ms;
            t[k].p.runs -= base[i].runs;
        }
        t[k].ms = t[k].p.runs > 0 ? t[k].p.total_ms / t[k].p.runs : 0;
        *total += t[k].ms;
        k++;
    }
    *n = k;
    qsort(t, (size_t)k, sizeof *t, by_time);
    return t;
}

static void print_profile(const struct node_time *t, int n, double total)
{
    printf("\nper node (ms per run, averaged over the timed runs; slowest first):\n");
    printf("  %9s %6s %8s  %-22s %-12s %s\n", "ms", "%", "GFLOP/s", "op", "engine",
           "name");
    for (int i = 0; i < n; i++) {
        char rate[32] = "-";
        if (t[i].p.macs)
            snprintf(rate, sizeof rate, "%.1f", gflops(t[i].p.macs, t[i].ms));
        printf("  %9.3f %6.1f %8s  %-22s %-12s %s\n", t[i].ms,
               total > 0 ? 100.0 * t[i].ms / total : 0.0, rate, t[i].p.op,
               t[i].p.engine ? t[i].p.engine : "?", t[i].p.name ? t[i].p.name : "");
    }
    /* By operator type, slowest first. */
    /* p.runs counts the nodes of each type here. */
    struct node_time *ops = calloc((size_t)n + 1, sizeof *ops);
    if (!ops)
        return;
    int n_ops = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < n_ops && strcmp(ops[k].p.op, t[i].p.op) != 0)
            k++;
        if (k == n_ops) {
            ops[k].p.op = t[i].p.op;
            n_ops++;
        }
        ops[k].ms += t[i].ms;
        ops[k].p.macs += t[i].p.macs;
        ops[k].p.runs++;
    }
    qsort(ops, (size_t)n_ops, sizeof *ops, by_time);
    printf("\nper operator type:\n");
    printf("  %9s %6s %8s  %-22s %s\n", "ms", "%", "GFLOP/s", "op", "nodes");
    for (int k = 0; k < n_ops; k++) {
        char rate[32] = "-";
        if (ops[k].p.macs)
            snprintf(rate, sizeof rate, "%.1f", gflops(ops[k].p.macs, ops[k].ms));
        printf("  %9.3f %6.1f %8s  %-22s %d\n", ops[k].ms,
               total > 0 ? 100.0 * ops[k].ms / total : 0.0, rate, ops[k].p.op,
               ops[k].p.runs);
    }
    printf("  %9.3f  total of the nodes' own times\n", total);
    free(ops);
}

static void print_json(const struct imp_cli_session *s, const char *shapes,
                       const struct bench_opts *o, const double *ms, int64_t macs,
                       double peak, const struct node_time *t, int n_nodes)
{
    double median = o->runs % 2 ? ms[o->runs / 2]
                                : 0.5 * (ms[o->runs / 2 - 1] + ms[o->runs / 2]);
    printf("{\"model\":");
    imp_cli_json_string(s->path);
    printf(",\"format\":");
    imp_cli_json_string(imp_model_source_format(s->model));
    printf(",\"shape\":");
    imp_cli_json_string(shapes);
    printf(",\"threads\":%d,\"isa\":", s->threads);
    imp_cli_json_string(imp_isa_name(s->isa));
    printf(",\"runs\":%d,\"warmup\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
           "\"max_ms\":%.4f,\"macs\":%lld,\"gflops\":%.3f",
           o->runs, o->warmup, median, ms[0], ms[o->runs - 1], (long long)macs,
           gflops(macs, median));
    printf(",\"peak_gflops\":%.1f,\"runs_ms\":[", peak);
    for (int i = 0; i < o->runs; i++)
        printf("%s%.4f", i ? "," : "", ms[i]);
    printf("]");
    if (t) {
        printf(",\"profile\":[");
        for (int i = 0; i < n_nodes; i++) {
            printf("%s{\"op\":", i ? "," : "");
            imp_cli_json_string(t[i].p.op);
            printf(",\"name\":");
            imp_cli_json_string(t[i].p.name ? t[i].p.name : "");
            printf(",\"engine\":");
            imp_cli_json_string(t[i].p.engine ? t[i].p.engine : "");
            printf(",\"ms\":%.5f,\"runs\":%d,\"macs\":%lld}", t[i].ms, t[i].p.runs,
                   (long long)t[i].p.macs);
        }
        printf("]");
    }
    printf("}\n");
}

static int bench(struct imp_cli_session *s, const struct bench_opts *o)
{
    int rc = fill_inputs(s, o->seed);
    if (rc)
        return rc;
    struct imp_plan_stats st;
    enum imp_status status = imp_predictor_plan_stats(s->pred, &st);
    if (status != IMP_OK)
        return imp_cli_pred_fail(s, status);
    struct live_param live[BENCH_MAX_PARAMS];
    if ((rc = prepare_live(s, o, live)) != 0)
        return rc;
    double *ms = malloc(sizeof *ms * (size_t)o->runs);
    if (!ms) {
        free_live(live, o->n_params);
        return imp_cli_fail(s->path, "out of memory");
    }
    struct imp_node_profile *base = NULL;
    for (int r = 0; r < o->warmup + o->runs; r++) {
        /* The warm-up's node times stay out of the profile. */
        if (o->profile && r == o->warmup && o->warmup > 0 && !(base = profile_so_far(s))) {
            free(ms);
            free_live(live, o->n_params);
            return imp_cli_fail(s->path, "out of memory");
        }
        double t0 = imp_cli_now_ms();
        for (int i = 0; i < o->n_params && status == IMP_OK; i++)
            status = imp_predictor_set_param(s->pred, live[i].name, live[i].values[r % 2],
                                             live[i].count);
        if (status == IMP_OK)
            status = imp_predictor_run(s->pred);
        double t1 = imp_cli_now_ms();
        if (status != IMP_OK) {
            free(base);
            free(ms);
            free_live(live, o->n_params);
            return imp_cli_pred_fail(s, status);
        }
        if (r >= o->warmup)
            ms[r - o->warmup] = t1 - t0;
    }
    free_live(live, o->n_params);
    qsort(ms, (size_t)o->runs, sizeof *ms, cmp_double);
    double median = o->runs % 2 ? ms[o->runs / 2]
                                : 0.5 * (ms[o->runs / 2 - 1] + ms[o->runs / 2]);
    char shapes[512];
    imp_cli_format_input_shapes(s, shapes, sizeof shapes);
    int n_nodes = 0;
    double total = 0;
    struct node_time *t = o->profile ? collect_profile(s, base, &n_nodes, &total) : NULL;
    free(base);
    /* The ceiling the GFLOP/s figures are read against. */
    double peak = imp_measure_peak_gflops(s->isa, s->threads);
    if (o->json) {
        print_json(s, shapes, o, ms, st.macs, peak, t, n_nodes);
    } else {
        printf("model    %s (%s)\n", s->path, imp_model_source_format(s->model));
        printf("shape    %s\n", shapes);
        printf("threads  %d, kernels up to %s\n", s->threads, imp_isa_name(s->isa));
        printf("runs     %d timed after %d warm-up\n", o->runs, o->warmup);
        printf("latency  median %.3f ms, min %.3f ms, max %.3f ms\n", median, ms[0],
               ms[o->runs - 1]);
        printf("compute  %.3f GMAC per run, %.1f GFLOP/s at the median\n",
               (double)st.macs * 1e-9, gflops(st.macs, median));
        printf("peak     %.1f GFLOP/s measured FMA peak (%s, %d thread%s): %.0f%% of it\n",
               peak, imp_isa_name(s->isa), s->threads, s->threads == 1 ? "" : "s",
               100.0 * gflops(st.macs, median) / peak);
        if (t)
            print_profile(t, n_nodes, total);
    }
    free(t);
    free(ms);
    return 0;
}

static int bench_main(int argc, char **argv)
{
    enum { OPT_RUNS = 1, OPT_WARMUP, OPT_SEED, OPT_PROFILE, OPT_JSON, OPT_SET_PARAM };
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        {"shape", 0, 1, IMP_CLI_OPT_SHAPE},
        {"runs", 'n', 1, OPT_RUNS},
        {"warmup", 0, 1, OPT_WARMUP},
        {"seed", 0, 1, OPT_SEED},
        {"profile", 0, 0, OPT_PROFILE},
        {"json", 0, 0, OPT_JSON},
        {"set-param", 0, 1, OPT_SET_PARAM},
        {0},
    };
    const char *cmd = "bench";
    struct imp_cli_model_flags flags;
    imp_cli_model_flags_init(&flags);
    struct bench_opts o = {10, 2, 1, 0, 0, {0}, 0};
    const char *path = NULL;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_bench_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        int bad = 0;
        switch (id) {
        case IMP_CLI_ARG_HELP:
            return 0;
        case IMP_CLI_ARG_ERROR:
            return IMP_CLI_EXIT_USAGE;
        case IMP_CLI_ARG_POSITIONAL:
            if (path)
                return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            path = a.value;
            break;
        case OPT_RUNS:
            bad = imp_cli_parse_int(cmd, "--runs", a.value, 1, 1000000, &o.runs);
            break;
        case OPT_WARMUP:
            bad = imp_cli_parse_int(cmd, "--warmup", a.value, 0, 1000000, &o.warmup);
            break;
        case OPT_SEED:
            bad = imp_cli_parse_int(cmd, "--seed", a.value, 0, 2147483647, &o.seed);
            break;
        case OPT_PROFILE:
            o.profile = 1;
            break;
        case OPT_JSON:
            o.json = 1;
            break;
        case OPT_SET_PARAM:
            if (o.n_params == BENCH_MAX_PARAMS)
                return imp_cli_usage(cmd, "at most %d --set-param", BENCH_MAX_PARAMS);
            o.params[o.n_params++] = a.value;
            break;
        default:
            bad = imp_cli_model_flag(&flags, cmd, id, a.value) < 0;
        }
        if (bad)
            return IMP_CLI_EXIT_USAGE;
    }
    if (!path)
        return imp_cli_usage(cmd, "give a MODEL file");
    flags.opt.profile = o.profile;
    struct imp_cli_session s;
    int rc = imp_cli_open(path, &flags, &s);
    if (rc)
        return rc;
    rc = bench(&s, &o);
    imp_cli_close(&s);
    return rc;
}

const struct imp_cli_command imp_cli_bench_command = {
    "bench", "time a model on random inputs (latency, GFLOP/s, per-node profile)",
    help, bench_main};
