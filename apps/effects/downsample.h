/*
 * An 8-bit RGB picture shrunk by an integer factor, each output pixel the
 * mean of its factor x factor cell (cells at the right and bottom edges may
 * be short and average what they hold): the guide the mask is refined
 * against and the source of the model's input, without aliasing.
 */
#ifndef IMP_FX_DOWNSAMPLE_H
#define IMP_FX_DOWNSAMPLE_H

#include <stdint.h>

#include "parallel.h"

/* rgb is w x h x 3 bytes; out gets ceil(w/f) x ceil(h/f) x 3 floats in
 * 0..1, interleaved. */
void imp_downsample_rgb8(const uint8_t *rgb, int w, int h, int f, float *out,
                         const struct imp_fx_parallel *par);

#endif
