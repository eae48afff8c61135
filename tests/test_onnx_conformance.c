/*
 * ONNX's own backend node tests (Debian's libonnx-testdata) as one test.
 *
 * Every case directory there holds a tiny model.onnx and test_data_set_*
 * folders of input_*.pb / output_*.pb TensorProtos. A case is applicable
 * when every node's operator is in ops.def (default domain). Each
 * applicable case is loaded, fed and run; its outputs are compared the way
 * ONNX's backend test compares them (rtol 1e-3, atol 1e-7 for floats,
 * exact for integers and bools, NaN equal to NaN), but fp16 outputs must
 * match exactly: they are rounded to half precision, not near it.
 *
 * A case ends as one of
 *   passed   every output of every data set matches;
 *   refused  impasto said it cannot run it (a status and a message);
 *   failed   a wrong answer (a wrong shape, a wrong number).
 * The test fails on any wrong answer, and on a refusal that is not in
 * tests/data/conformance_refused.txt: that list may only shrink. A listed
 * case that now passes is reported so the list gets trimmed.
 *
 * Each passing case with more than one input runs again with every input
 * but the first made a constant, once per engine of each operator in it
 * (ONNX feeds weights as inputs, which only "ref" engines take), so the
 * fast engines meet ONNX's geometries too.
 *
 * Usage: test_onnx_conformance [SUBSTRING]   only cases whose name has it
 * IMP_ONNX_NODE_TESTS=dir overrides where the cases are; IMP_CONFORMANCE_
 * VERBOSE=1 prints every case (and forced engine) before it runs.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "core/dtype.h"
#include "formats/formats.h"
#include "formats/onnx_priv.h"
#include "formats/pb.h"
#include "ops/op.h"
#include "runtime/model.h"

#define DEFAULT_DIR "/usr/share/libonnx-testdata/data/node"
#define REFUSED_LIST IMP_SOURCE_DIR "/tests/data/conformance_refused.txt"
#define MAX_IO 16
#define MAX_CASES 4096

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* dir + "/" + name; an over-long path is cut short and then simply not
 * found. */
static void join_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/", dir);
    if (n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "%s", name);
}

/* dir + "/" + pattern with the number k in it. */
static void join_numbered(char *out, size_t size, const char *dir, const char *pattern,
                          int k)
{
    char name[64];
    snprintf(name, sizeof name, pattern, k);
    join_path(out, size, dir, name);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- which operators a model uses ------------------------------------- */

/* True when every node of the model's graph is a default-domain operator
 * that ops.def lists; *unknown names the first that is not. */
static bool model_applicable(const uint8_t *buf, size_t size, char *unknown,
                             size_t unknown_size)
{
    struct imp_error err;
    struct imp_pb pb, graph, node;
    struct imp_pb_field f, gf, nf;
    imp_pb_init(&pb, buf, size, &err);
    bool saw_graph = false;
    snprintf(unknown, unknown_size, "(unreadable)");
    while (imp_pb_next(&pb, &f)) {
        if (f.number != 7 || f.wire != IMP_PB_LEN)
            continue;
        saw_graph = true;
        if (imp_pb_enter(&pb, &f, &graph) != IMP_OK)
            return false;
        while (imp_pb_next(&graph, &gf)) {
            if (gf.number != 1 || gf.wire != IMP_PB_LEN)
                continue;
            if (imp_pb_enter(&graph, &gf, &node) != IMP_OK)
                return false;
            struct imp_pb_bytes op = {0}, domain = {0};
            while (imp_pb_next(&node, &nf)) {
                if (nf.number == 4)
                    imp_pb_bytes(&node, &nf, &op);
                else if (nf.number == 7)
                    imp_pb_bytes(&node, &nf, &domain);
            }
            char name[128];
            int len = op.n < sizeof name ? (int)op.n : (int)sizeof name - 1;
            memcpy(name, op.p ? (const char *)op.p : "", (size_t)len);
            name[len] = '\0';
            bool default_domain =
                domain.n == 0 || (domain.n == 7 && memcmp(domain.p, "ai.onnx", 7) == 0);
            if (!default_domain || imp_op_from_name(name) == IMP_OP_COUNT) {
                snprintf(unknown, unknown_size, "%s", name);
                return false;
            }
        }
        if (graph.status != IMP_OK)
            return false;
    }
    return saw_graph && pb.status == IMP_OK;
}

/* ---- TensorProto files -------------------------------------------------- */

/* A .pb file is one bare TensorProto: wrap it as field 1 of a message so
 * the model reader's tensor decoder can take it. */
static bool read_tensor_file(const char *path, struct imp_onnx_tensor *t, char *why,
                             size_t why_size)
{
    size_t size;
    uint8_t *raw = read_all(path, &size);
    if (!raw) {
        snprintf(why, why_size, "cannot read %s", path);
        return false;
    }
    uint8_t *wrapped = malloc(size + 11);
    if (!wrapped) {
        free(raw);
        snprintf(why, why_size, "out of memory");
        return false;
    }
    size_t n = 0;
    wrapped[n++] = 0x0a; /* field 1, length-delimited */
    for (uint64_t v = size;; v >>= 7) {
        wrapped[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    memcpy(wrapped + n, raw, size);
    free(raw);
    struct imp_error err = {0};
    struct imp_pb pb;
    struct imp_pb_field f;
    imp_pb_init(&pb, wrapped, n + size, &err);
    bool ok = imp_pb_next(&pb, &f) && imp_onnx_read_tensor(&pb, &f, t) == IMP_OK;
    if (!ok)
        snprintf(why, why_size, "%s: %s", path, err.message);
    free(wrapped);
    return ok;
}

static bool dtype_is_float(enum imp_dtype t)
{
    return t == IMP_DTYPE_F32 || t == IMP_DTYPE_F16 || t == IMP_DTYPE_F64;
}

static double element(enum imp_dtype t, const void *data, size_t i)
{
    if (t == IMP_DTYPE_F16)
        return imp_half_to_float(((const uint16_t *)data)[i]);
    return imp_load_f64(t, data, i);
}

/* Compares one output; on a mismatch `why` says where. An fp16 output may
 * come back as float32 (the fp16 pass widens fp16 models), holding the
 * fp16 values. */
static bool outputs_match(const struct imp_tensor_info *info, const void *data,
                          const struct imp_onnx_tensor *want, char *why, size_t why_size)
{
    bool want_float = dtype_is_float(want->dtype);
    bool same_kind = dtype_is_float(info->dtype) == want_float ||
                     (want->dtype == IMP_DTYPE_BOOL && info->dtype == IMP_DTYPE_BOOL);
    if (!same_kind || (!want_float && info->dtype != want->dtype)) {
        snprintf(why, why_size, "output '%s' is %s, expected %s", info->name,
                 imp_dtype_name(info->dtype), imp_dtype_name(want->dtype));
        return false;
    }
    bool shape_ok = info->rank == want->shape.rank;
    for (int d = 0; shape_ok && d < info->rank; d++)
        shape_ok = info->dims[d] == want->shape.d[d];
    if (!shape_ok) {
        struct imp_shape got = {.rank = info->rank};
        memcpy(got.d, info->dims, sizeof got.d);
        char a[96], b[96];
        snprintf(why, why_size, "output '%s' has shape %s, expected %s", info->name,
                 imp_shape_str(&got, a, sizeof a), imp_shape_str(&want->shape, b, sizeof b));
        return false;
    }
    int64_t count = imp_shape_count(&want->shape);
    for (int64_t i = 0; i < count; i++) {
        double g = element(info->dtype, data, (size_t)i);
        double w = element(want->dtype, want->data, (size_t)i);
        bool ok;
        if (!want_float)
            ok = g == w;
        else if (want->dtype == IMP_DTYPE_F16 && !isnan(w))
            ok = g == w; /* rounded to half precision, as the model says */
        else if (isnan(w) || isnan(g))
            ok = isnan(w) && isnan(g);
        else if (isinf(w) || isinf(g))
            ok = g == w;
        else
            ok = fabs(g - w) <= 1e-7 + 1e-3 * fabs(w);
        if (!ok) {
            snprintf(why, why_size, "output '%s'[%lld] = %.9g, expected %.9g", info->name,
                     (long long)i, g, w);
            return false;
        }
    }
    return true;
}

/* ---- one case ----------------------------------------------------------- */

enum outcome { PASSED, REFUSED, FAILED };

/* Forced-engine runs of cases with their weights as constants. */
static int constant_runs;

static enum outcome refuse(char *why, size_t why_size, const char *what,
                           enum imp_status st, const char *msg)
{
    snprintf(why, why_size, "%s: %s: %s", what, imp_status_name(st), msg);
    return REFUSED;
}

/* The outputs of data set `set_dir` against predictor p's. */
static enum outcome compare_outputs(struct imp_model *m, struct imp_predictor *p,
                                    const char *set_dir, char *why, size_t why_size)
{
    char path[1024];
    enum outcome result = PASSED;
    for (int k = 0; k < MAX_IO && result == PASSED; k++) {
        join_numbered(path, sizeof path, set_dir, "output_%d.pb", k);
        if (!file_exists(path))
            break;
        struct imp_onnx_tensor want;
        if (!read_tensor_file(path, &want, why, why_size))
            return FAILED;
        int index = want.name ? imp_model_find_output(m, want.name) : -1;
        if (index < 0)
            index = k;
        struct imp_tensor_info info;
        const void *data = NULL;
        enum imp_status st = IMP_OK;
        if (index >= imp_model_output_count(m)) {
            snprintf(why, why_size, "output %d is missing", k);
            result = FAILED;
        } else if ((st = imp_predictor_output(p, index, &info, &data)) != IMP_OK)
            result = refuse(why, why_size, "output", st, imp_predictor_last_error(p));
        else if (!outputs_match(&info, data, &want, why, why_size))
            result = FAILED;
        imp_onnx_tensor_release(&want);
    }
    return result;
}

/* Runs one data set through p; REFUSED or FAILED with `why`. */
static enum outcome run_data_set(struct imp_model *m, struct imp_predictor *p,
                                 const char *set_dir, char *why, size_t why_size)
{
    char path[1024];
    int n_in = imp_model_input_count(m);
    enum outcome result = PASSED;
    for (int k = 0; k < MAX_IO; k++) {
        join_numbered(path, sizeof path, set_dir, "input_%d.pb", k);
        if (!file_exists(path))
            break;
        struct imp_onnx_tensor t;
        if (!read_tensor_file(path, &t, why, why_size))
            return FAILED;
        int index = t.name ? imp_model_find_input(m, t.name) : -1;
        if (index < 0)
            index = k;
        enum imp_status st = IMP_OK;
        struct imp_tensor_info info;
        if (index >= n_in) {
            /* The model has fewer inputs than the data set: the reader
             * turned an input into a constant, which is an error. */
            snprintf(why, why_size, "input %d ('%s') is not a model input", k,
                     t.name ? t.name : "");
            result = FAILED;
        } else if ((st = imp_model_input_info(m, index, &info)) != IMP_OK ||
                   info.dtype != t.dtype) {
            snprintf(why, why_size, "input '%s' is %s, the data set gives %s",
                     info.name, imp_dtype_name(info.dtype), imp_dtype_name(t.dtype));
            result = REFUSED;
        } else if ((st = imp_predictor_resize_input(p, index, t.shape.rank, t.shape.d)) !=
                       IMP_OK ||
                   (st = imp_predictor_set_input(p, index, t.data,
                                                 (size_t)imp_shape_count(&t.shape) *
                                                     imp_dtype_size(t.dtype))) != IMP_OK) {
            result = refuse(why, why_size, "input", st, imp_predictor_last_error(p));
        }
        imp_onnx_tensor_release(&t);
        if (result != PASSED)
            return result;
    }
    enum imp_status st = imp_predictor_run(p);
    if (st != IMP_OK)
        return refuse(why, why_size, "run", st, imp_predictor_last_error(p));
    return compare_outputs(m, p, set_dir, why, why_size);
}

/* The same case with every input but the first made a constant (ONNX's
 * node tests feed weights as inputs, which only "ref" engines take): each
 * engine of each operator in it is forced in turn, so the fast engines
 * meet ONNX's geometries too. An engine may decline; one that runs must
 * match. */
static enum outcome run_with_constants(const char *dir, char *why, size_t why_size)
{
    char path[1024], set_dir[1024];
    join_path(path, sizeof path, dir, "model.onnx");
    join_path(set_dir, sizeof set_dir, dir, "test_data_set_0");
    size_t size;
    uint8_t *bytes = read_all(path, &size);
    struct imp_graph g;
    imp_graph_init(&g);
    struct imp_error err = {0};
    if (!bytes || imp_onnx_read(bytes, size, &g, &err) != IMP_OK || g.n_inputs < 2) {
        free(bytes);
        imp_graph_release(&g);
        return PASSED; /* nothing to turn into constants */
    }
    free(bytes);
    struct imp_onnx_tensor first = {0};
    bool ok = true;
    for (int k = 0; k < g.n_inputs && ok; k++) {
        join_numbered(path, sizeof path, set_dir, "input_%d.pb", k);
        struct imp_onnx_tensor t;
        if (!file_exists(path) || !read_tensor_file(path, &t, why, why_size)) {
            ok = false;
            break;
        }
        struct imp_value *v = &g.values[g.inputs[k]];
        if (t.dtype != v->dtype) {
            ok = false;
        } else if (k == 0) {
            first = t;
            continue;
        } else {
            v->kind = IMP_VALUE_CONST;
            v->shape = t.shape;
            v->data = t.data; /* the graph owns it now */
            v->nbytes = (size_t)imp_shape_count(&t.shape) * imp_dtype_size(t.dtype);
            v->owned = true;
            t.data = NULL;
        }
        imp_onnx_tensor_release(&t);
    }
    if (!ok) {
        imp_onnx_tensor_release(&first);
        imp_graph_release(&g);
        return PASSED; /* a case this mode cannot express */
    }
    g.n_inputs = 1;
    bool present[IMP_OP_COUNT] = {false};
    for (int i = 0; i < g.n_nodes; i++)
        present[g.nodes[i].op] = true;
    struct imp_model *m = NULL;
    enum imp_status st = imp_model_from_graph(&g, &m, &err);
    if (st != IMP_OK) {
        imp_onnx_tensor_release(&first);
        snprintf(why, why_size, "weights as constants: load: %s", err.message);
        return FAILED;
    }
    enum outcome result = PASSED;
    for (int op = 0; op < IMP_OP_COUNT && result == PASSED; op++) {
        const struct imp_engine *const *engines = imp_op_get((enum imp_op)op)->engines;
        if (!present[op] || !engines || !engines[1])
            continue;
        for (int e = 0; engines[e] && result == PASSED; e++) {
            char spec[96];
            snprintf(spec, sizeof spec, "%s=%s", imp_op_name((enum imp_op)op),
                     engines[e]->name);
            struct imp_predictor_options o = imp_predictor_options_default();
            o.threads = 1;
            o.engines = spec;
            struct imp_predictor *p = NULL;
            st = imp_predictor_init(m, &o, &p, &err);
            if (st == IMP_OK)
                st = imp_predictor_resize_input(p, 0, first.shape.rank, first.shape.d);
            if (st == IMP_OK)
                st = imp_predictor_set_input(
                    p, 0, first.data,
                    (size_t)imp_shape_count(&first.shape) * imp_dtype_size(first.dtype));
            if (st == IMP_OK)
                st = imp_predictor_run(p);
            if (st == IMP_OK) {
                result = compare_outputs(m, p, set_dir, why, why_size);
                constant_runs++;
                if (getenv("IMP_CONFORMANCE_VERBOSE"))
                    printf("  with constants: %s\n", spec);
            }
            if (result != PASSED) {
                char inner[512];
                snprintf(inner, sizeof inner, "%s", why);
                snprintf(why, why_size, "weights as constants, %s: %s", spec, inner);
                result = FAILED;
            }
            imp_predictor_free(p);
        }
    }
    imp_onnx_tensor_release(&first);
    imp_model_free(m);
    return result;
}

static enum outcome run_case(const char *dir, char *why, size_t why_size)
{
    char path[1024];
    join_path(path, sizeof path, dir, "model.onnx");
    struct imp_model *m = NULL;
    struct imp_error err = {0};
    enum imp_status st = imp_model_load_file(path, &m, &err);
    if (st != IMP_OK)
        return refuse(why, why_size, "load", st, err.message);
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = 1;
    struct imp_predictor *p = NULL;
    st = imp_predictor_init(m, &o, &p, &err);
    if (st != IMP_OK) {
        imp_model_free(m);
        return refuse(why, why_size, "init", st, err.message);
    }
    enum outcome result = PASSED;
    int sets = 0;
    for (int s = 0; s < 64 && result == PASSED; s++) {
        join_numbered(path, sizeof path, dir, "test_data_set_%d", s);
        if (!file_exists(path))
            break;
        sets++;
        result = run_data_set(m, p, path, why, why_size);
    }
    if (sets == 0 && result == PASSED) {
        snprintf(why, why_size, "no test_data_set_0");
        result = FAILED;
    }
    imp_predictor_free(p);
    imp_model_free(m);
    if (result == PASSED)
        result = run_with_constants(dir, why, why_size);
    return result;
}

/* ---- the list of known refusals ----------------------------------------- */

struct refused_list {
    char **names;
    bool *seen;
    int n;
};

static void load_refused(struct refused_list *l)
{
    memset(l, 0, sizeof *l);
    size_t size;
    char *text = (char *)read_all(REFUSED_LIST, &size);
    if (!text)
        return;
    l->names = calloc(MAX_CASES, sizeof *l->names);
    l->seen = calloc(MAX_CASES, sizeof *l->seen);
    for (size_t i = 0; i < size && l->names && l->seen && l->n < MAX_CASES;) {
        size_t end = i;
        while (end < size && text[end] != '\n')
            end++;
        /* "case_name  reason": the first word, unless a comment line. */
        size_t w = i;
        while (w < end && text[w] != ' ' && text[w] != '\t')
            w++;
        if (w > i && text[i] != '#') {
            l->names[l->n] = malloc(w - i + 1);
            if (l->names[l->n]) {
                memcpy(l->names[l->n], text + i, w - i);
                l->names[l->n][w - i] = '\0';
                l->n++;
            }
        }
        i = end + 1;
    }
    free(text);
}

static int refused_index(const struct refused_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return i;
    return -1;
}

/* Messages name the model file; its folder is the case, printed already. */
static void strip_path(char *why, const char *dir)
{
    size_t n = strlen(dir);
    for (char *p = strstr(why, dir); p; p = strstr(p, dir)) {
        size_t skip = n + (p[n] == '/');
        memmove(p, p + skip, strlen(p + skip) + 1);
    }
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *root = getenv("IMP_ONNX_NODE_TESTS");
    if (!root || !*root)
        root = DEFAULT_DIR;
    const char *filter = argc > 1 ? argv[1] : NULL;
    bool verbose = getenv("IMP_CONFORMANCE_VERBOSE") != NULL;
    DIR *d = opendir(root);
    if (!d) {
        printf("SKIP: ONNX's node tests are not at %s (install Debian's "
               "libonnx-testdata, or set IMP_ONNX_NODE_TESTS)\n", root);
        return IMP_TEST_SKIP;
    }
    char **cases = calloc(MAX_CASES, sizeof *cases);
    int n_cases = 0;
    struct dirent *e;
    while (cases && (e = readdir(d)) && n_cases < MAX_CASES)
        if (strncmp(e->d_name, "test_", 5) == 0)
            cases[n_cases++] = strdup(e->d_name);
    closedir(d);
    if (!cases)
        return 1;
    qsort(cases, (size_t)n_cases, sizeof *cases, compare_names);

    struct refused_list known;
    load_refused(&known);
    int passed = 0, refused = 0, failed = 0, unlisted = 0;
    for (int i = 0; i < n_cases; i++) {
        if (filter && !strstr(cases[i], filter))
            continue;
        char dir[1024], path[1100], unknown[128], why[768];
        join_path(dir, sizeof dir, root, cases[i]);
        join_path(path, sizeof path, dir, "model.onnx");
        size_t size;
        uint8_t *model = read_all(path, &size);
        bool applicable = model && model_applicable(model, size, unknown, sizeof unknown);
        free(model);
        if (!applicable)
            continue;
        if (verbose) {
            printf("case %s\n", cases[i]);
            fflush(stdout);
        }
        why[0] = '\0';
        enum outcome r = run_case(dir, why, sizeof why);
        strip_path(why, dir);
        int listed = refused_index(&known, cases[i]);
        if (listed >= 0)
            known.seen[listed] = true;
        if (r == PASSED) {
            passed++;
            if (listed >= 0)
                printf("now passes (trim it from conformance_refused.txt): %s\n",
                       cases[i]);
        } else if (r == REFUSED) {
            refused++;
            if (listed < 0)
                unlisted++;
            printf("refused%s: %s: %s\n", listed < 0 ? " (NOT LISTED)" : "", cases[i],
                   why);
        } else {
            failed++;
            printf("FAILED: %s: %s\n", cases[i], why);
        }
    }
    int applicable = passed + refused + failed;
    printf("conformance: %d passed, %d refused, %d failed (%d applicable of %d cases in "
           "%s; %.1f%% pass)\n",
           passed, refused, failed, applicable, n_cases, root,
           applicable ? 100.0 * passed / applicable : 0.0);
    printf("weights as constants: %d forced-engine runs of passing cases agreed\n",
           constant_runs);
    if (unlisted)
        printf("%d refusal(s) not in tests/data/conformance_refused.txt: the list may "
               "only shrink\n", unlisted);
    for (int i = 0; i < n_cases; i++)
        free(cases[i]);
    free(cases);
    for (int i = 0; i < known.n; i++)
        free(known.names[i]);
    free(known.names);
    free(known.seen);
    return failed || unlisted ? 1 : 0;
}
