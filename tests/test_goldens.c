/*
 * End-to-end goldens: every model of tests/data/goldens/manifest.txt (tiny
 * PyTorch exports and onnx.helper graphs made by tools/goldens/, whose
 * outputs ONNX Runtime computed) must come out of impasto within 1e-4.
 *
 * Error measure, per output tensor b (ORT) against a (impasto):
 *     max_i |a_i - b_i| / max(|b_i|, 1e-2 * max_j |b_j|, 1e-6)
 * i.e. element-wise relative error, where elements smaller than 1% of the
 * tensor's largest magnitude are judged against that 1% instead: float32
 * sums of O(1) terms are not relatively exact near zero, and ORT itself
 * differs from PyTorch by up to ~7e-6 under this measure on these models
 * (tools/goldens/compare.py). Integer outputs must match exactly.
 *
 * One test per model, named after it, printing its worst error.
 */
#include "harness.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_TOL 1e-4
#define GOLDEN_FLOOR_FRACTION 1e-2
#define MAX_IO 32

static const char *golden_dir = IMP_SOURCE_DIR "/tests/data/goldens";

/* ---- a minimal .npy reader (version 1-3, little-endian, C order) --------- */

struct npy {
    enum imp_dtype dtype;
    int rank;
    int64_t dims[IMP_MAX_RANK];
    size_t count;
    void *data;
};

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *size = (size_t)n;
    }
    return buf;
}

/* Returns NULL on success, else what was wrong. */
static const char *npy_load(const char *path, struct npy *out)
{
    memset(out, 0, sizeof *out);
    size_t size;
    unsigned char *b = (unsigned char *)read_file(path, &size);
    if (!b)
        return "cannot read";
    const char *why = NULL;
    size_t hlen, start;
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        why = "not .npy";
        goto done;
    }
    if (b[6] == 1) {
        hlen = b[8] | (size_t)b[9] << 8;
        start = 10;
    } else if (size >= 12 && (b[6] == 2 || b[6] == 3)) {
        hlen = b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        start = 12;
    } else {
        why = "unknown .npy version";
        goto done;
    }
    if (hlen > size - start || hlen > 4096) {
        why = "header runs past the end";
        goto done;
    }
    char header[4097];
    memcpy(header, b + start, hlen);
    header[hlen] = '\0';
    size_t elem;
    if (strstr(header, "'<f4'")) {
        out->dtype = IMP_DTYPE_F32;
        elem = 4;
    } else if (strstr(header, "'<i8'")) {
        out->dtype = IMP_DTYPE_I64;
        elem = 8;
    } else if (strstr(header, "'<i4'")) {
        out->dtype = IMP_DTYPE_I32;
        elem = 4;
    } else {
        why = "dtype is not <f4, <i8 or <i4";
        goto done;
    }
    if (!strstr(header, "'fortran_order': False")) {
        why = "not C order";
        goto done;
    }
    const char *p = strstr(header, "'shape': (");
    if (!p) {
        why = "no shape";
        goto done;
    }
    p += strlen("'shape': (");
    out->count = 1;
    while (*p && *p != ')') {
        if (isdigit((unsigned char)*p)) {
            if (out->rank == IMP_MAX_RANK) {
                why = "rank too high";
                goto done;
            }
            char *end;
            long long d = strtoll(p, &end, 10);
            if (d < 0 || d > (1 << 24)) {
                why = "bad dim";
                goto done;
            }
            out->dims[out->rank++] = d;
            out->count *= (size_t)d;
            p = end;
        } else {
            p++;
        }
    }
    size_t bytes = out->count * elem;
    if (bytes != size - start - hlen) {
        why = "data size does not match the shape";
        goto done;
    }
    out->data = malloc(bytes ? bytes : 1);
    if (!out->data) {
        why = "out of memory";
        goto done;
    }
    memcpy(out->data, b + start + hlen, bytes);
done:
    free(b);
    return why;
}

/* ---- the manifest --------------------------------------------------------- */

struct io {
    char name[128];
    char file[128];
};

struct golden_case {
    char model[128];
    struct io in[MAX_IO], out[MAX_IO];
    int n_in, n_out;
};

/* Parses "model=F in:N=F ... out:N=F ..."; false on a malformed line. */
static bool parse_line(char *line, struct golden_case *c)
{
    memset(c, 0, sizeof *c);
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r\n", &save); tok;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (strncmp(tok, "model=", 6) == 0) {
            snprintf(c->model, sizeof c->model, "%s", tok + 6);
            continue;
        }
        bool is_in = strncmp(tok, "in:", 3) == 0;
        bool is_out = strncmp(tok, "out:", 4) == 0;
        char *eq = strchr(tok, '=');
        if ((!is_in && !is_out) || !eq)
            return false;
        struct io *io = is_in ? &c->in[c->n_in] : &c->out[c->n_out];
        if ((is_in ? c->n_in : c->n_out) == MAX_IO)
            return false;
        *eq = '\0';
        snprintf(io->name, sizeof io->name, "%s", tok + (is_in ? 3 : 4));
        snprintf(io->file, sizeof io->file, "%s", eq + 1);
        if (is_in)
            c->n_in++;
        else
            c->n_out++;
    }
    return c->model[0] && c->n_out > 0;
}

/* ---- one model ------------------------------------------------------------ */

static double golden_error(const float *a, const float *b, size_t n)
{
    double big = 0;
    for (size_t i = 0; i < n; i++)
        big = fmax(big, fabs((double)b[i]));
    double floor = fmax(GOLDEN_FLOOR_FRACTION * big, 1e-6);
    return imp_test_max_rel_error(a, b, n, floor);
}

static bool same_shape(const struct imp_tensor_info *info, const struct npy *want)
{
    if (info->rank != want->rank)
        return false;
    for (int d = 0; d < want->rank; d++)
        if (info->dims[d] != want->dims[d])
            return false;
    return true;
}

static void print_shape(const char *what, int rank, const int64_t *dims)
{
    printf("%s [", what);
    for (int d = 0; d < rank; d++)
        printf(d ? ",%lld" : "%lld", (long long)dims[d]);
    printf("]");
}

static void run_case(const struct golden_case *c)
{
    char path[512];
    struct imp_error err = {0};
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    struct npy in[MAX_IO] = {{0}};
    snprintf(path, sizeof path, "%s/%s", golden_dir, c->model);
    if (!CHECK(imp_model_load_file(path, &m, &err) == IMP_OK)) {
        printf("  load: %s\n", err.message);
        return;
    }
    if (!CHECK(imp_predictor_init(m, NULL, &p, &err) == IMP_OK)) {
        printf("  init: %s\n", err.message);
        goto out;
    }
    for (int k = 0; k < c->n_in; k++) {
        snprintf(path, sizeof path, "%s/%s", golden_dir, c->in[k].file);
        const char *why = npy_load(path, &in[k]);
        if (!CHECK(why == NULL)) {
            printf("  %s: %s\n", c->in[k].file, why);
            goto out;
        }
        int idx = imp_model_find_input(m, c->in[k].name);
        if (!CHECK(idx >= 0)) {
            printf("  no model input named '%s'\n", c->in[k].name);
            goto out;
        }
        if (!CHECK(imp_predictor_resize_input(p, idx, in[k].rank, in[k].dims) == IMP_OK) ||
            !CHECK(imp_predictor_set_input(p, idx, in[k].data,
                                           in[k].count * imp_dtype_size(in[k].dtype)) ==
                   IMP_OK)) {
            printf("  input '%s': %s\n", c->in[k].name, imp_predictor_last_error(p));
            goto out;
        }
    }
    if (!CHECK(imp_predictor_run(p) == IMP_OK)) {
        printf("  run: %s\n", imp_predictor_last_error(p));
        goto out;
    }
    double worst = 0;
    const char *worst_name = "";
    for (int k = 0; k < c->n_out; k++) {
        struct npy want;
        snprintf(path, sizeof path, "%s/%s", golden_dir, c->out[k].file);
        const char *why = npy_load(path, &want);
        if (!CHECK(why == NULL)) {
            printf("  %s: %s\n", c->out[k].file, why);
            continue;
        }
        int idx = imp_model_find_output(m, c->out[k].name);
        struct imp_tensor_info info;
        const void *data = NULL;
        if (!CHECK(idx >= 0)) {
            printf("  no model output named '%s'\n", c->out[k].name);
        } else if (!CHECK(imp_predictor_output(p, idx, &info, &data) == IMP_OK)) {
            printf("  output '%s': %s\n", c->out[k].name, imp_predictor_last_error(p));
        } else if (!CHECK(info.dtype == want.dtype && same_shape(&info, &want))) {
            printf("  output '%s': %s", c->out[k].name, imp_dtype_name(info.dtype));
            print_shape("", info.rank, info.dims);
            printf(", want %s", imp_dtype_name(want.dtype));
            print_shape("", want.rank, want.dims);
            printf("\n");
        } else if (want.dtype == IMP_DTYPE_F32) {
            double e = golden_error(data, want.data, want.count);
            if (!CHECK(e <= GOLDEN_TOL))
                printf("  output '%s': error %.3g\n", c->out[k].name, e);
            if (!(e <= worst)) {
                worst = isnan(e) ? INFINITY : e;
                worst_name = c->out[k].name;
            }
        } else {
            if (!CHECK(memcmp(data, want.data, want.count * imp_dtype_size(want.dtype)) == 0))
                printf("  output '%s': integers differ\n", c->out[k].name);
        }
        free(want.data);
    }
    printf("  %s: max error %.3g (%s), %d outputs\n", c->model, worst, worst_name, c->n_out);
out:
    for (int k = 0; k < c->n_in; k++)
        free(in[k].data);
    imp_predictor_free(p);
    imp_model_free(m);
}

int main(void)
{
    char path[512];
    size_t size;
    snprintf(path, sizeof path, "%s/manifest.txt", golden_dir);
    char *text = read_file(path, &size);
    imp_test_begin("manifest");
    CHECK(text != NULL);
    imp_test_end();
    if (!text)
        return imp_test_finish();
    int cases = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        struct golden_case *c = malloc(sizeof *c);
        if (!c)
            break;
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", line);
        bool ok = parse_line(copy, c);
        imp_test_begin(ok ? c->model : "manifest line");
        if (CHECK(ok))
            run_case(c);
        imp_test_end();
        free(c);
        cases++;
    }
    free(text);
    imp_test_begin("manifest lists models");
    CHECK(cases >= 30);
    imp_test_end();
    return imp_test_finish();
}
