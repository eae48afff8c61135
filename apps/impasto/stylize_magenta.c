/*
 * impasto stylize --magenta DIR: arbitrary style (Ghiasi et al., Magenta's
 * TFLite pair). The prediction network turns a painting (256x256 RGB 0..1)
 * into a 100-float style vector once; the transfer network paints a photo
 * from that vector. The file fixes its input at 384x384, but the network
 * is fully convolutional (the reader turns its constant x2 resize sizes
 * into scales), so a photo runs at its own size in one pass, padded to a
 * multiple of 4, and in tiles only when it would not fit --max-memory.
 * Strength mixes the painting's vector with the photo's own; several
 * paintings mix their vectors.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy.h"
#include "resample.h"
#include "stylize.h"
#include "stylize_cli.h"

#define STYLE_DIM 100

struct magenta {
    const struct imp_stylize_job *job;
    char predict_path[2048], transfer_path[2048];
    struct imp_model *predict, *transfer;
    float style[STYLE_DIM];
    struct imp_stylizer_options opt;
};

/* The first file in dir whose name starts with prefix and ends in
 * .tflite, preferring one containing `prefer`. */
static int find_model(const char *dir, const char *prefix, const char *prefer, char *out,
                      size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || len < 7 ||
            strcmp(e->d_name + len - 7, ".tflite") != 0)
            continue;
        int preferred = prefer && strstr(e->d_name, prefer);
        if (!found || preferred) {
            snprintf(out, size, "%s/%s", dir, e->d_name);
            found = preferred ? 2 : 1;
        }
        if (found == 2)
            break;
    }
    closedir(d);
    return found ? 0 : -1;
}

/* The style vector of a picture: centre square, 256x256, RGB 0..1. */
static int predict_style(struct imp_predictor *p, const struct imp_image *img,
                         float out[STYLE_DIM], char *why, size_t why_size)
{
    int side = img->width < img->height ? img->width : img->height;
    int x0 = (img->width - side) / 2, y0 = (img->height - side) / 2;
    size_t n = (size_t)side * side * 3;
    float *sq = malloc(n * sizeof *sq), *small = malloc(256 * 256 * 3 * sizeof *small);
    int rc = -1;
    if (!sq || !small) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int c = 0; c < 3; c++)
                sq[((size_t)y * side + x) * 3 + c] =
                    img->pixels[((size_t)(y0 + y) * img->width + x0 + x) * img->channels + c] /
                    255.0f;
    if (imp_resample_f32(sq, side, side, 3, small, 256, 256) != 0) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }
    const void *data;
    struct imp_tensor_info t;
    if (imp_predictor_set_input(p, 0, small, 256 * 256 * 3 * sizeof *small) != IMP_OK ||
        imp_predictor_run(p) != IMP_OK || imp_predictor_output(p, 0, &t, &data) != IMP_OK) {
        snprintf(why, why_size, "style prediction: %s", imp_predictor_last_error(p));
        goto done;
    }
    int64_t count = 1;
    for (int d = 0; d < t.rank; d++)
        count *= t.dims[d];
    if (t.dtype != IMP_DTYPE_F32 || count != STYLE_DIM) {
        snprintf(why, why_size, "the prediction network gives %lld values, not a %d-float "
                                "style vector",
                 (long long)count, STYLE_DIM);
        goto done;
    }
    memcpy(out, data, sizeof(float) * STYLE_DIM);
    rc = 0;
done:
    free(sq);
    free(small);
    return rc;
}

static int new_predictor(const struct imp_model *m, int threads, struct imp_predictor **p,
                         char *why, size_t why_size)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = threads;
    struct imp_error err;
    if (imp_predictor_init(m, &o, p, &err) != IMP_OK) {
        snprintf(why, why_size, "%s", err.message);
        return -1;
    }
    return 0;
}

/* The paintings' vectors, mixed by their weights (P:W, default 1 each). */
static int style_from_paintings(struct magenta *mg)
{
    const struct imp_stylize_job *job = mg->job;
    struct imp_predictor *p;
    char why[1024];
    if (new_predictor(mg->predict, job->model_flags.opt.threads, &p, why, sizeof why) != 0)
        return imp_cli_fail_message(mg->predict_path, why);
    float total = 0;
    memset(mg->style, 0, sizeof mg->style);
    int rc = 0;
    for (int i = 0; rc == 0 && i < job->n_style_images; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s", job->style_images[i]);
        float weight = 1.0f;
        char *colon = strrchr(path, ':');
        struct stat st;
        if (colon && stat(path, &st) != 0) { /* "painting.jpg:0.3" */
            char *end;
            weight = strtof(colon + 1, &end);
            if (*end || !(weight >= 0)) {
                rc = imp_cli_usage("stylize", "--style-image wants PAINTING or PAINTING:W, "
                                              "not '%s'",
                                   path);
                break;
            }
            *colon = '\0';
        }
        struct imp_image img;
        float v[STYLE_DIM];
        if (imp_image_load(path, &img, why, sizeof why) != 0) {
            rc = imp_cli_fail_message(path, why);
            break;
        }
        if (predict_style(p, &img, v, why, sizeof why) != 0)
            rc = imp_cli_fail(mg->predict_path, "%s", why);
        imp_image_free(&img);
        for (int k = 0; rc == 0 && k < STYLE_DIM; k++)
            mg->style[k] += weight * v[k];
        total += weight;
    }
    imp_predictor_free(p);
    if (rc == 0 && total <= 0)
        rc = imp_cli_usage("stylize", "the --style-image weights add up to 0");
    for (int k = 0; rc == 0 && k < STYLE_DIM; k++)
        mg->style[k] /= total;
    if (rc == 0 && job->save_style) {
        int64_t dims[4] = {1, 1, 1, STYLE_DIM};
        if (imp_npy_save_f32(job->save_style, 4, dims, mg->style, why, sizeof why) != 0)
            rc = imp_cli_fail_message(job->save_style, why);
        else
            printf("style    %s (the %d-float style vector; reuse it with "
                   "--style-vector)\n",
                   job->save_style, STYLE_DIM);
    }
    return rc;
}

static int style_from_file(struct magenta *mg)
{
    struct imp_npy a;
    char why[1024];
    const char *path = mg->job->style_vector;
    if (imp_npy_load(path, &a, why, sizeof why) != 0)
        return imp_cli_fail_message(path, why);
    int rc = 0;
    if (a.count != STYLE_DIM)
        rc = imp_cli_fail(path, "holds %zu values, not a %d-float style vector", a.count,
                          STYLE_DIM);
    else if (imp_convert_elements(a.dtype, a.data, IMP_DTYPE_F32, mg->style, STYLE_DIM) != 0)
        rc = imp_cli_fail(path, "not a float array");
    for (int k = 0; rc == 0 && k < STYLE_DIM; k++)
        if (!(mg->style[k] > -1e6f && mg->style[k] < 1e6f))
            rc = imp_cli_fail(path, "value %d is not a finite number", k);
    imp_npy_free(&a);
    return rc;
}

struct magenta_worker {
    struct magenta *mg;
    struct imp_stylizer *s;
    struct imp_predictor *predict; /* for the photo's own vector (strength < 1) */
};

static int magenta_paint(void *ctx, const unsigned char *rgb, int w, int h,
                         unsigned char *out, char *note, size_t note_size, char *why,
                         size_t why_size)
{
    struct magenta_worker *wk = ctx;
    float v[STYLE_DIM];
    memcpy(v, wk->mg->style, sizeof v);
    float s = wk->mg->job->strength;
    if (s < 1.0f) {
        struct imp_image photo = {w, h, 3, (uint8_t *)rgb};
        float own[STYLE_DIM];
        if (predict_style(wk->predict, &photo, own, why, why_size) != 0)
            return -1;
        for (int k = 0; k < STYLE_DIM; k++)
            v[k] = s * v[k] + (1 - s) * own[k];
    }
    struct imp_predictor *p = imp_stylizer_predictor(wk->s);
    if (imp_predictor_set_input(p, 1, v, sizeof v) != IMP_OK) {
        snprintf(why, why_size, "%s", imp_predictor_last_error(p));
        return -1;
    }
    if (imp_stylizer_run(wk->s, rgb, w, h, out, why, why_size) != 0)
        return -1;
    struct imp_stylizer_report r;
    imp_stylizer_last_report(wk->s, &r);
    snprintf(note, note_size, "%dx%d tiles of %dx%d, transfer %.0f ms", r.tiles_x, r.tiles_y,
             r.run_w, r.run_h, r.network_ms);
    return 0;
}

static void *magenta_start(void *shared, int threads, char *why, size_t why_size)
{
    struct magenta *mg = shared;
    struct magenta_worker *wk = calloc(1, sizeof *wk);
    if (!wk) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    wk->mg = mg;
    struct imp_stylizer_options o = mg->opt;
    o.predictor.threads = threads;
    if (imp_stylizer_create(mg->transfer, &o, &wk->s, why, why_size) != 0 ||
        (mg->job->strength < 1.0f &&
         new_predictor(mg->predict, threads, &wk->predict, why, why_size) != 0)) {
        imp_stylizer_free(wk->s);
        free(wk);
        return NULL;
    }
    return wk;
}

static void magenta_stop(void *ctx)
{
    struct magenta_worker *wk = ctx;
    imp_stylizer_free(wk->s);
    imp_predictor_free(wk->predict);
    free(wk);
}

static int load(const char *path, struct imp_model **m)
{
    struct imp_error err;
    if (imp_model_load_file(path, m, &err) != IMP_OK)
        return imp_cli_fail_message(path, err.message);
    return 0;
}

static struct imp_stylizer *magenta_stylizer(void *ctx)
{
    return ((struct magenta_worker *)ctx)->s;
}

static void magenta_close(void *shared)
{
    struct magenta *mg = shared;
    imp_model_free(mg->predict);
    imp_model_free(mg->transfer);
    free(mg);
}

int imp_stylize_magenta_open(struct imp_stylize_job *job, struct imp_frame_effect *out)
{
    memset(out, 0, sizeof *out);
    const char *dir = job->magenta_dir;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return imp_cli_fail(dir, "no such folder (--magenta wants the folder holding "
                                 "style_predict*.tflite and style_transfer*.tflite)");
    struct magenta *mg = calloc(1, sizeof *mg);
    if (!mg)
        return imp_cli_fail("stylize", "out of memory");
    mg->job = job;
    int need_predict = job->n_style_images > 0 || job->strength < 1.0f;
    int rc = 0;
    if (need_predict &&
        find_model(dir, "style_predict", NULL, mg->predict_path, sizeof mg->predict_path))
        rc = imp_cli_fail(dir, "no style_predict*.tflite in this folder");
    if (rc == 0 && find_model(dir, "style_transfer", "f16", mg->transfer_path,
                              sizeof mg->transfer_path))
        rc = imp_cli_fail(dir, "no style_transfer*.tflite in this folder");
    if (rc == 0 && need_predict)
        rc = load(mg->predict_path, &mg->predict);
    if (rc == 0)
        rc = load(mg->transfer_path, &mg->transfer);
    if (rc == 0 && (imp_model_input_count(mg->transfer) != 2))
        rc = imp_cli_fail(mg->transfer_path,
                          "the transfer network should take a photo and a style vector");
    if (rc == 0)
        rc = job->n_style_images ? style_from_paintings(mg) : style_from_file(mg);
    char why[512];
    if (rc == 0) {
        mg->opt = imp_stylizer_options_default();
        if (imp_style_detect(mg->transfer, &mg->opt.convention, why, sizeof why) != 0)
            rc = imp_cli_fail(mg->transfer_path, "%s", why);
        mg->opt.preserve_colors = job->preserve_colors;
        mg->opt.resize_fixed = 1;
        mg->opt.tile = job->tile;
        mg->opt.max_memory = job->max_memory;
        mg->opt.predictor = job->model_flags.opt;
    }
    if (rc) {
        magenta_close(mg);
        return rc;
    }
    *out = (struct imp_frame_effect){.shared = mg, .start = magenta_start,
                                     .apply = magenta_paint, .stop = magenta_stop,
                                     .stylizer = magenta_stylizer, .close = magenta_close,
                                     .label = "magenta"};
    return 0;
}

/* ---- one painting, one thread, in memory (impasto style-score) ---------- */

struct imp_magenta_painter {
    struct imp_model *predict, *transfer;
    struct imp_stylizer *s;
    float style[STYLE_DIM];
};

void imp_magenta_painter_free(struct imp_magenta_painter *mp)
{
    if (!mp)
        return;
    imp_stylizer_free(mp->s);
    imp_model_free(mp->predict);
    imp_model_free(mp->transfer);
    free(mp);
}

static int load_quiet(const char *path, struct imp_model **m, char *why, size_t why_size)
{
    struct imp_error err;
    if (imp_model_load_file(path, m, &err) != IMP_OK) {
        snprintf(why, why_size, "%s", err.message);
        return -1;
    }
    return 0;
}

int imp_magenta_painter_create(const char *dir, const struct imp_image *painting, int threads,
                               struct imp_magenta_painter **out, char *why, size_t why_size)
{
    *out = NULL;
    char predict_path[2048], transfer_path[2048];
    if (find_model(dir, "style_predict", NULL, predict_path, sizeof predict_path) != 0 ||
        find_model(dir, "style_transfer", "f16", transfer_path, sizeof transfer_path) != 0) {
        snprintf(why, why_size, "%s: no style_predict*.tflite and style_transfer*.tflite "
                                "pair in this folder",
                 dir);
        return -1;
    }
    struct imp_magenta_painter *mp = calloc(1, sizeof *mp);
    if (!mp) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    struct imp_predictor *p = NULL;
    struct imp_stylizer_options o = imp_stylizer_options_default();
    o.predictor.threads = threads;
    int rc = load_quiet(predict_path, &mp->predict, why, why_size);
    if (rc == 0)
        rc = load_quiet(transfer_path, &mp->transfer, why, why_size);
    if (rc == 0 && imp_model_input_count(mp->transfer) != 2) {
        snprintf(why, why_size, "%s: the transfer network should take a photo and a style "
                                "vector",
                 transfer_path);
        rc = -1;
    }
    if (rc == 0)
        rc = new_predictor(mp->predict, threads, &p, why, why_size);
    if (rc == 0)
        rc = predict_style(p, painting, mp->style, why, why_size);
    if (rc == 0)
        rc = imp_style_detect(mp->transfer, &o.convention, why, why_size);
    if (rc == 0)
        rc = imp_stylizer_create(mp->transfer, &o, &mp->s, why, why_size);
    imp_predictor_free(p);
    if (rc != 0) {
        imp_magenta_painter_free(mp);
        return -1;
    }
    *out = mp;
    return 0;
}

int imp_magenta_painter_run(struct imp_magenta_painter *mp, const uint8_t *rgb, int w, int h,
                            uint8_t *out, char *why, size_t why_size)
{
    struct imp_predictor *p = imp_stylizer_predictor(mp->s);
    if (imp_predictor_set_input(p, 1, mp->style, sizeof mp->style) != IMP_OK) {
        snprintf(why, why_size, "%s", imp_predictor_last_error(p));
        return -1;
    }
    return imp_stylizer_run(mp->s, rgb, w, h, out, why, why_size);
}
