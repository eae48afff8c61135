/*
 * sRGB bytes to linear light and back, by table. Blurs and composites
 * average light, so they work on linear values: averaging the bytes would
 * darken every edge and dim highlights instead of letting them bloom.
 */
#ifndef IMP_FX_SRGB_H
#define IMP_FX_SRGB_H

#include <stdint.h>

/* Linear 0..1 is quantised to this many steps on the way back: fine enough
 * that every byte survives the round trip (neighbouring dark bytes are ~20
 * steps apart). */
#define IMP_SRGB_STEPS 65536

struct imp_srgb {
    float to_linear[256];
    uint8_t to_byte[IMP_SRGB_STEPS];
};

/* Fills the tables (about a millisecond). */
void imp_srgb_init(struct imp_srgb *t);

/* Linear light (clamped to 0..1; NaN gives 0) to the nearest sRGB byte. */
static inline uint8_t imp_srgb_encode(const struct imp_srgb *t, float v)
{
    v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    return t->to_byte[(int)(v * (float)(IMP_SRGB_STEPS - 1) + 0.5f)];
}

#endif
