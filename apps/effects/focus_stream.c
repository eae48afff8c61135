#include <stdlib.h>
#include <string.h>

#include "focus_stream.h"

struct imp_focus_stream {
    struct imp_focus *fx;
    struct imp_focus_stream_options opt;
    int mw, mh;
    imp_focus_segment_fn segment;
    void *ctx;
    float *input, *prev_input; /* this frame's and the previous frame's model input */
    float *ran_input;          /* the input the network last ran on */
    float *raw;                /* the network's last mask */
    float *smoothed;           /* what is rendered */
    int have_prev, skipped;
    struct imp_focus_stream_counts counts;
};

struct imp_focus_stream_options imp_focus_stream_options_default(void)
{
    struct imp_focus_stream_options o;
    o.focus = imp_focus_options_default();
    o.temporal = imp_mask_temporal_options_default();
    o.smooth = 1;
    o.max_skip = 2;
    o.still = 0.01f;
    return o;
}

struct imp_focus_stream *imp_focus_stream_create(int width, int height, int model_w,
                                                 int model_h,
                                                 const struct imp_focus_stream_options *o,
                                                 const struct imp_fx_parallel *par,
                                                 imp_focus_segment_fn segment, void *ctx)
{
    struct imp_focus_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->opt = o ? *o : imp_focus_stream_options_default();
    s->mw = model_w;
    s->mh = model_h;
    s->segment = segment;
    s->ctx = ctx;
    s->fx = imp_focus_create(width, height, model_w, model_h, &s->opt.focus, par);
    size_t n = s->fx ? (size_t)model_w * model_h : 0;
    if (!s->fx || !(s->input = malloc(sizeof(float) * n * 3)) ||
        !(s->prev_input = malloc(sizeof(float) * n * 3)) ||
        !(s->ran_input = malloc(sizeof(float) * n * 3)) ||
        !(s->raw = malloc(sizeof(float) * n)) || !(s->smoothed = malloc(sizeof(float) * n))) {
        imp_focus_stream_free(s);
        return NULL;
    }
    return s;
}

void imp_focus_stream_free(struct imp_focus_stream *s)
{
    if (!s)
        return;
    imp_focus_free(s->fx);
    free(s->input);
    free(s->prev_input);
    free(s->ran_input);
    free(s->raw);
    free(s->smoothed);
    free(s);
}

void imp_focus_stream_restart(struct imp_focus_stream *s)
{
    s->have_prev = 0;
}

int imp_focus_stream_frame(struct imp_focus_stream *s, const uint8_t *rgb, uint8_t *out,
                           char *err, size_t err_size)
{
    size_t n = (size_t)s->mw * s->mh;
    /* Whether the network may rest is known only from this frame's model
     * input: the guide first, then the network (with the guide's half of
     * the refinement beside it). */
    imp_focus_prepare(s->fx, rgb, s->input);
    int reuse = s->have_prev && s->skipped < s->opt.max_skip &&
                imp_mask_temporal_change(s->input, s->ran_input, s->mw, s->mh) < s->opt.still;
    if (reuse) {
        s->skipped++;
    } else {
        if (imp_focus_segment(s->fx, NULL, s->input, s->segment, s->ctx, s->raw, err,
                              err_size) != 0)
            return -1;
        memcpy(s->ran_input, s->input, sizeof(float) * n * 3);
        s->skipped = 0;
        s->counts.network_runs++;
    }
    if (s->have_prev && s->opt.smooth)
        imp_mask_temporal_step(s->smoothed, s->raw, s->input, s->prev_input, s->mw, s->mh,
                               &s->opt.temporal);
    else
        memcpy(s->smoothed, s->raw, sizeof(float) * n);
    imp_focus_render(s->fx, rgb, s->smoothed, out);
    /* This frame becomes the previous one: swap rather than copy. */
    float *t = s->prev_input;
    s->prev_input = s->input;
    s->input = t;
    s->have_prev = 1;
    s->counts.frames++;
    return 0;
}

struct imp_focus *imp_focus_stream_effect(struct imp_focus_stream *s)
{
    return s->fx;
}

const float *imp_focus_stream_model_mask(const struct imp_focus_stream *s)
{
    return s->smoothed;
}

struct imp_focus_stream_counts imp_focus_stream_counts(const struct imp_focus_stream *s)
{
    return s->counts;
}
