/*
 * Training pictures for `impasto train`: a folder of photographs loaded
 * once (downscaled so the shorter side is 1.5x the training size) and
 * random multi-scale square crops with flips drawn from them; paintings
 * as one centred square at the training size.
 */
#ifndef IMP_CLI_TRAIN_DATA_H
#define IMP_CLI_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "impasto_train.h"
#include "resample.h"

struct train_photo {
    int w, h;
    uint8_t *rgb; /* interleaved */
};

struct train_photos {
    struct train_photo *items;
    int n;
    /* The sampler's scratch, sized at load for the largest crop at the
     * training size, so a training step allocates nothing. */
    float *crop, *resized;
    size_t crop_cap, resized_cap;
    struct imp_resample_work work;
};

/* Every .jpg/.jpeg/.png in `dir` (not recursive), in name order, up to
 * `max` of them, and the sampler's scratch for crops at `size`. Returns
 * 0, or -1 with one line in err (empty folder, unreadable folder or
 * picture, out of memory). */
int train_photos_load(const char *dir, int size, int max, struct train_photos *p, char *err,
                      size_t err_size);
void train_photos_free(struct train_photos *p);

/* One random crop of a random photo: side uniform between the training
 * size and the photo's shorter side, resized to size x size, flipped left
 * to right half the time; planar RGB 0..1 into out (3 x size x size).
 * Uses p's scratch: no allocation at the size given to train_photos_load
 * (another size grows it once). Returns 0, or -1 out of memory. */
int train_photos_sample(struct train_photos *p, struct imp_rng *rng, int size, float *out);

/* A picture file as one centred square resized to size x size, planar RGB
 * 0..1. Returns 0, or -1 with one line in err. */
int train_load_square(const char *path, int size, float *out, char *err, size_t err_size);
/* train_load_square at k * size, cut into k x k tiles of size x size in
 * row-major order, each [3, size, size]: a painting's Gram matrices at a
 * size the training crops cannot hold. */
int train_load_tiles(const char *path, int size, int k, float *out, char *err,
                     size_t err_size);

#endif
