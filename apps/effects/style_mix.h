/*
 * Conditional-instance-norm styles: several styles that are one network
 * (the same convolutions) and differ only in the scale and shift of their
 * InstanceNormalization nodes. Mixing their norm weights blends the styles
 * (--blend), and mixing a style with the family's "identity" style (the
 * scales and shifts that give the photo back, paler) sets its strength: both live,
 * through imp_predictor_set_param, without re-planning.
 */
#ifndef IMP_EFFECTS_STYLE_MIX_H
#define IMP_EFFECTS_STYLE_MIX_H

#include <stddef.h>

#include "impasto.h"
#include "style_set.h"
#include "stylize.h"

/* 1 when b is the same conditional network as a: the same operators in the
 * same order, every weight equal except the instance-norm scales and
 * shifts (which must have the same sizes). 0 with why otherwise. */
int imp_style_same_network(const struct imp_model *a, const struct imp_model *b,
                           char *why, size_t why_size);
/* Number of instance-norm weights (scales and shifts) of m. */
int imp_style_norm_weight_count(const struct imp_model *m);

/* Sets the stylizer's norm weights to sum_i weights[i] * styles[i]'s (the
 * weights are used as given: 1 in total keeps the scale of the styles).
 * styles[0] names the weights; all must be one network. */
int imp_style_mix(struct imp_stylizer *s, const struct imp_model *const *styles,
                  const float *weights, int n, char *why, size_t why_size);

/* One ingredient of a mix: style `style` of a multi-style network (set
 * read from model), or, with set NULL, a single-style file's own norm
 * weights. */
struct imp_style_part {
    const struct imp_model *model;
    const struct imp_style_set *set;
    int style;
    float weight;
};

/* Sets the stylizer's live norm weights (those of `live`: a multi-style
 * network's impasto.styles.params, or with live NULL the norm inputs of
 * parts[0].model) to sum_i parts[i].weight * parts[i]'s. Costs the size of
 * the norm weights: no re-planning. */
int imp_style_mix_parts(struct imp_stylizer *s, const struct imp_style_set *live,
                        const struct imp_style_part *parts, int n, char *why,
                        size_t why_size);

#endif
