/*
 * Instance-norm statistics under the predictor's control (see
 * imp_predictor_set_norm_stats_mode in impasto.h).
 *
 * The predictor gives each InstanceNormalization node a slot; its engines
 * measure every (n, c) plane as usual, record the measurement, and ask
 * imp_norm_stats_pick which mean and variance to normalise by. Planes are
 * independent entries, so threads that split the planes never share one.
 */
#ifndef IMP_NORM_STATS_H
#define IMP_NORM_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "impasto.h"

struct imp_norm_stats_slot {
    enum imp_norm_stats_mode mode;
    double weight;   /* SMOOTHED: share of the held statistics        */
    bool held_valid; /* false: hold this run's measurement            */
    bool active;     /* its node runs in the current plan             */
    int64_t planes;  /* N x C entries in each array                   */
    double *measured_mean, *measured_var;
    double *held_mean, *held_var;
};

/* Records plane p's measurement and replaces *mean and *var by what the
 * plane is to be normalised with. A NULL slot leaves them as measured. */
static inline void imp_norm_stats_pick(struct imp_norm_stats_slot *s, int64_t p,
                                       double *mean, double *var)
{
    if (!s)
        return;
    s->measured_mean[p] = *mean;
    s->measured_var[p] = *var;
    if (s->mode == IMP_NORM_STATS_MEASURED)
        return;
    if (!s->held_valid) {
        s->held_mean[p] = *mean;
        s->held_var[p] = *var;
        return;
    }
    if (s->mode == IMP_NORM_STATS_SMOOTHED) {
        const double w = s->weight;
        s->held_mean[p] = w * s->held_mean[p] + (1.0 - w) * *mean;
        s->held_var[p] = w * s->held_var[p] + (1.0 - w) * *var;
    }
    *mean = s->held_mean[p];
    *var = s->held_var[p];
}

#endif
