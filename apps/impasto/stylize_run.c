/* impasto stylize: styles resolved, photos found, workers in parallel. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "resample.h"
#include "style_mix.h"
#include "styles.h"
#include "stylize.h"
#include "stylize_cli.h"
#include "stylize_workers.h"

/* ---- one photo ------------------------------------------------------------ */

static int resize_u8(const uint8_t *src, int w, int h, int c, uint8_t *dst, int dw, int dh)
{
    size_t n = (size_t)w * h * c, dn = (size_t)dw * dh * c;
    float *a = malloc(n * sizeof *a), *b = malloc(dn * sizeof *b);
    int rc = -1;
    if (a && b) {
        for (size_t i = 0; i < n; i++)
            a[i] = src[i];
        rc = imp_resample_f32(a, w, h, c, b, dw, dh);
        for (size_t i = 0; rc == 0 && i < dn; i++)
            dst[i] = (uint8_t)(b[i] < 0 ? 0 : b[i] > 255 ? 255 : b[i] + 0.5f);
    }
    free(a);
    free(b);
    return rc;
}

int imp_stylize_one_file(const struct imp_stylize_job *job, const char *in, const char *out,
                         imp_stylize_paint_fn paint, void *ctx, char *summary,
                         size_t summary_size, char *why, size_t why_size)
{
    struct imp_image img;
    if (imp_image_load_rgba(in, &img, why, why_size) != 0)
        return -1;
    int w = img.width, h = img.height, rc = 0;
    if (job->size > 0) { /* long side to job->size, aspect kept */
        int lw = w >= h ? job->size : (int)((double)w * job->size / h + 0.5);
        int lh = h > w ? job->size : (int)((double)h * job->size / w + 0.5);
        lw = lw < 1 ? 1 : lw;
        lh = lh < 1 ? 1 : lh;
        uint8_t *px = malloc((size_t)lw * lh * img.channels);
        if (!px || resize_u8(img.pixels, w, h, img.channels, px, lw, lh) != 0) {
            free(px);
            imp_image_free(&img);
            snprintf(why, why_size, "%s: out of memory", in);
            return -1;
        }
        free(img.pixels);
        img.pixels = px;
        img.width = w = lw;
        img.height = h = lh;
    }
    size_t n = (size_t)w * h;
    uint8_t *rgb = img.pixels, *painted = malloc(n * 3 + 1);
    if (img.channels == 4) { /* the network sees RGB; alpha waits aside */
        rgb = malloc(n * 3 + 1);
        for (size_t i = 0; rgb && i < n; i++)
            memcpy(rgb + i * 3, img.pixels + i * 4, 3);
    }
    char pwhy[768], note[256] = "";
    if (!rgb || !painted) {
        snprintf(why, why_size, "%s: out of memory", in);
        rc = -1;
    } else if (paint(ctx, rgb, w, h, painted, note, sizeof note, pwhy, sizeof pwhy) != 0) {
        snprintf(why, why_size, "%s: %s", in, pwhy);
        rc = -1;
    }
    if (rc == 0) {
        if (img.channels == 4) {
            for (size_t i = 0; i < n; i++)
                memcpy(img.pixels + i * 4, painted + i * 3, 3);
        } else {
            memcpy(img.pixels, painted, n * 3);
        }
        rc = imp_image_save(out, &img, job->quality, why, why_size);
        if (rc == 0)
            snprintf(summary, summary_size, "%s -> %s (%dx%d%s%s%s)", in, out, w, h,
                     img.channels == 4 ? ", alpha kept" : "", note[0] ? ", " : "", note);
    }
    if (rgb != img.pixels)
        free(rgb);
    free(painted);
    imp_image_free(&img);
    return rc;
}

/* ---- photos in, names out ------------------------------------------------------ */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_picture_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct file_list {
    char **in, **out;
    int n, cap;
};

static int push(struct file_list *l, const char *path)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **in = realloc(l->in, sizeof *in * (size_t)cap);
        if (!in)
            return -1;
        l->in = in;
        l->cap = cap;
    }
    l->in[l->n] = strdup(path);
    return l->in[l->n++] ? 0 : -1;
}

static void free_list(struct file_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->in[i]);
        if (l->out)
            free(l->out[i]);
    }
    free(l->in);
    free(l->out);
}

/* Photos from the arguments (a folder: its PNG and JPEG files, sorted), and
 * where each goes. Returns 0 or an exit code after the message. */
static int collect(const struct imp_stylize_job *job, struct file_list *l)
{
    int folder_in = 0;
    for (int i = 0; i < job->n_inputs; i++) {
        const char *arg = job->inputs[i];
        if (!is_dir(arg)) {
            if (push(l, arg))
                return imp_cli_fail("stylize", "out of memory");
            continue;
        }
        folder_in = 1;
        DIR *d = opendir(arg);
        if (!d)
            return imp_cli_fail(arg, "%s", strerror(errno));
        int first = l->n;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.' || !is_picture_name(e->d_name))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s%s%s", arg,
                     arg[strlen(arg) - 1] == '/' ? "" : "/", e->d_name);
            if (push(l, path)) {
                closedir(d);
                return imp_cli_fail("stylize", "out of memory");
            }
        }
        closedir(d);
        qsort(l->in + first, (size_t)(l->n - first), sizeof *l->in, cmp_str);
        if (l->n == first)
            return imp_cli_fail(arg, "the folder holds no PNG or JPEG pictures");
    }
    const char *o = job->output;
    size_t olen = strlen(o);
    int folder_out = folder_in || l->n > 1 || is_dir(o) || (olen && o[olen - 1] == '/');
    l->out = calloc((size_t)l->n + 1, sizeof *l->out);
    if (!l->out)
        return imp_cli_fail("stylize", "out of memory");
    if (!folder_out) {
        if (imp_image_type_for_path(o) < 0)
            return imp_cli_fail(o, "the output type comes from the extension: .png, .jpg "
                                   "or .jpeg");
        l->out[0] = strdup(o);
        return l->out[0] ? 0 : imp_cli_fail("stylize", "out of memory");
    }
    if (!is_dir(o) && mkdir(o, 0777) != 0)
        return imp_cli_fail(o, "cannot make the output folder: %s", strerror(errno));
    for (int i = 0; i < l->n; i++) {
        const char *slash = strrchr(l->in[i], '/');
        const char *base = slash ? slash + 1 : l->in[i];
        char path[4096];
        snprintf(path, sizeof path, "%s%s%s%s", o, o[olen - 1] == '/' ? "" : "/", base,
                 is_picture_name(base) ? "" : ".png");
        l->out[i] = strdup(path);
        if (!l->out[i])
            return imp_cli_fail("stylize", "out of memory");
        for (int k = 0; k < i; k++)
            if (strcmp(l->out[k], path) == 0)
                return imp_cli_fail(path, "two photos would both be written here");
    }
    return 0;
}

/* ---- style networks ------------------------------------------------------------ */

struct network_job {
    const struct imp_stylize_job *job;
    struct imp_style_choice choice;
    struct imp_stylizer_options opt;
};

static int prepare_networks(const struct imp_stylize_job *job, struct network_job *nj)
{
    const char *names[IMP_STYLIZE_MAX_BLEND];
    float weights[IMP_STYLIZE_MAX_BLEND];
    for (int i = 0; i < job->n_blend; i++) {
        names[i] = job->blend[i].style;
        weights[i] = job->blend[i].weight;
    }
    struct imp_style_request req = {.style = job->style, .blend = job->n_blend ? names : NULL,
                                    .blend_weights = weights, .n_blend = job->n_blend,
                                    .strength = job->strength};
    int rc = imp_styles_choose(&req, &nj->choice);
    if (rc)
        return rc;
    /* How pixels become numbers. */
    struct imp_stylizer_options *o = &nj->opt;
    *o = imp_stylizer_options_default();
    char why[512];
    if (imp_style_detect(nj->choice.models[0], &o->convention, why, sizeof why) != 0)
        return imp_cli_fail(nj->choice.paths[0], "%s", why);
    if (job->convention_given) {
        const struct imp_cli_image_flags *f = &job->image_flags;
        if (f->layout != IMP_CLI_LAYOUT_GUESS)
            o->convention.nhwc = f->layout == IMP_CLI_LAYOUT_NHWC;
        o->convention.bgr = f->bgr;
        o->convention.scale = f->scale;
        memcpy(o->convention.mean, f->mean, sizeof f->mean);
    }
    o->predictor = job->model_flags.opt;
    o->tile = job->tile;
    o->max_memory = job->max_memory;
    o->strength = nj->choice.strength;
    o->preserve_colors = job->preserve_colors;
    return 0;
}

struct network_worker {
    struct network_job *nj;
    struct imp_stylizer *s;
};

static int network_paint(void *ctx, const unsigned char *rgb, int w, int h,
                         unsigned char *out, char *note, size_t note_size, char *why,
                         size_t why_size)
{
    struct network_worker *wk = ctx;
    if (imp_stylizer_run(wk->s, rgb, w, h, out, why, why_size) != 0)
        return -1;
    struct imp_stylizer_report r;
    imp_stylizer_last_report(wk->s, &r);
    if (r.tiles_x * r.tiles_y > 1)
        snprintf(note, note_size, "%dx%d tiles of %dx%d, network %.0f ms", r.tiles_x,
                 r.tiles_y, r.run_w, r.run_h, r.network_ms);
    else
        snprintf(note, note_size, "run at %dx%d, network %.0f ms", r.run_w, r.run_h,
                 r.network_ms);
    return 0;
}

static void *network_start(void *shared, int threads, char *why, size_t why_size)
{
    struct network_job *nj = shared;
    struct network_worker *wk = calloc(1, sizeof *wk);
    if (!wk) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    wk->nj = nj;
    struct imp_stylizer_options o = nj->opt;
    o.predictor.threads = threads;
    if (imp_stylizer_create(nj->choice.models[0], &o, &wk->s, why, why_size) != 0 ||
        imp_styles_apply(&nj->choice, wk->s, why, why_size) != 0) {
        imp_stylizer_free(wk->s);
        free(wk);
        return NULL;
    }
    return wk;
}

static void network_stop(void *ctx)
{
    struct network_worker *wk = ctx;
    if (!wk)
        return;
    imp_stylizer_free(wk->s);
    free(wk);
}

static struct imp_stylizer *network_stylizer(void *ctx)
{
    return ((struct network_worker *)ctx)->s;
}

static int network_set_strength(void *ctx, float strength, char *why, size_t why_size)
{
    struct network_worker *wk = ctx;
    return imp_styles_apply_strength(&wk->nj->choice, wk->s, strength, why, why_size);
}

static void network_close(void *shared)
{
    struct network_job *nj = shared;
    imp_styles_choice_free(&nj->choice);
    free(nj);
}

int imp_stylize_open_style(struct imp_stylize_job *job, struct imp_frame_effect *out)
{
    memset(out, 0, sizeof *out);
    if (imp_stylize_is_magenta(job))
        return imp_stylize_magenta_open(job, out);
    struct network_job *nj = calloc(1, sizeof *nj);
    if (!nj)
        return imp_cli_fail("stylize", "out of memory");
    nj->job = job;
    int rc = prepare_networks(job, nj);
    if (rc) {
        network_close(nj);
        return rc;
    }
    if (job->range > 0) { /* --range: the scale alone, the rest as detected */
        nj->opt.convention.scale = job->range / 255.0f;
        memset(nj->opt.convention.mean, 0, sizeof nj->opt.convention.mean);
    }
    *out = (struct imp_frame_effect){
        .shared = nj, .start = network_start, .apply = network_paint, .stop = network_stop,
        .stylizer = network_stylizer, .set_strength = network_set_strength,
        .close = network_close,
        .label = nj->choice.label};
    return 0;
}

void imp_stylize_close_style(struct imp_frame_effect *e)
{
    if (e->close && e->shared)
        e->close(e->shared);
    memset(e, 0, sizeof *e);
}

int imp_stylize_execute(struct imp_stylize_job *job, int magenta)
{
    (void)magenta; /* the job says (imp_stylize_is_magenta) */
    struct file_list files = {0};
    int rc = collect(job, &files);
    struct imp_frame_effect style;
    if (rc == 0)
        rc = imp_stylize_open_style(job, &style);
    if (rc == 0) {
        struct imp_stylize_workers w = {.job = job, .shared = style.shared,
                                        .start = style.start, .paint = style.apply,
                                        .stop = style.stop, .label = style.label};
        rc = imp_stylize_run_workers(&w, files.in, files.out, files.n);
        imp_stylize_close_style(&style);
    }
    free_list(&files);
    return rc;
}
