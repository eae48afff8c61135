/*
 * The mean over a (2r+1) x (2r+1) window of a float plane, in O(1) per
 * pixel whatever r is (running column sums, then running row sums). At the
 * borders the window is cut to the image and the mean taken over what is
 * left, so a constant plane stays constant.
 */
#ifndef IMP_FX_BOX_FILTER_H
#define IMP_FX_BOX_FILTER_H

/* src and dst are w x h (w, h >= 1, r >= 0) and must not overlap; col is
 * scratch for w floats. */
void imp_box_mean(const float *src, float *dst, int w, int h, int r, float *col);

#endif
