/*
 * Outputs of `impasto live` besides video files: a YUV4MPEG2 stream (to pipe
 * into ffmpeg), a v4l2loopback virtual camera (YUYV, the format browsers and
 * call apps take), and RGB scaling to the fixed size those outputs need
 * while the processing size moves. Errors: -1 and one line in err.
 */
#ifndef IMP_APP_LIVE_OUT_H
#define IMP_APP_LIVE_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* RGB to RGB at another size (bilinear); the context is cached in *ctx
 * (free with imp_rgb_scale_free). */
int imp_rgb_scale(void **ctx, const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
                  int dh, char *err, size_t err_size);
void imp_rgb_scale_free(void *ctx);

/* YUV4MPEG2, 4:2:0 (BT.601, TV range): a header, then one FRAME each. */
int imp_y4m_header(FILE *f, int w, int h, int fps_num, int fps_den, char *err,
                   size_t err_size);
int imp_y4m_frame(FILE *f, const uint8_t *rgb, int w, int h, char *err, size_t err_size);

/* w x h RGB (w even) as YUYV 4:2:2 (BT.601, TV range), w * h * 2 bytes:
 * what the virtual camera sends. */
void imp_yuyv_pack(const uint8_t *rgb, int w, int h, uint8_t *out);

/* A v4l2loopback device as a camera of w x h YUYV. */
struct imp_v4l2_out;
int imp_v4l2_out_open(const char *path, int w, int h, struct imp_v4l2_out **out,
                      char *err, size_t err_size);
int imp_v4l2_out_write(struct imp_v4l2_out *v, const uint8_t *rgb, char *err,
                       size_t err_size);
void imp_v4l2_out_close(struct imp_v4l2_out *v);

#endif
