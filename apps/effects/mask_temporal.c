#include <math.h>
#include <stddef.h>

#include "mask_temporal.h"

struct imp_mask_temporal_options imp_mask_temporal_options_default(void)
{
    struct imp_mask_temporal_options o = {0.1f, 0.12f, 1.0f};
    return o;
}

static float clamp01(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

void imp_mask_temporal_step(float *smoothed, const float *mask, const float *frame,
                            const float *prev_frame, int w, int h,
                            const struct imp_mask_temporal_options *o)
{
    struct imp_mask_temporal_options d = imp_mask_temporal_options_default();
    if (!o)
        o = &d;
    float settle = clamp01(o->settle);
    float motion = o->motion > 1e-6f ? o->motion : 1e-6f;
    float sure_lo = o->sure - 0.4f;
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++) {
        float m = mask[i], s = smoothed[i];
        float confident = clamp01((fabsf(2.0f * m - 1.0f) - sure_lo) / 0.4f);
        float change = 0.0f;
        for (int c = 0; c < 3; c++) {
            float dc = fabsf(frame[i * 3 + c] - prev_frame[i * 3 + c]);
            change = dc > change ? dc : change;
        }
        /* A change of colour counts as the person moving as far as the
         * pixel was or is person (not at all up to 0.25: background moving
         * behind the rim; fully from 0.75), or the mask jumped with it
         * (by more than it flickers: fully from 0.5). */
        float person = clamp01(((m > s ? m : s) - 0.25f) * 2.0f);
        float jump = clamp01((fabsf(m - s) - 0.25f) * 4.0f);
        float moved = clamp01(change / motion) * (person > jump ? person : jump);
        float follow = settle;
        follow = confident > follow ? confident : follow;
        follow = moved > follow ? moved : follow;
        smoothed[i] = s + follow * (m - s);
    }
}

float imp_mask_temporal_change(const float *a, const float *b, int w, int h)
{
    float worst = 0.0f;
    for (int by = 0; by < h; by += 8) {
        for (int bx = 0; bx < w; bx += 8) {
            double sum[3] = {0, 0, 0};
            int count = 0;
            for (int y = by; y < by + 8 && y < h; y++) {
                for (int x = bx; x < bx + 8 && x < w; x++) {
                    size_t i = ((size_t)y * w + x) * 3;
                    for (int c = 0; c < 3; c++)
                        sum[c] += (double)a[i + c] - b[i + c];
                    count++;
                }
            }
            float change = (float)((fabs(sum[0]) + fabs(sum[1]) + fabs(sum[2])) / count);
            worst = change > worst ? change : worst;
        }
    }
    return worst;
}
