/* impasto info: what a model takes, gives, contains and costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "style_set.h"

static const char help[] =
    "usage: impasto info MODEL [--shape NAME=DIMS]... [options]\n"
    "\n"
    "Describe a model (ONNX, TFLite or .imp): its source format, inputs and\n"
    "outputs (dims the model leaves open show as ?; fixed dims that can be\n"
    "resized all the same, as in a fully convolutional network converted at\n"
    "one size, are named), the operators it uses\n"
    "after load-time optimisation, its parameter count, its metadata (the\n"
    "key/value pairs it carries: long values are cut, control characters\n"
    "escaped), the styles of a multi-style network (name, title, painter;\n"
    "the one it runs unless told otherwise marked *), and, for one input\n"
    "shape, the multiply-accumulates of a run\n"
    "and the activation memory the planner needs against the naive sum.\n"
    "\n"
    "options:\n"
    "      --shape NAME=DIMS report for this input shape instead of the\n"
    "                        default, e.g. data=1x3x512x512; without NAME= it\n"
    "                        is for the first input. The default sets open\n"
    "                        dims to 1, and when the model cannot run at that\n"
    "                        (strided networks: a style network halves its\n"
    "                        picture three times) to the smallest power of two\n"
    "                        it plans at, keeping the first dim (the batch) 1;\n"
    "                        the report says which size it used\n" IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto info selfie_segmentation.tflite\n"
    "  impasto info candy.onnx --shape inputImage=1x3x720x720\n"
    "  impasto info model.onnx --shape 1x3x1080x1920 --engine Conv=ref\n";

/* The model failed to plan with its open dims at 1 (the default): sets
 * every open dim but the first (the batch) to the smallest power of two
 * from 2 to 4096 the model plans at. Returns that size, or 0 (shapes back
 * at the default) when none plans or no dim is open. */
static int plan_open_dims(struct imp_cli_session *s)
{
    struct imp_plan_stats st;
    for (int size = 2; size <= 4096; size *= 2) {
        int open = 0;
        for (int i = 0; i < s->n_inputs; i++) {
            struct imp_tensor_info t;
            if (imp_model_input_info(s->model, i, &t) != IMP_OK)
                continue;
            int64_t dims[IMP_MAX_RANK];
            for (int d = 0; d < t.rank; d++) {
                int free_dim = t.dims[d] < 0 && d > 0;
                dims[d] = free_dim ? size : t.dims[d] < 0 ? 1 : t.dims[d];
                open |= free_dim;
            }
            if (imp_cli_resize_input(s, i, t.rank, dims) != IMP_OK)
                goto restore;
        }
        if (!open)
            break;
        if (imp_predictor_plan_stats(s->pred, &st) == IMP_OK)
            return size;
    }
restore:
    for (int i = 0; i < s->n_inputs; i++) {
        struct imp_tensor_info t;
        int64_t dims[IMP_MAX_RANK];
        if (imp_model_input_info(s->model, i, &t) != IMP_OK)
            continue;
        for (int d = 0; d < t.rank; d++)
            dims[d] = t.dims[d] < 0 ? 1 : t.dims[d];
        imp_cli_resize_input(s, i, t.rank, dims);
    }
    return 0;
}

/* A multi-style network's styles (docs/format.md), or why its style
 * metadata is unusable. */
static void print_styles(const struct imp_model *m)
{
    struct imp_style_set set;
    char why[512];
    if (imp_style_set_read(m, &set, why, sizeof why) != 0) {
        printf("styles      unusable: %s\n", why);
        return;
    }
    if (set.n > 0) {
        int live = imp_style_set_default(&set);
        printf("styles      %d (%d norm weights each)\n", set.n, set.n_params);
        for (int s = 0; s < set.n; s++) {
            char about[1024];
            snprintf(about, sizeof about, "%s%s%s%s",
                     s == set.identity ? "(the photo: what --strength 0 gives)" : "",
                     set.titles[s] ? set.titles[s] : "",
                     set.titles[s] && set.painters[s] ? ", " : "",
                     set.painters[s] ? set.painters[s] : "");
            printf("  %s %s%*s%s\n", s == live ? "*" : " ", set.names[s],
                   about[0] ? (strlen(set.names[s]) < 23 ? 24 - (int)strlen(set.names[s]) : 1) : 0,
                   "", about);
        }
    }
    imp_style_set_free(&set);
}

static void format_count(char *buf, size_t size, int64_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0 && digits[i - 1] != '-')
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void format_bytes(char *buf, size_t size, double bytes)
{
    if (bytes >= 1024.0 * 1024.0)
        snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
    else
        snprintf(buf, size, "%.1f KiB", bytes / 1024.0);
}

struct op_count {
    const char *op;
    int count;
};

static int by_count(const void *a, const void *b)
{
    const struct op_count *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->op, y->op);
}

/* `resizable`: the dims (bits) a fixed-size input may take other sizes in. */
static void print_tensor(const struct imp_tensor_info *t, unsigned resizable)
{
    char dims[160];
    imp_cli_format_dims(dims, sizeof dims, t->rank, t->dims, ", ");
    printf("  %-28s %-4s %s", t->name, imp_dtype_name(t->dtype), dims);
    if (resizable) {
        printf(" (resizable dims:");
        for (int d = 0; d < t->rank; d++)
            if (resizable >> d & 1u)
                printf(" %d", d);
        printf(")");
    }
    printf("\n");
}

/* A metadata value on one line: control bytes escaped, long values cut
 * (at a character boundary) with their full size said. */
static void print_meta_value(const char *v)
{
    enum { SHOW = 120 };
    size_t n = strlen(v), shown = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (shown >= SHOW && (c & 0xc0) != 0x80) {
            printf("... (%zu bytes)", n);
            break;
        }
        if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
        if ((c & 0xc0) != 0x80)
            shown++;
    }
    putchar('\n');
}

static void print_metadata(const struct imp_model *m)
{
    int n = imp_model_metadata_count(m);
    printf("metadata    %d\n", n);
    for (int i = 0; i < n; i++) {
        const char *key, *value;
        if (imp_model_metadata_get(m, i, &key, &value) != IMP_OK)
            continue;
        printf("  %-28s ", key);
        print_meta_value(value);
    }
}

static void print_static(const struct imp_cli_session *s)
{
    const struct imp_model *m = s->model;
    printf("model       %s\n", s->path);
    printf("format      %s\n", imp_model_source_format(m));
    printf("inputs      %d\n", imp_model_input_count(m));
    for (int i = 0; i < imp_model_input_count(m); i++) {
        struct imp_tensor_info t;
        if (imp_model_input_info(m, i, &t) == IMP_OK)
            print_tensor(&t, imp_model_input_resizable(m, i));
    }
    printf("outputs     %d\n", imp_model_output_count(m));
    for (int i = 0; i < imp_model_output_count(m); i++) {
        struct imp_tensor_info t;
        if (imp_model_output_info(m, i, &t) == IMP_OK)
            print_tensor(&t, 0);
    }
    char count[32], bytes[32];
    int64_t params = imp_model_param_count(m);
    format_count(count, sizeof count, params);
    format_bytes(bytes, sizeof bytes, (double)params * 4.0);
    printf("parameters  %s (%s as float32)\n", count, bytes);

    int n = imp_model_node_count(m);
    printf("nodes       %d\n", n);
    struct op_count *ops = calloc((size_t)n + 1, sizeof *ops);
    int n_ops = 0;
    for (int i = 0; ops && i < n; i++) {
        const char *op = imp_model_node_op(m, i);
        if (!op)
            continue;
        int k = 0;
        while (k < n_ops && strcmp(ops[k].op, op) != 0)
            k++;
        if (k == n_ops)
            ops[n_ops++] = (struct op_count){op, 0};
        ops[k].count++;
    }
    if (ops && n_ops) {
        qsort(ops, (size_t)n_ops, sizeof *ops, by_count);
        printf("operators\n");
        for (int k = 0; k < n_ops; k++)
            printf("  %-28s %d\n", ops[k].op, ops[k].count);
    }
    free(ops);
    if (imp_model_metadata_count(m) > 0)
        print_metadata(m);
    print_styles(m);
}

static int info_main(int argc, char **argv)
{
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        {"shape", 0, 1, IMP_CLI_OPT_SHAPE},
        {0},
    };
    const char *cmd = "info";
    struct imp_cli_model_flags flags;
    imp_cli_model_flags_init(&flags);
    const char *path = NULL;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_info_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (id == IMP_CLI_ARG_POSITIONAL) {
            if (path)
                return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            path = a.value;
            continue;
        }
        if (imp_cli_model_flag(&flags, cmd, id, a.value) < 0)
            return IMP_CLI_EXIT_USAGE;
    }
    if (!path)
        return imp_cli_usage(cmd, "give a MODEL file");

    /* What the file holds is worth showing even when it cannot be planned. */
    struct imp_cli_session s;
    int rc = imp_cli_load(path, &s);
    if (rc == 0) {
        print_static(&s);
        fflush(stdout);
        rc = imp_cli_start(&s, &flags);
    }
    if (rc) {
        imp_cli_close(&s);
        return rc;
    }

    struct imp_plan_stats st;
    enum imp_status status = imp_predictor_plan_stats(s.pred, &st);
    char shapes[512], why[512];
    imp_cli_format_input_shapes(&s, shapes, sizeof shapes);
    int open_size = 0;
    if (status != IMP_OK && flags.n_shapes == 0) {
        /* Kept: the retries overwrite the predictor's message. */
        snprintf(why, sizeof why, "%s", imp_predictor_last_error(s.pred));
        open_size = plan_open_dims(&s);
        if (open_size)
            status = imp_predictor_plan_stats(s.pred, &st);
        else
            imp_cli_format_input_shapes(&s, shapes, sizeof shapes);
    } else if (status != IMP_OK) {
        snprintf(why, sizeof why, "%s", imp_predictor_last_error(s.pred));
    }
    if (status != IMP_OK) {
        rc = imp_cli_fail(path, "cannot plan for %s: %s", shapes, why);
        imp_cli_close(&s);
        return rc;
    }
    if (open_size) {
        imp_cli_format_input_shapes(&s, shapes, sizeof shapes);
        printf("for %s (open dims at %d: the smallest power of two the model plans at; it "
               "cannot at 1)\n",
               shapes, open_size);
    } else {
        printf("for %s\n", shapes[0] ? shapes : "no inputs");
    }
    printf("  compute     %.3f GMAC (%.3f GFLOP)\n", (double)st.macs * 1e-9,
           2.0 * (double)st.macs * 1e-9);
    char planned[32], naive[32];
    format_bytes(planned, sizeof planned, (double)st.arena_bytes);
    format_bytes(naive, sizeof naive, (double)st.naive_bytes);
    printf("  activations: %s planned / %s naive (%.0f%%)\n", planned, naive,
           st.naive_bytes ? 100.0 * (double)st.arena_bytes / (double)st.naive_bytes
                          : 100.0);
    printf("  nodes run   %d\n", st.nodes_run);
    for (int i = 0; i < imp_model_output_count(s.model); i++) {
        struct imp_tensor_info t;
        if (imp_predictor_output(s.pred, i, &t, NULL) == IMP_OK) {
            char dims[160];
            imp_cli_format_dims(dims, sizeof dims, t.rank, t.dims, ", ");
            printf("  output      %s %s %s\n", t.name, imp_dtype_name(t.dtype), dims);
        }
    }
    imp_cli_close(&s);
    return 0;
}

const struct imp_cli_command imp_cli_info_command = {
    "info", "describe a model: inputs, outputs, operators, size, cost", help,
    info_main};
