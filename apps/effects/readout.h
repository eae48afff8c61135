/*
 * A small on-picture readout for impasto live ("30.1 FPS 24 MS 640X480"):
 * text in a 3x5 pixel font, scaled, on a dark box, drawn into an RGB frame.
 * Digits, '.', ':', '/', '-', ' ' and the capitals of "FPS MS LATENCY X";
 * other characters draw as blanks.
 */
#ifndef IMP_APP_READOUT_H
#define IMP_APP_READOUT_H

#include <stdint.h>

/* Draws `text` with its top-left corner at (x, y), each font pixel `scale`
 * pixels wide; clipped to the frame. */
void imp_readout_draw(uint8_t *rgb, int w, int h, int x, int y, int scale,
                      const char *text);

#endif
