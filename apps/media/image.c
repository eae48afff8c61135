#include "image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "atomic_file.h"
#include "exif.h"
#include "png_write.h"

static int fail(char *err, size_t size, const char *path, const char *why)
{
    snprintf(err, size, "%s: %s", path, why);
    return -1;
}

/* ---- PNG: libpng reports errors by longjmp ---------------------------------- */

struct png_fail {
    char message[200];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_fail *pf = png_get_error_ptr(png);
    snprintf(pf->message, sizeof pf->message, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg; /* a bad ancillary chunk is not a failure */
}

/* Every PNG flavour comes out as 8-bit RGB, or RGBA when the file has an
 * alpha channel or a transparent colour. */
static int load_png(FILE *f, const char *path, struct imp_image *img, char *err,
                    size_t err_size)
{
    struct png_fail pf = {""};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &pf, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return fail(err, err_size, path, "out of memory");
    }
    /* volatile: survive the longjmp back into this frame */
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(px);
        free(rows);
        return fail(err, err_size, path, pf.message[0] ? pf.message : "bad PNG");
    }
    png_init_io(png, f);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((size_t)w * h > IMP_IMAGE_MAX_PIXELS)
        png_error(png, "image is too large");
    int type = png_get_color_type(png, info);
    int alpha = (type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    png_set_expand(png); /* palette -> RGB, gray 1/2/4 -> 8, tRNS -> alpha */
    png_set_scale_16(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    if (channels != (alpha ? 4 : 3) || png_get_rowbytes(png, info) != (size_t)w * channels)
        png_error(png, "unexpected pixel layout after conversion");
    px = malloc((size_t)w * h * channels);
    rows = malloc(sizeof *rows * (h ? h : 1));
    if (!px || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = px + (size_t)y * w * channels;
    png_read_image(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    img->width = (int)w;
    img->height = (int)h;
    img->channels = channels;
    img->pixels = px;
    return 0;
}

/* ---- JPEG: libjpeg reports errors by longjmp --------------------------------- */

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated; /* libjpeg only warns, and fills the rest with gray */
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_fail *jf = (struct jpeg_fail *)cinfo->err;
    jf->mgr.format_message(cinfo, jf->message);
    longjmp(jf->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    /* Corrupt-data warnings are not failures, but a file that ends early
     * is: its picture would be part gray. */
    struct jpeg_fail *jf = (struct jpeg_fail *)cinfo->err;
    if (level < 0 && jf->mgr.msg_code == JWRN_JPEG_EOF)
        jf->truncated = 1;
}

/* The error manager of both directions: `cinfo.err = jpeg_fail_init(&jf)`,
 * then setjmp(jf.jump) in the caller's own frame (a longjmp cannot return
 * into a frame that has ended) before any other libjpeg call. */
static struct jpeg_error_mgr *jpeg_fail_init(struct jpeg_fail *jf)
{
    struct jpeg_error_mgr *mgr = jpeg_std_error(&jf->mgr);
    jf->mgr.error_exit = jpeg_on_error;
    jf->mgr.emit_message = jpeg_quiet;
    jf->message[0] = '\0';
    jf->truncated = 0;
    return mgr;
}

/* The EXIF orientation (1..8) from the APP1 markers libjpeg kept; 1 when
 * there is none. */
static int jpeg_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) {
            int o = imp_exif_orientation(m->data, m->data_length);
            if (o > 1)
                return o;
        }
    return 1;
}

static int load_jpeg(FILE *f, const char *path, struct imp_image *img, char *err,
                     size_t err_size)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail jf;
    uint8_t *volatile px = NULL;
    cinfo.err = jpeg_fail_init(&jf);
    if (setjmp(jf.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(px);
        return fail(err, err_size, path, jf.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);
    int orientation = jpeg_orientation(&cinfo);
    /* Before jpeg_start_decompress, which allocates for the declared size
     * (a progressive file: coefficients for the whole picture). */
    if ((size_t)cinfo.image_width * cinfo.image_height > IMP_IMAGE_MAX_PIXELS) {
        char why[128];
        snprintf(why, sizeof why, "image of %ux%u is too large (at most %zu pixels)",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                 (size_t)IMP_IMAGE_MAX_PIXELS);
        jpeg_destroy_decompress(&cinfo);
        return fail(err, err_size, path, why);
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height;
    if (w * h > IMP_IMAGE_MAX_PIXELS || cinfo.output_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        return fail(err, err_size, path, "image is too large or not RGB");
    }
    px = malloc(w * h * 3);
    if (!px) {
        jpeg_destroy_decompress(&cinfo);
        return fail(err, err_size, path, "out of memory");
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = px + (size_t)cinfo.output_scanline * w * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (jf.truncated) {
        free(px);
        return fail(err, err_size, path, "the JPEG data ends early (truncated file)");
    }
    img->width = (int)w;
    img->height = (int)h;
    img->channels = 3;
    img->pixels = px;
    if (orientation > 1 && imp_exif_orient(img, orientation) != 0) {
        imp_image_free(img);
        return fail(err, err_size, path, "out of memory");
    }
    return 0;
}

int imp_image_load_rgba(const char *path, struct imp_image *img, char *err,
                        size_t err_size)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, err_size, path, strerror(errno));
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    rewind(f);
    int rc;
    if (got >= 8 && png_sig_cmp(magic, 0, 8) == 0)
        rc = load_png(f, path, img, err, err_size);
    else if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
        rc = load_jpeg(f, path, img, err, err_size);
    else
        rc = fail(err, err_size, path, got ? "not a PNG or JPEG file" : "empty file");
    fclose(f);
    if (rc != 0)
        memset(img, 0, sizeof *img);
    return rc;
}

int imp_image_load(const char *path, struct imp_image *img, char *err,
                   size_t err_size)
{
    if (imp_image_load_rgba(path, img, err, err_size) != 0)
        return -1;
    if (img->channels == 4) { /* drop alpha in place */
        size_t n = (size_t)img->width * img->height;
        for (size_t i = 0; i < n; i++)
            memmove(img->pixels + i * 3, img->pixels + i * 4, 3);
        img->channels = 3;
    }
    return 0;
}

/* ---- writing -------------------------------------------------------------- */

int imp_image_type_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    if (strcasecmp(dot, ".png") == 0)
        return IMP_IMAGE_PNG;
    if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0)
        return IMP_IMAGE_JPEG;
    return -1;
}

static int write_png(FILE *f, const struct imp_image *img, char *why, size_t why_size)
{
    return imp_png_write(f, img, why, why_size); /* png_write.h: ours, not libpng's */
}

static int write_jpeg(FILE *f, const struct imp_image *img, int quality, char *why,
                      size_t why_size)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_fail jf;
    uint8_t *volatile row = NULL;
    cinfo.err = jpeg_fail_init(&jf);
    if (setjmp(jf.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(row);
        snprintf(why, why_size, "%s", jf.message);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)img->width;
    cinfo.image_height = (JDIMENSION)img->height;
    int gray = img->channels == 1;
    cinfo.input_components = gray ? 1 : 3;
    cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality > 0 ? quality : 92, TRUE);
    row = malloc((size_t)img->width * 3 + 1);
    if (!row) {
        jpeg_destroy_compress(&cinfo);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    size_t w = (size_t)img->width;
    while (cinfo.next_scanline < cinfo.image_height) {
        const uint8_t *src = img->pixels + cinfo.next_scanline * w * img->channels;
        JSAMPROW r = (JSAMPROW)src;
        if (img->channels == 4) { /* JPEG has no alpha: drop it */
            for (size_t x = 0; x < w; x++)
                memcpy(row + x * 3, src + x * 4, 3);
            r = row;
        }
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    return 0;
}

/* Checks, then writes the picture under af's temporary name and closes it. */
static int write_pending(const char *path, const struct imp_image *img, int type,
                         int quality, struct imp_atomic_file *af, char *err,
                         size_t err_size)
{
    memset(af, 0, sizeof *af);
    if (img->channels != 1 && img->channels != 3 && img->channels != 4)
        return fail(err, err_size, path, "only gray, RGB or RGBA images can be written");
    if (img->width < 1 || img->height < 1 || !img->pixels)
        return fail(err, err_size, path, "empty image");
    if (quality < 0 || quality > 100)
        return fail(err, err_size, path, "JPEG quality must be 1..100");
    char why[256];
    if (imp_atomic_open(path, af, why, sizeof why) != 0)
        return fail(err, err_size, path, why);
    int rc = type == IMP_IMAGE_JPEG ? write_jpeg(af->file, img, quality, why, sizeof why)
                                    : write_png(af->file, img, why, sizeof why);
    if (rc != 0) {
        imp_atomic_abandon(af);
        return fail(err, err_size, path, why);
    }
    if (imp_atomic_close(af, why, sizeof why) != 0)
        return fail(err, err_size, path, why);
    return 0;
}

static int save_as(const char *path, const struct imp_image *img, int type, int quality,
                   char *err, size_t err_size)
{
    struct imp_atomic_file af;
    if (write_pending(path, img, type, quality, &af, err, err_size) != 0)
        return -1;
    char why[256];
    if (imp_atomic_commit(&af, why, sizeof why) != 0)
        return fail(err, err_size, path, why);
    return 0;
}

int imp_image_save_pending(const char *path, const struct imp_image *img, int quality,
                           struct imp_atomic_file *af, char *err, size_t err_size)
{
    int type = imp_image_type_for_path(path);
    memset(af, 0, sizeof *af);
    if (type < 0)
        return fail(err, err_size, path,
                    "the output type comes from the extension: .png, .jpg or .jpeg");
    return write_pending(path, img, type, quality, af, err, err_size);
}

int imp_image_save(const char *path, const struct imp_image *img, int quality,
                   char *err, size_t err_size)
{
    int type = imp_image_type_for_path(path);
    if (type < 0)
        return fail(err, err_size, path,
                    "the output type comes from the extension: .png, .jpg or .jpeg");
    return save_as(path, img, type, quality, err, err_size);
}

int imp_image_save_png(const char *path, const struct imp_image *img, char *err,
                       size_t err_size)
{
    return save_as(path, img, IMP_IMAGE_PNG, 0, err, err_size);
}

void imp_image_free(struct imp_image *img)
{
    free(img->pixels);
    memset(img, 0, sizeof *img);
}
