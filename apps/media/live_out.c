/* YUV4MPEG2 and v4l2loopback outputs, and RGB scaling, for impasto live. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "live_out.h"
#include "video_internal.h"

int imp_rgb_scale(void **ctx, const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
                  int dh, char *err, size_t err_size)
{
    if (sw == dw && sh == dh) {
        memcpy(dst, src, (size_t)sw * sh * 3);
        return 0;
    }
    /* Stored at once: a context that no longer fits is freed by
     * sws_getCachedContext even when it cannot make the new one. */
    struct SwsContext *s = sws_getCachedContext(*ctx, sw, sh, AV_PIX_FMT_RGB24, dw, dh,
                                                AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL,
                                                NULL, NULL);
    *ctx = s;
    if (!s) {
        snprintf(err, err_size, "cannot scale RGB from %dx%d to %dx%d", sw, sh, dw, dh);
        return -1;
    }
    const uint8_t *in[4] = {src, NULL, NULL, NULL};
    uint8_t *out[4] = {dst, NULL, NULL, NULL};
    int in_stride[4] = {sw * 3, 0, 0, 0}, out_stride[4] = {dw * 3, 0, 0, 0};
    char why[256];
    if (imp_sws_scale_all(s, in, in_stride, sh, out, out_stride, dh, why, sizeof why)) {
        snprintf(err, err_size, "scaling RGB from %dx%d to %dx%d: %s", sw, sh, dw, dh, why);
        return -1;
    }
    return 0;
}

void imp_rgb_scale_free(void *ctx)
{
    sws_freeContext(ctx);
}

/* BT.601, TV range, in fixed point. */
static uint8_t luma(int r, int g, int b)
{
    return (uint8_t)((66 * r + 129 * g + 25 * b + 128 + (16 << 8)) >> 8);
}
static uint8_t chroma_u(int r, int g, int b)
{
    return (uint8_t)((-38 * r - 74 * g + 112 * b + 128 + (128 << 8)) >> 8);
}
static uint8_t chroma_v(int r, int g, int b)
{
    return (uint8_t)((112 * r - 94 * g - 18 * b + 128 + (128 << 8)) >> 8);
}

int imp_y4m_header(FILE *f, int w, int h, int fps_num, int fps_den, char *err,
                   size_t err_size)
{
    if (fps_num <= 0 || fps_den <= 0) {
        fps_num = 30;
        fps_den = 1;
    }
    if (fprintf(f, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n", w, h, fps_num, fps_den) <
        0) {
        snprintf(err, err_size, "cannot write the YUV4MPEG2 stream: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int imp_y4m_frame(FILE *f, const uint8_t *rgb, int w, int h, char *err, size_t err_size)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    size_t n = (size_t)w * h + 2 * (size_t)cw * ch;
    uint8_t *buf = malloc(n);
    if (!buf) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    uint8_t *y = buf, *u = buf + (size_t)w * h, *v = u + (size_t)cw * ch;
    for (size_t i = 0; i < (size_t)w * h; i++)
        y[i] = luma(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]);
    for (int cy = 0; cy < ch; cy++)
        for (int cx = 0; cx < cw; cx++) {
            int r = 0, g = 0, b = 0, k = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int x = 2 * cx + dx, yy = 2 * cy + dy;
                    if (x < w && yy < h) {
                        const uint8_t *p = rgb + ((size_t)yy * w + x) * 3;
                        r += p[0];
                        g += p[1];
                        b += p[2];
                        k++;
                    }
                }
            u[(size_t)cy * cw + cx] = chroma_u(r / k, g / k, b / k);
            v[(size_t)cy * cw + cx] = chroma_v(r / k, g / k, b / k);
        }
    int ok = fputs("FRAME\n", f) >= 0 && fwrite(buf, 1, n, f) == n && fflush(f) == 0;
    free(buf);
    if (!ok) {
        snprintf(err, err_size, "cannot write the YUV4MPEG2 stream: %s", strerror(errno));
        return -1;
    }
    return 0;
}

struct imp_v4l2_out {
    int fd, w, h;
    uint8_t *buf;
};

int imp_v4l2_out_open(const char *path, int w, int h, struct imp_v4l2_out **out,
                      char *err, size_t err_size)
{
    *out = NULL;
    if (w < 2 || h < 1 || w % 2) {
        snprintf(err, err_size, "%s: a YUYV camera needs an even width, not %dx%d", path, w,
                 h);
        return -1;
    }
    int fd = open(path, O_WRONLY);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot open the virtual camera: %s", path,
                 strerror(errno));
        return -1;
    }
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    fmt.fmt.pix.width = (unsigned)w;
    fmt.fmt.pix.height = (unsigned)h;
    fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    fmt.fmt.pix.bytesperline = (unsigned)w * 2;
    fmt.fmt.pix.sizeimage = (unsigned)w * 2 * (unsigned)h;
    fmt.fmt.pix.colorspace = V4L2_COLORSPACE_SMPTE170M;
    if (ioctl(fd, VIDIOC_S_FMT, &fmt) < 0) {
        snprintf(err, err_size,
                 "%s: not a v4l2loopback output device (VIDIOC_S_FMT: %s); load it with "
                 "'modprobe v4l2loopback'",
                 path, strerror(errno));
        close(fd);
        return -1;
    }
    struct imp_v4l2_out *v = calloc(1, sizeof *v);
    if (v)
        v->buf = malloc((size_t)w * h * 2);
    if (!v || !v->buf) {
        if (v)
            free(v);
        close(fd);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    v->fd = fd;
    v->w = w;
    v->h = h;
    *out = v;
    return 0;
}

void imp_yuyv_pack(const uint8_t *rgb, int w, int h, uint8_t *out)
{
    /* Two pixels share one U and one V: the chroma of their average. An
     * odd last pixel pairs with itself. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x += 2) {
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            const uint8_t *q = x + 1 < w ? p + 3 : p;
            uint8_t *o = out + ((size_t)y * w + x) * 2;
            int r = (p[0] + q[0]) / 2, g = (p[1] + q[1]) / 2, b = (p[2] + q[2]) / 2;
            o[0] = luma(p[0], p[1], p[2]);
            o[1] = chroma_u(r, g, b);
            o[2] = luma(q[0], q[1], q[2]);
            o[3] = chroma_v(r, g, b);
        }
}

int imp_v4l2_out_write(struct imp_v4l2_out *v, const uint8_t *rgb, char *err,
                       size_t err_size)
{
    imp_yuyv_pack(rgb, v->w, v->h, v->buf);
    size_t n = (size_t)v->w * v->h * 2;
    if (write(v->fd, v->buf, n) != (ssize_t)n) {
        snprintf(err, err_size, "cannot write to the virtual camera: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void imp_v4l2_out_close(struct imp_v4l2_out *v)
{
    if (!v)
        return;
    close(v->fd);
    free(v->buf);
    free(v);
}
