/*
 * Colour keeping for stylized pictures: the painting's lightness with the
 * photo's hue and saturation. The mix happens in OKLab (Ottosson 2020), a
 * perceptual space whose L follows perceived lightness and whose a, b hold
 * the colour, so swapping L alone neither shifts hues nor greys them out.
 */
#ifndef IMP_EFFECTS_COLOR_H
#define IMP_EFFECTS_COLOR_H

#include <stddef.h>
#include <stdint.h>

/* sRGB 0..255 <-> OKLab (L about 0..1). */
void imp_srgb_to_oklab(const float rgb[3], float lab[3]);
void imp_oklab_to_srgb(const float lab[3], float rgb[3]);

/* styled[i] (interleaved RGB 0..255) becomes the colour of photo[i] at the
 * lightness of styled[i], for n pixels. */
void imp_keep_photo_colors(float *styled, const float *photo, size_t n);
/* The same for an 8-bit photo (its sRGB decoding from a table). */
void imp_keep_photo_colors_u8(float *styled, const uint8_t *photo, size_t n);

#endif
