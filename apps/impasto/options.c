/* Argument parsing, shared flags, one-line errors and the model session. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int imp_cli_fail(const char *what, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    /* Library and reader messages never end in a newline, but keep the
     * promise of one line even if one did. */
    for (char *c = why; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    fprintf(stderr, "impasto: %s: %s\n", what, why);
    return IMP_CLI_EXIT_FAIL;
}

int imp_cli_usage(const char *cmd, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(stderr, "impasto: %s: %s (see 'impasto %s --help')\n", cmd, why, cmd);
    return IMP_CLI_EXIT_USAGE;
}

/* ---- argument parsing ------------------------------------------------------ */

void imp_cli_args_init(struct imp_cli_args *a, const struct imp_cli_command *cmd,
                       int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    a->next = 1; /* argv[0] is the command */
}

int imp_cli_args_next(struct imp_cli_args *a, const struct imp_cli_option *opts)
{
    const char *cmd = a->cmd->name;
    for (;;) {
        if (a->next >= a->argc)
            return IMP_CLI_ARG_END;
        const char *arg = a->argv[a->next++];
        if (a->options_done || arg[0] != '-' || arg[1] == '\0') {
            a->value = arg;
            return IMP_CLI_ARG_POSITIONAL;
        }
        if (strcmp(arg, "--") == 0) {
            a->options_done = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(a->cmd->help, stdout);
            return IMP_CLI_ARG_HELP;
        }
        const struct imp_cli_option *o = NULL;
        const char *inline_value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (const struct imp_cli_option *k = opts; k->name; k++) {
                if (strlen(k->name) == len && strncmp(k->name, name, len) == 0) {
                    o = k;
                    break;
                }
            }
            if (!o)
                return imp_cli_usage(cmd, "unknown option '--%.*s'", (int)len, name),
                       IMP_CLI_ARG_ERROR;
            if (eq) {
                if (!o->takes_value)
                    return imp_cli_usage(cmd, "option --%s takes no value", o->name),
                           IMP_CLI_ARG_ERROR;
                inline_value = eq + 1;
            }
        } else {
            for (const struct imp_cli_option *k = opts; k->name; k++) {
                if (k->short_name && k->short_name == arg[1]) {
                    o = k;
                    break;
                }
            }
            if (!o)
                return imp_cli_usage(cmd, "unknown option '-%c'", arg[1]),
                       IMP_CLI_ARG_ERROR;
            if (arg[2] != '\0') {
                if (!o->takes_value)
                    return imp_cli_usage(cmd, "unknown option '%s'", arg),
                           IMP_CLI_ARG_ERROR;
                inline_value = arg + 2; /* -t4 */
            }
        }
        if (!o->takes_value) {
            a->value = NULL;
            return o->id;
        }
        if (inline_value) {
            a->value = inline_value;
        } else if (a->next < a->argc) {
            a->value = a->argv[a->next++];
        } else {
            return imp_cli_usage(cmd, "option --%s needs a value", o->name),
                   IMP_CLI_ARG_ERROR;
        }
        return o->id;
    }
}

int imp_cli_parse_int(const char *cmd, const char *flag, const char *text, long lo,
                      long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi) {
        imp_cli_usage(cmd, "%s wants a whole number from %ld to %ld, not '%s'", flag, lo,
                      hi, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A float, or a fraction such as 1/255. */
static int parse_float_text(const char *text, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text)
        return -1;
    if (*end == '/') {
        const char *den_text = end + 1;
        double den = strtod(den_text, &end);
        if (errno || end == den_text || den == 0)
            return -1;
        v /= den;
    }
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = (float)v;
    return 0;
}

int imp_cli_parse_float(const char *cmd, const char *flag, const char *text,
                        float *out)
{
    if (parse_float_text(text, out)) {
        imp_cli_usage(cmd, "%s wants a number (such as 0.5 or 1/255), not '%s'", flag,
                      text);
        return -1;
    }
    return 0;
}

int imp_cli_parse_unit(const char *cmd, const char *flag, const char *text, float *out)
{
    float v;
    if (parse_float_text(text, &v) || !(v >= 0 && v <= 1)) {
        imp_cli_usage(cmd, "%s wants a number from 0 to 1, not '%s'", flag, text);
        return -1;
    }
    *out = v;
    return 0;
}

int imp_cli_parse_blur(const char *cmd, const char *text, float *out)
{
    float v;
    if (parse_float_text(text, &v) || !(v >= 0 && v <= 512)) {
        imp_cli_usage(cmd, "--blur wants a radius from 0 to 512 pixels, not '%s'", text);
        return -1;
    }
    *out = v;
    return 0;
}

int imp_cli_parse_pixel_range(const char *cmd, const char *text, float *out)
{
    float v;
    if (parse_float_text(text, &v) || (v != 1 && v != 255)) {
        imp_cli_usage(cmd, "--range wants 1 or 255, not '%s'", text);
        return -1;
    }
    *out = v;
    return 0;
}

int imp_cli_parse_frame_size(const char *text, int max_side, int *w, int *h)
{
    char *end;
    errno = 0;
    long a = strtol(text, &end, 10);
    if (errno || end == text || a < 8 || a > max_side)
        return -1;
    if (*end == '\0') {
        *w = 0;
        *h = (int)a;
        return 0;
    }
    if (*end != 'x')
        return -1;
    const char *second = end + 1;
    long b = strtol(second, &end, 10);
    if (errno || end == second || *end || b < 8 || b > max_side)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* ---- shared model flags ------------------------------------------------------ */

/* The --engine specs of one command line, joined with commas. */
static char engine_spec[1024];

void imp_cli_model_flags_init(struct imp_cli_model_flags *f)
{
    memset(f, 0, sizeof *f);
    f->opt = imp_predictor_options_default();
    engine_spec[0] = '\0';
}

static int check_engine_spec(const char *cmd, const char *text)
{
    const char *s = text;
    for (;;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq || eq == s || eq == s + len - 1)
            return imp_cli_usage(cmd, "--engine wants OP=ENGINE[,OP=ENGINE...], not '%s'",
                                 text);
        if (!end)
            return 0;
        s = end + 1;
    }
}

int imp_cli_model_flag(struct imp_cli_model_flags *f, const char *cmd, int id,
                       const char *value)
{
    switch (id) {
    case IMP_CLI_OPT_THREADS:
        return imp_cli_parse_int(cmd, "--threads", value, 0, 256, &f->opt.threads) ? -1
                                                                                   : 1;
    case IMP_CLI_OPT_ISA: {
        static const struct {
            const char *name;
            enum imp_isa isa;
        } levels[] = {{"scalar", IMP_ISA_SCALAR},
                      {"avx2", IMP_ISA_AVX2},
                      {"avx512", IMP_ISA_AVX512},
                      {"best", IMP_ISA_BEST}};
        for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
            if (strcmp(value, levels[k].name) == 0) {
                f->opt.max_isa = levels[k].isa;
                return 1;
            }
        }
        imp_cli_usage(cmd, "--isa wants scalar, avx2, avx512 or best, not '%s'", value);
        return -1;
    }
    case IMP_CLI_OPT_ENGINE: {
        if (check_engine_spec(cmd, value))
            return -1;
        size_t used = strlen(engine_spec);
        if (used + 1 + strlen(value) >= sizeof engine_spec) {
            imp_cli_usage(cmd, "--engine: too many overrides");
            return -1;
        }
        snprintf(engine_spec + used, sizeof engine_spec - used, "%s%s", used ? "," : "",
                 value);
        f->opt.engines = engine_spec;
        return 1;
    }
    case IMP_CLI_OPT_AUTOTUNE:
        f->opt.autotune = 1;
        return 1;
    case IMP_CLI_OPT_SHAPE:
        if (f->n_shapes == IMP_CLI_MAX_SHAPES) {
            imp_cli_usage(cmd, "too many --shape flags");
            return -1;
        }
        if (imp_cli_parse_shape(cmd, value, &f->shapes[f->n_shapes]))
            return -1;
        f->n_shapes++;
        return 1;
    default:
        return 0;
    }
}

int imp_cli_parse_shape(const char *cmd, const char *text, struct imp_cli_shape *s)
{
    static char names[IMP_CLI_MAX_SHAPES * 2][256];
    static int n_names;
    memset(s, 0, sizeof *s);
    /* Names may hold almost anything; dims never hold '='. */
    const char *dims = text;
    const char *eq = strrchr(text, '=');
    if (eq) {
        size_t len = (size_t)(eq - text);
        if (len == 0 || len >= sizeof names[0] ||
            n_names == (int)(sizeof names / sizeof names[0])) {
            imp_cli_usage(cmd, "bad --shape '%s'", text);
            return -1;
        }
        memcpy(names[n_names], text, len);
        names[n_names][len] = '\0';
        s->name = names[n_names++];
        dims = eq + 1;
    }
    const char *p = dims;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < 1 || v > (1 << 24) || s->rank == IMP_MAX_RANK ||
            (*end && *end != 'x' && *end != ',') || ((*end == 'x' || *end == ',') &&
                                                     end[1] == '\0')) {
            imp_cli_usage(cmd,
                          "--shape wants NAME=DxDx... with dims from 1 to 16777216, "
                          "such as input=1x3x256x256, not '%s'",
                          text);
            return -1;
        }
        s->dims[s->rank++] = v;
        p = *end ? end + 1 : end;
    }
    if (s->rank == 0) {
        imp_cli_usage(cmd, "--shape '%s' has no dimensions", text);
        return -1;
    }
    return 0;
}

/* ---- the model session ---------------------------------------------------- */

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int imp_cli_fail_message(const char *path, const char *message)
{
    size_t len = strlen(path);
    if (strncmp(message, path, len) == 0 && message[len] == ':' && message[len + 1] == ' ')
        return imp_cli_fail(path, "%s", message + len + 2);
    return imp_cli_fail(path, "%s", message);
}

/* An --engine override for an operator the model lacks does nothing: say
 * so, as it is most likely a misspelt operator name. */
static void warn_unused_engines(const struct imp_cli_session *s, const char *spec)
{
    int n = imp_model_node_count(s->model);
    for (const char *p = spec; p && *p;) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!eq)
            break;
        size_t len = (size_t)(eq - p);
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            const char *op = imp_model_node_op(s->model, i);
            found = op && strlen(op) == len && strncmp(op, p, len) == 0;
        }
        if (!found)
            fprintf(stderr, "impasto: warning: --engine %.*s: the model has no %.*s node\n",
                    (int)len, p, (int)len, p);
        p = end ? end + 1 : NULL;
    }
}

int imp_cli_load(const char *path, struct imp_cli_session *s)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    struct imp_error err;
    if (imp_model_load_file(path, &s->model, &err) != IMP_OK)
        return imp_cli_fail_message(path, err.message);
    return 0;
}

int imp_cli_start(struct imp_cli_session *s, const struct imp_cli_model_flags *f)
{
    const char *path = s->path;
    struct imp_error err;
    struct imp_predictor_options opt = f->opt;
    if (opt.threads <= 0)
        opt.threads = default_threads();
    s->threads = opt.threads;
    enum imp_isa best = imp_isa_detect();
    s->isa = opt.max_isa < best ? opt.max_isa : best;
    if (opt.engines)
        warn_unused_engines(s, opt.engines);
    if (imp_predictor_init(s->model, &opt, &s->pred, &err) != IMP_OK)
        return imp_cli_fail_message(path, err.message);
    /* The predictor starts at the model's default shapes: declared dims
     * with open ones as 1. Track them to report what was run. */
    s->n_inputs = imp_model_input_count(s->model);
    s->inputs = calloc((size_t)s->n_inputs + 1, sizeof *s->inputs);
    if (!s->inputs)
        return imp_cli_fail(path, "out of memory");
    for (int i = 0; i < s->n_inputs; i++) {
        struct imp_tensor_info info;
        if (imp_model_input_info(s->model, i, &info) != IMP_OK)
            continue;
        s->inputs[i].name = info.name;
        s->inputs[i].rank = info.rank;
        for (int d = 0; d < info.rank; d++)
            s->inputs[i].dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
    }
    for (int k = 0; k < f->n_shapes; k++) {
        const struct imp_cli_shape *sh = &f->shapes[k];
        int index = imp_cli_input_index(s, sh->name);
        if (index < 0)
            return IMP_CLI_EXIT_FAIL;
        if (imp_cli_resize_input(s, index, sh->rank, sh->dims) != IMP_OK)
            return imp_cli_fail(path, "--shape: %s", imp_predictor_last_error(s->pred));
    }
    return 0;
}

int imp_cli_open(const char *path, const struct imp_cli_model_flags *f,
                 struct imp_cli_session *s)
{
    int rc = imp_cli_load(path, s);
    if (rc == 0)
        rc = imp_cli_start(s, f);
    if (rc)
        imp_cli_close(s);
    return rc;
}

enum imp_status imp_cli_resize_input(struct imp_cli_session *s, int index, int rank,
                                     const int64_t *dims)
{
    enum imp_status st = imp_predictor_resize_input(s->pred, index, rank, dims);
    if (st == IMP_OK) {
        s->inputs[index].rank = rank;
        memcpy(s->inputs[index].dims, dims, (size_t)rank * sizeof *dims);
    }
    return st;
}

void imp_cli_close(struct imp_cli_session *s)
{
    free(s->inputs);
    s->inputs = NULL;
    s->n_inputs = 0;
    imp_predictor_free(s->pred);
    imp_model_free(s->model);
    s->pred = NULL;
    s->model = NULL;
}

int imp_cli_input_index(const struct imp_cli_session *s, const char *name)
{
    int n = imp_model_input_count(s->model);
    if (n == 0) {
        imp_cli_fail(s->path, "the model has no inputs");
        return -1;
    }
    if (!name)
        return 0;
    int index = imp_model_find_input(s->model, name);
    if (index >= 0)
        return index;
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list; i++) {
        struct imp_tensor_info info;
        if (imp_model_input_info(s->model, i, &info) == IMP_OK)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'",
                                     i ? ", " : "", info.name);
    }
    imp_cli_fail(s->path, "no input named '%s' (inputs: %s)", name, list);
    return -1;
}

int imp_cli_pred_fail(const struct imp_cli_session *s, enum imp_status st)
{
    const char *msg = imp_predictor_last_error(s->pred);
    if (!msg || !*msg)
        msg = imp_status_name(st);
    return imp_cli_fail(s->path, "%s", msg);
}

void imp_cli_format_dims(char *buf, size_t size, int rank, const int64_t *dims,
                         const char *sep)
{
    int bracket = strcmp(sep, "x") != 0;
    size_t used = 0;
    buf[0] = '\0';
    if (bracket)
        used += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < rank && used < size; d++) {
        const char *s = d ? sep : "";
        if (dims[d] < 0)
            used += (size_t)snprintf(buf + used, size - used, "%s?", s);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%lld", s,
                                     (long long)dims[d]);
    }
    if (bracket && used < size)
        snprintf(buf + used, size - used, "]");
}

void imp_cli_format_input_shapes(const struct imp_cli_session *s, char *buf,
                                 size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n_inputs && used < size; i++) {
        char dims[160];
        imp_cli_format_dims(dims, sizeof dims, s->inputs[i].rank, s->inputs[i].dims,
                            "x");
        used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", i ? " " : "",
                                 s->inputs[i].name, dims);
    }
}

double imp_cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

void imp_cli_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}
