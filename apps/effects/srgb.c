#include <math.h>

#include "srgb.h"

/* The sRGB transfer curves (IEC 61966-2-1): a linear toe, then a 2.4 power. */
static double decode(double s)
{
    return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static double encode(double l)
{
    return l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1.0 / 2.4) - 0.055;
}

void imp_srgb_init(struct imp_srgb *t)
{
    for (int i = 0; i < 256; i++)
        t->to_linear[i] = (float)decode(i / 255.0);
    for (int i = 0; i < IMP_SRGB_STEPS; i++) {
        double s = encode((double)i / (IMP_SRGB_STEPS - 1)) * 255.0 + 0.5;
        t->to_byte[i] = (uint8_t)(s > 255.0 ? 255.0 : s);
    }
}
