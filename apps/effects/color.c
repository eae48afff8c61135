#include "color.h"

#include <math.h>

static float to_linear(float v) /* sRGB 0..255 -> linear 0..1 */
{
    float c = v / 255.0f;
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

static float to_srgb(float c) /* linear -> sRGB 0..255, clamped */
{
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    float v = c <= 0.0031308f ? c * 12.92f : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
    return v * 255.0f;
}

static void linear_to_oklab(float r, float g, float b, float lab[3])
{
    float l = cbrtf(0.4122214708f * r + 0.5363325363f * g + 0.0514459929f * b);
    float m = cbrtf(0.2119034982f * r + 0.6806995451f * g + 0.1073969566f * b);
    float s = cbrtf(0.0883024619f * r + 0.2817188376f * g + 0.6299787005f * b);
    lab[0] = 0.2104542553f * l + 0.7936177850f * m - 0.0040720468f * s;
    lab[1] = 1.9779984951f * l - 2.4285922050f * m + 0.4505937099f * s;
    lab[2] = 0.0259040371f * l + 0.7827717662f * m - 0.8086757660f * s;
}

void imp_srgb_to_oklab(const float rgb[3], float lab[3])
{
    linear_to_oklab(to_linear(rgb[0]), to_linear(rgb[1]), to_linear(rgb[2]), lab);
}

void imp_oklab_to_srgb(const float lab[3], float rgb[3])
{
    float l = lab[0] + 0.3963377774f * lab[1] + 0.2158037573f * lab[2];
    float m = lab[0] - 0.1055613458f * lab[1] - 0.0638541728f * lab[2];
    float s = lab[0] - 0.0894841775f * lab[1] - 1.2914855480f * lab[2];
    l = l * l * l;
    m = m * m * m;
    s = s * s * s;
    rgb[0] = to_srgb(4.0767416621f * l - 3.3077115913f * m + 0.2309699292f * s);
    rgb[1] = to_srgb(-1.2684380046f * l + 2.6097574011f * m - 0.3413193965f * s);
    rgb[2] = to_srgb(-0.0041960863f * l - 0.7034186147f * m + 1.7076147010f * s);
}

void imp_keep_photo_colors_u8(float *styled, const uint8_t *photo, size_t n)
{
    float lin[256]; /* the photo's 8-bit values: 256 powf, not 3 per pixel */
    for (int v = 0; v < 256; v++)
        lin[v] = to_linear((float)v);
    for (size_t i = 0; i < n; i++) {
        float ls[3], lp[3];
        imp_srgb_to_oklab(styled + i * 3, ls);
        const uint8_t *p = photo + i * 3;
        linear_to_oklab(lin[p[0]], lin[p[1]], lin[p[2]], lp);
        lp[0] = ls[0];
        imp_oklab_to_srgb(lp, styled + i * 3);
    }
}

void imp_keep_photo_colors(float *styled, const float *photo, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float ls[3], lp[3];
        imp_srgb_to_oklab(styled + i * 3, ls);
        imp_srgb_to_oklab(photo + i * 3, lp);
        lp[0] = ls[0];
        imp_oklab_to_srgb(lp, styled + i * 3);
    }
}
