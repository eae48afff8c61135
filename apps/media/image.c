#include "image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

static int fail(char *err, size_t size, const char *path, const char *why)
{
    snprintf(err, size, "%s: %s", path, why);
    return -1;
}

/* ---- PNG ----------------------------------------------------------------- */

static int load_png(FILE *f, const char *path, struct imp_image *img, char *err,
                    size_t err_size)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_stdio(&pi, f))
        return fail(err, err_size, path, pi.message);
    if ((size_t)pi.width * pi.height > IMP_IMAGE_MAX_PIXELS) {
        png_image_free(&pi);
        return fail(err, err_size, path, "image is too large");
    }
    pi.format = PNG_FORMAT_RGB;
    size_t bytes = PNG_IMAGE_SIZE(pi);
    uint8_t *px = malloc(bytes);
    if (!px) {
        png_image_free(&pi);
        return fail(err, err_size, path, "out of memory");
    }
    if (!png_image_finish_read(&pi, NULL, px, 0, NULL)) {
        free(px);
        return fail(err, err_size, path, pi.message);
    }
    img->width = (int)pi.width;
    img->height = (int)pi.height;
    img->channels = 3;
    img->pixels = px;
    return 0;
}

/* ---- JPEG: libjpeg reports errors by longjmp ------------------------------ */

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_fail *jf = (struct jpeg_fail *)cinfo->err;
    jf->mgr.format_message(cinfo, jf->message);
    longjmp(jf->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo, (void)level; /* corrupt-data warnings are not failures */
}

static int load_jpeg(FILE *f, const char *path, struct imp_image *img, char *err,
                     size_t err_size)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail jf;
    /* volatile: survives the longjmp back into this frame */
    uint8_t *volatile px = NULL;
    cinfo.err = jpeg_std_error(&jf.mgr);
    jf.mgr.error_exit = jpeg_on_error;
    jf.mgr.emit_message = jpeg_quiet;
    if (setjmp(jf.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(px);
        return fail(err, err_size, path, jf.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
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
    img->width = (int)w;
    img->height = (int)h;
    img->channels = 3;
    img->pixels = px;
    return 0;
}

int imp_image_load(const char *path, struct imp_image *img, char *err,
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
        rc = fail(err, err_size, path, "not a PNG or JPEG file");
    fclose(f);
    return rc;
}

int imp_image_save_png(const char *path, const struct imp_image *img, char *err,
                       size_t err_size)
{
    if (img->channels != 1 && img->channels != 3)
        return fail(err, err_size, path, "only gray or RGB images can be written");
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)img->width;
    pi.height = (png_uint_32)img->height;
    pi.format = img->channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&pi, path, 0, img->pixels, 0, NULL))
        return fail(err, err_size, path, pi.message);
    return 0;
}

void imp_image_free(struct imp_image *img)
{
    free(img->pixels);
    memset(img, 0, sizeof *img);
}
