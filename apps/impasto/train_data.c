#include "train_data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image.h"

static int is_picture(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
                   strcasecmp(dot, ".png") == 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Resizes interleaved 8-bit RGB to dw x dh through floats. */
static int resize_u8(const uint8_t *src, int sw, int sh, float *tmp_src, float *dst, int dw,
                     int dh)
{
    for (size_t i = 0; i < (size_t)sw * (size_t)sh * 3; i++)
        tmp_src[i] = src[i] * (1.0f / 255.0f);
    return imp_resample_f32(tmp_src, sw, sh, 3, dst, dw, dh);
}

/* Keeps a downscaled copy: shorter side 1.5 x size (or the photo's own). */
static int keep_photo(const struct imp_image *img, int size, struct train_photo *out)
{
    int shorter = img->width < img->height ? img->width : img->height;
    int target = size + size / 2;
    double k = shorter > target ? (double)target / shorter : 1.0;
    int w = (int)(img->width * k + 0.5), h = (int)(img->height * k + 0.5);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    float *src = malloc(sizeof(float) * (size_t)img->width * (size_t)img->height * 3);
    float *dst = malloc(sizeof(float) * (size_t)w * (size_t)h * 3);
    out->rgb = malloc((size_t)w * (size_t)h * 3);
    int rc = src && dst && out->rgb ? resize_u8(img->pixels, img->width, img->height, src, dst,
                                                w, h)
                                    : -1;
    if (rc == 0)
        for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
            float v = dst[i] * 255.0f + 0.5f;
            out->rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    out->w = w;
    out->h = h;
    free(src);
    free(dst);
    return rc;
}

/* Grows *buf to hold n floats. */
static int grow(float **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    float *grown = realloc(*buf, sizeof *grown * n);
    if (!grown)
        return -1;
    *buf = grown;
    *cap = n;
    return 0;
}

/* The sampler's scratch for crops up to the largest photo's shorter side
 * (the largest crop) resized to size x size. */
static int reserve(struct train_photos *p, int size)
{
    int side = size;
    for (int i = 0; i < p->n; i++) {
        int shorter = p->items[i].w < p->items[i].h ? p->items[i].w : p->items[i].h;
        side = shorter > side ? shorter : side;
    }
    if (grow(&p->crop, &p->crop_cap, (size_t)side * (size_t)side * 3) != 0 ||
        grow(&p->resized, &p->resized_cap, (size_t)size * (size_t)size * 3) != 0)
        return -1;
    return imp_resample_work_reserve(&p->work, side, side, 3, size, size);
}

int train_photos_load(const char *dir, int size, int max, struct train_photos *p, char *err,
                      size_t err_size)
{
    memset(p, 0, sizeof *p);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, err_size, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || !is_picture(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, sizeof *names * (size_t)cap);
            if (!grown)
                break;
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    int rc = 0;
    if (n == 0) {
        snprintf(err, err_size, "%s: no .jpg, .jpeg or .png pictures in it "
                 "(scripts/photos.sh --link DIR makes such a folder)", dir);
        rc = -1;
    }
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, by_name);
    const int n_names = n;
    if (n > max)
        n = max;
    p->items = rc == 0 ? calloc((size_t)n, sizeof *p->items) : NULL;
    if (rc == 0 && !p->items) {
        snprintf(err, err_size, "out of memory");
        rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        char path[4096], why[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct imp_image img = {0};
        if (imp_image_load(path, &img, why, sizeof why) != 0) {
            snprintf(err, err_size, "%s", why);
            rc = -1;
            break;
        }
        if (img.width < 16 || img.height < 16) {
            snprintf(err, err_size, "%s: %dx%d is too small to train on", path, img.width,
                     img.height);
            rc = -1;
        } else if (keep_photo(&img, size, &p->items[p->n]) != 0) {
            snprintf(err, err_size, "%s: out of memory", path);
            rc = -1;
        } else {
            p->n++;
        }
        imp_image_free(&img);
    }
    for (int i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && reserve(p, size) != 0) {
        snprintf(err, err_size, "out of memory");
        rc = -1;
    }
    if (rc != 0)
        train_photos_free(p);
    return rc;
}

void train_photos_free(struct train_photos *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->items[i].rgb);
    free(p->items);
    free(p->crop);
    free(p->resized);
    imp_resample_work_free(&p->work);
    memset(p, 0, sizeof *p);
}

int train_photos_sample(struct train_photos *p, struct imp_rng *rng, int size, float *out)
{
    const struct train_photo *ph = &p->items[imp_rng_next(rng) % (uint64_t)p->n];
    int shorter = ph->w < ph->h ? ph->w : ph->h;
    int lo = size < shorter ? size : shorter;
    int side = lo + (int)(imp_rng_next(rng) % (uint64_t)(shorter - lo + 1));
    int x0 = (int)(imp_rng_next(rng) % (uint64_t)(ph->w - side + 1));
    int y0 = (int)(imp_rng_next(rng) % (uint64_t)(ph->h - side + 1));
    int flip = (int)(imp_rng_next(rng) & 1);
    if (grow(&p->crop, &p->crop_cap, (size_t)side * (size_t)side * 3) != 0 ||
        grow(&p->resized, &p->resized_cap, (size_t)size * (size_t)size * 3) != 0)
        return -1;
    float *crop = p->crop, *res = p->resized;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int c = 0; c < 3; c++)
                crop[((size_t)y * (size_t)side + (size_t)x) * 3 + (size_t)c] =
                    ph->rgb[((size_t)(y0 + y) * (size_t)ph->w + (size_t)(x0 + x)) * 3 +
                            (size_t)c] * (1.0f / 255.0f);
    int rc = imp_resample_f32_work(&p->work, crop, side, side, 3, res, size, size);
    if (rc == 0)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    int sx = flip ? size - 1 - x : x;
                    out[((size_t)c * (size_t)size + (size_t)y) * (size_t)size + (size_t)x] =
                        res[((size_t)y * (size_t)size + (size_t)sx) * 3 + (size_t)c];
                }
    return rc;
}

int train_load_square(const char *path, int size, float *out, char *err, size_t err_size)
{
    struct imp_image img = {0};
    if (imp_image_load(path, &img, err, err_size) != 0)
        return -1;
    if (img.width < 16 || img.height < 16) {
        snprintf(err, err_size, "%s: %dx%d is too small (at least 16x16)", path, img.width,
                 img.height);
        imp_image_free(&img);
        return -1;
    }
    int side = img.width < img.height ? img.width : img.height;
    int x0 = (img.width - side) / 2, y0 = (img.height - side) / 2;
    float *sq = malloc(sizeof(float) * (size_t)side * (size_t)side * 3);
    float *res = malloc(sizeof(float) * (size_t)size * (size_t)size * 3);
    int rc = -1;
    if (sq && res) {
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                for (int c = 0; c < 3; c++)
                    sq[((size_t)y * (size_t)side + (size_t)x) * 3 + (size_t)c] =
                        img.pixels[((size_t)(y0 + y) * (size_t)img.width + (size_t)(x0 + x)) *
                                       3 + (size_t)c] * (1.0f / 255.0f);
        rc = imp_resample_f32(sq, side, side, 3, res, size, size);
    }
    if (rc == 0)
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < (size_t)size * (size_t)size; i++)
                out[(size_t)c * (size_t)size * (size_t)size + i] = res[i * 3 + (size_t)c];
    else
        snprintf(err, err_size, "%s: out of memory", path);
    free(sq);
    free(res);
    imp_image_free(&img);
    return rc;
}

int train_load_tiles(const char *path, int size, int k, float *out, char *err,
                     size_t err_size)
{
    const size_t big = (size_t)k * (size_t)size, plane = big * big;
    float *whole = malloc(sizeof(float) * 3 * plane);
    if (!whole) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    int rc = train_load_square(path, k * size, whole, err, err_size);
    for (int ty = 0; rc == 0 && ty < k; ty++)
        for (int tx = 0; tx < k; tx++) {
            float *tile = out + (size_t)(ty * k + tx) * 3 * (size_t)size * (size_t)size;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    memcpy(tile + ((size_t)c * (size_t)size + (size_t)y) * (size_t)size,
                           whole + (size_t)c * plane +
                               ((size_t)ty * (size_t)size + (size_t)y) * big +
                               (size_t)tx * (size_t)size,
                           sizeof(float) * (size_t)size);
        }
    free(whole);
    return rc;
}
