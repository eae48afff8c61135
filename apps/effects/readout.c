/* A 3x5 pixel font drawn into RGB frames. */
#include <string.h>

#include "readout.h"

/* Rows top to bottom, 3 bits each (bit 2 = left column). */
static const struct {
    char c;
    uint8_t rows[5];
} glyphs[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}},
    {'3', {7, 1, 3, 1, 7}}, {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}},
    {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 2, 2}}, {'8', {7, 5, 7, 5, 7}},
    {'9', {7, 5, 7, 1, 7}}, {'.', {0, 0, 0, 0, 2}}, {':', {0, 2, 0, 2, 0}},
    {'/', {1, 1, 2, 4, 4}}, {'-', {0, 0, 7, 0, 0}}, {'F', {7, 4, 6, 4, 4}},
    {'P', {6, 5, 6, 4, 4}}, {'S', {3, 4, 2, 1, 6}}, {'M', {5, 7, 7, 5, 5}},
    {'L', {4, 4, 4, 4, 7}}, {'A', {2, 5, 7, 5, 5}}, {'T', {7, 2, 2, 2, 2}},
    {'E', {7, 4, 6, 4, 7}}, {'N', {5, 7, 7, 7, 5}}, {'C', {3, 4, 4, 4, 3}},
    {'Y', {5, 5, 2, 2, 2}}, {'X', {5, 5, 2, 5, 5}},
};

static const uint8_t *glyph(char c)
{
    for (size_t i = 0; i < sizeof glyphs / sizeof glyphs[0]; i++)
        if (glyphs[i].c == c)
            return glyphs[i].rows;
    return NULL;
}

static void fill(uint8_t *rgb, int w, int h, int x0, int y0, int x1, int y1, int shade,
                 int keep)
{
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w ? w : x1;
    y1 = y1 > h ? h : y1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = keep ? (uint8_t)(p[c] * keep / 4) : (uint8_t)shade;
        }
}

void imp_readout_draw(uint8_t *rgb, int w, int h, int x, int y, int scale,
                      const char *text)
{
    if (scale < 1 || w < 1 || h < 1)
        return;
    int n = (int)strlen(text);
    int pad = scale;
    /* A darkened box (a quarter of the picture's light) behind the text. */
    fill(rgb, w, h, x - pad, y - pad, x + n * 4 * scale + pad - scale, y + 5 * scale + pad,
         0, 1);
    for (int i = 0; i < n; i++) {
        const uint8_t *g = glyph(text[i]);
        if (!g)
            continue;
        int gx = x + i * 4 * scale;
        for (int r = 0; r < 5; r++)
            for (int b = 0; b < 3; b++)
                if (g[r] & (4 >> b))
                    fill(rgb, w, h, gx + b * scale, y + r * scale, gx + (b + 1) * scale,
                         y + (r + 1) * scale, 255, 0);
    }
}
