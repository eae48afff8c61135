/* Decode -> predictors -> ordered blend + encode (see video_pipeline.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stylize.h"
#include "temporal.h"
#include "video_pipeline.h"

#define MAX_PREDICTORS 64

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_RUNNING, SLOT_DONE };

struct slot {
    enum slot_state state;
    int64_t seq;
    struct imp_video_frame frame; /* source at processing size, + audio */
    uint8_t *styled;
    int cut;           /* this frame starts a scene */
    int64_t last_cut;  /* seq of the latest cut at or before this frame */
    double *measured;  /* mean then var, 2 x count: what this frame measured */
};

struct pipeline {
    const struct video_pipeline_config *c;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* any slot or counter changed: waiters re-check */
    struct slot *ring;
    int n_ring;
    int64_t next_run, next_write;
    int64_t folded;     /* S_0 .. S_{folded-1} are known */
    int64_t end;        /* frames in all, once decoding ended; else -1 */
    double *states;     /* S_k at (k % n_ring) * 2 * count */
    size_t count;       /* norm statistics entries (0: not known yet) */
    double norm_weight;
    int failed;
    char err[512];
};

double video_norm_weight(float stabilize)
{
    return 0.9 * (double)stabilize;
}

float video_blend_weight(float stabilize)
{
    return 0.85f * stabilize;
}

static void fail(struct pipeline *p, const char *msg)
{
    pthread_mutex_lock(&p->lock);
    if (!p->failed) {
        p->failed = 1;
        snprintf(p->err, sizeof p->err, "%s", msg);
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

static struct slot *slot_of(struct pipeline *p, int64_t seq)
{
    return &p->ring[seq % p->n_ring];
}

static double *state_of(struct pipeline *p, int64_t seq)
{
    return p->states + (size_t)(seq % p->n_ring) * 2 * p->count;
}

/* Folds every finished frame into the statistics chain, in order. Called
 * with the lock held. */
static void fold(struct pipeline *p)
{
    while (p->folded < p->next_run) {
        struct slot *s = slot_of(p, p->folded);
        if (s->state != SLOT_DONE || s->seq != p->folded)
            return;
        if (p->count && s->frame.rgb) {
            double *now = state_of(p, p->folded);
            size_t n = 2 * p->count;
            if (s->cut || p->folded == 0) {
                memcpy(now, s->measured, n * sizeof *now);
            } else {
                const double *before = state_of(p, p->folded - 1);
                double w = p->norm_weight;
                for (size_t i = 0; i < n; i++)
                    now[i] = w * before[i] + (1 - w) * s->measured[i];
            }
        }
        p->folded++;
    }
}

/* ---- predictors --------------------------------------------------------------- */

struct worker {
    struct pipeline *p;
    void *effect;             /* this thread's instance of the frame effect */
    struct imp_stylizer *st;  /* its stylizer, or NULL */
    struct imp_predictor *pred; /* the stylizer's */
    double *held; /* 2 x count */
    pthread_t thread;
};

/* Before frame `seq` runs: the statistics it starts from (lock held;
 * returns -1 when the pipeline failed while waiting). */
static int take_state(struct worker *wk, struct slot *s, int *reset)
{
    struct pipeline *p = wk->p;
    int64_t k = s->seq;
    int P = p->c->predictors;
    *reset = s->cut || k == 0;
    if (*reset)
        return 0;
    int64_t base = s->last_cut > k - P ? k - 1 : k - P;
    while (p->folded <= base && !p->failed)
        pthread_cond_wait(&p->changed, &p->lock);
    if (p->failed)
        return -1;
    memcpy(wk->held, state_of(p, base), 2 * p->count * sizeof *wk->held);
    return 0;
}

/* Plans for frames of w x h and makes room for the statistics chain; *use
 * says whether this frame takes part in it (not when the model has no
 * instance norm). Tiled frames do: the stylizer smooths the whole-picture
 * statistics its tiles share. */
static int stats_ready(struct worker *wk, int w, int h, int *use, char *err,
                       size_t err_size)
{
    struct pipeline *p = wk->p;
    *use = 0;
    if (imp_stylizer_prepare(wk->st, w, h, NULL, err, err_size))
        return -1;
    size_t count = 0;
    if (imp_predictor_norm_stats_count(wk->pred, &count) != IMP_OK) {
        snprintf(err, err_size, "the style model: %s", imp_predictor_last_error(wk->pred));
        return -1;
    }
    if (count == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    if (p->count == 0) {
        p->states = calloc((size_t)p->n_ring * 2 * count, sizeof *p->states);
        for (int i = 0; i < p->n_ring && p->states; i++) {
            p->ring[i].measured = calloc(2 * count, sizeof(double));
            if (!p->ring[i].measured) {
                free(p->states);
                p->states = NULL;
            }
        }
        if (p->states)
            p->count = count;
    }
    int ok = p->count == count;
    pthread_mutex_unlock(&p->lock);
    if (ok && !wk->held)
        ok = (wk->held = calloc(2 * count + 1, sizeof *wk->held)) != NULL;
    if (!ok) {
        snprintf(err, err_size, "out of memory for the norm statistics");
        return -1;
    }
    *use = 1;
    return 0;
}

static int apply(struct worker *wk, struct slot *s, char *err, size_t err_size)
{
    const struct imp_frame_effect *e = wk->p->c->effect;
    const struct imp_video_frame *f = &s->frame;
    char note[128];
    return e->apply(wk->effect, f->rgb, f->width, f->height, s->styled, note, sizeof note,
                    err, err_size);
}

static int run_frame(struct worker *wk, struct slot *s, int smoothed, char *err,
                     size_t err_size)
{
    struct pipeline *p = wk->p;
    if (!smoothed)
        return apply(wk, s, err, err_size);
    int reset = 0, rc = 0;
    pthread_mutex_lock(&p->lock);
    size_t n = p->count;
    rc = take_state(wk, s, &reset);
    pthread_mutex_unlock(&p->lock);
    if (rc)
        return -1;
    if (reset)
        imp_predictor_reset_norm_stats(wk->pred);
    else if (imp_predictor_set_norm_stats(wk->pred, wk->held, wk->held + n, n) != IMP_OK)
        goto library_error;
    if (apply(wk, s, err, err_size))
        return -1;
    if (imp_stylizer_measured_norm_stats(wk->st, s->measured, s->measured + n, n, err,
                                         err_size))
        return -1;
    return 0;
library_error:
    snprintf(err, err_size, "the style model: %s", imp_predictor_last_error(wk->pred));
    return -1;
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct pipeline *p = wk->p;
    int smoothed = p->c->stabilize > 0 && wk->st;
    char err[512];
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct slot *s = NULL;
        for (;;) {
            if (p->failed || (p->end >= 0 && p->next_run >= p->end))
                break;
            struct slot *c = slot_of(p, p->next_run);
            if (c->state == SLOT_READY && c->seq == p->next_run) {
                s = c;
                s->state = SLOT_RUNNING;
                p->next_run++;
                break;
            }
            pthread_cond_wait(&p->changed, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        if (!s)
            return NULL;
        if (s->frame.rgb && p->c->effect) {
            /* Strength and colours are the effect's: done before the
             * temporal blend, which then compares like with like. */
            int use = 0;
            if ((smoothed && stats_ready(wk, s->frame.width, s->frame.height, &use, err,
                                         sizeof err)) ||
                run_frame(wk, s, use, err, sizeof err)) {
                fail(p, err);
                return NULL;
            }
        }
        pthread_mutex_lock(&p->lock);
        s->state = SLOT_DONE;
        fold(p);
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
}

/* ---- blend and encode, in order ------------------------------------------------ */

struct encoder {
    struct pipeline *p;
    pthread_t thread;
    uint8_t *prev_out, *prev_src;
    uint8_t *effect_out; /* the effect's output, swapped with the slot's */
    size_t effect_bytes;
    uint8_t *side;       /* the side video's frame */
    size_t side_bytes;
    float *work;
    int have_prev, prev_w, prev_h;
    int64_t written;
};

/* The ordered effect on the frame (the slot's styled picture, or its
 * source without a style), its result left in s->styled. */
static int apply_ordered_effect(struct encoder *e, struct slot *s, char *err, size_t err_size)
{
    const struct imp_video_frame *f = &s->frame;
    size_t bytes = (size_t)f->width * f->height * 3;
    if (e->effect_bytes != bytes) {
        free(e->effect_out);
        e->effect_out = malloc(bytes);
        e->effect_bytes = e->effect_out ? bytes : 0;
        if (!e->effect_out) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
    }
    const uint8_t *src = e->p->c->effect ? s->styled : f->rgb;
    if (e->p->c->ordered_effect(e->p->c->ordered_ctx, src, e->effect_out, f->width,
                                f->height, s->cut, err, err_size))
        return -1;
    uint8_t *t = s->styled; /* of the same size: decode() sized it */
    s->styled = e->effect_out;
    e->effect_out = t;
    return 0;
}

/* The side video's frame for s, drawn by the caller, written with the
 * frame's timestamp (its audio went to the main video). */
static int write_side(struct encoder *e, const struct slot *s, char *err, size_t err_size)
{
    const struct video_pipeline_config *c = e->p->c;
    struct imp_video_frame f = s->frame;
    size_t bytes = (size_t)f.width * f.height * 3;
    if (e->side_bytes != bytes) {
        free(e->side);
        e->side = malloc(bytes);
        e->side_bytes = e->side ? bytes : 0;
        if (!e->side) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
    }
    if (c->side_frame(c->side_ctx, e->side, f.width, f.height, err, err_size))
        return -1;
    f.rgb = e->side;
    f.audio = NULL;
    return imp_video_writer_write(c->side_writer, &f, err, err_size);
}

/* Pulls the frame towards the previous output where the source is still. */
static int blend(struct encoder *e, struct slot *s)
{
    const struct imp_video_frame *f = &s->frame;
    float amount = video_blend_weight(e->p->c->stabilize);
    if (amount <= 0)
        return 0;
    if (e->have_prev && e->prev_w == f->width && e->prev_h == f->height && !s->cut) {
        imp_temporal_blend(s->styled, e->prev_out, f->rgb, e->prev_src, f->width,
                           f->height, amount, e->work);
        return 0;
    }
    free(e->work);
    e->work = malloc(imp_temporal_work_size(f->width, f->height) * sizeof *e->work);
    e->have_prev = 0;
    return e->work ? 0 : -1;
}

/* After writing: the frame becomes the previous one. Its buffers are
 * swapped with the encoder's rather than copied (the slot frees or reuses
 * what it gets back, which has the same size). */
static void keep(struct encoder *e, struct slot *s)
{
    if (video_blend_weight(e->p->c->stabilize) <= 0)
        return;
    uint8_t *t = e->prev_out;
    e->prev_out = s->styled;
    s->styled = t;
    t = e->prev_src;
    e->prev_src = s->frame.rgb;
    s->frame.rgb = t;
    if (!e->have_prev || e->prev_w != s->frame.width || e->prev_h != s->frame.height) {
        /* What came back is of another size (or nothing): not for reuse. */
        free(s->styled);
        s->styled = NULL;
    }
    e->prev_w = s->frame.width;
    e->prev_h = s->frame.height;
    e->have_prev = 1;
}

static void *encoder_main(void *arg)
{
    struct encoder *e = arg;
    struct pipeline *p = e->p;
    char err[512];
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct slot *s = NULL;
        for (;;) {
            if (p->failed || (p->end >= 0 && p->next_write >= p->end))
                break;
            struct slot *c = slot_of(p, p->next_write);
            if (c->state == SLOT_DONE && c->seq == p->next_write &&
                p->folded > p->next_write) {
                s = c;
                break;
            }
            pthread_cond_wait(&p->changed, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        if (!s)
            return NULL;
        struct imp_video_frame out = s->frame;
        if (s->frame.rgb) {
            if (p->c->ordered_effect && apply_ordered_effect(e, s, err, sizeof err)) {
                fail(p, err);
                return NULL;
            }
            if (blend(e, s)) {
                fail(p, "out of memory");
                return NULL;
            }
            out.rgb = s->styled;
        }
        if (imp_video_writer_write(p->c->writer, &out, err, sizeof err) ||
            (s->frame.rgb && p->c->side_writer && write_side(e, s, err, sizeof err))) {
            fail(p, err);
            return NULL;
        }
        if (s->frame.rgb) {
            keep(e, s);
            e->written++;
            if (p->c->progress)
                p->c->progress(p->c->progress_ctx, e->written);
        }
        pthread_mutex_lock(&p->lock);
        imp_video_frame_free(&s->frame);
        s->state = SLOT_FREE;
        p->next_write++;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
}

/* ---- decode (the calling thread) -------------------------------------------------- */

/* Waits for the slot of `seq` to be free; NULL when the pipeline failed. */
static struct slot *free_slot(struct pipeline *p, int64_t seq)
{
    pthread_mutex_lock(&p->lock);
    struct slot *s = slot_of(p, seq);
    while (s->state != SLOT_FREE && !p->failed)
        pthread_cond_wait(&p->changed, &p->lock);
    int failed = p->failed;
    pthread_mutex_unlock(&p->lock);
    return failed ? NULL : s;
}

static void publish(struct pipeline *p, struct slot *s)
{
    pthread_mutex_lock(&p->lock);
    s->state = SLOT_READY;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

static void end_at(struct pipeline *p, int64_t end)
{
    pthread_mutex_lock(&p->lock);
    p->end = end;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

static void decode(struct pipeline *p, struct video_pipeline_result *r)
{
    const struct video_pipeline_config *c = p->c;
    uint8_t *prev = NULL;
    size_t prev_bytes = 0;
    int64_t seq = 0, last_cut = 0;
    char err[512];
    for (;;) {
        if (c->stop && *c->stop) {
            r->interrupted = 1;
            break;
        }
        struct imp_video_frame f;
        int rc = imp_video_reader_next(c->reader, &f, err, sizeof err);
        if (rc < 0) {
            fail(p, err);
            break;
        }
        struct slot *s = free_slot(p, seq);
        if (!s) {
            imp_video_frame_free(&f);
            break;
        }
        s->seq = seq;
        s->frame = f;
        s->cut = 0;
        if (f.rgb) {
            size_t bytes = (size_t)f.width * f.height * 3;
            s->styled = realloc(s->styled, bytes);
            if (!s->styled) {
                imp_video_frame_free(&s->frame);
                fail(p, "out of memory");
                break;
            }
            if (seq > 0 && (bytes != prev_bytes ||
                            imp_temporal_cut_score(prev, f.rgb, f.width, f.height) >
                                IMP_TEMPORAL_CUT)) {
                s->cut = 1;
                last_cut = seq;
                r->cuts++;
            }
            if (bytes != prev_bytes) {
                free(prev);
                prev = malloc(bytes);
                prev_bytes = prev ? bytes : 0;
            }
            if (prev)
                memcpy(prev, f.rgb, bytes);
        }
        s->last_cut = last_cut;
        publish(p, s);
        seq++;
        if (rc == 0) /* the audio after the last frame went in a slot of its own */
            break;
    }
    free(prev);
    end_at(p, seq);
}

int video_pipeline_run(const struct video_pipeline_config *c,
                       struct video_pipeline_result *r, char *err, size_t err_size)
{
    memset(r, 0, sizeof *r);
    int P = c->predictors < 1 ? 1 : c->predictors > MAX_PREDICTORS ? MAX_PREDICTORS
                                                                    : c->predictors;
    struct video_pipeline_config cfg = *c;
    cfg.predictors = P;
    struct pipeline p;
    memset(&p, 0, sizeof p);
    p.c = &cfg;
    p.end = -1;
    p.norm_weight = video_norm_weight(c->stabilize);
    /* Enough slots for every predictor, the encoder and a frame decoded
     * ahead; the statistics ring needs P + 2. */
    p.n_ring = 2 * P + 4;
    p.ring = calloc((size_t)p.n_ring, sizeof *p.ring);
    struct worker *workers = calloc((size_t)P, sizeof *workers);
    struct encoder enc;
    memset(&enc, 0, sizeof enc);
    enc.p = &p;
    int rc = 0;
    if (!p.ring || !workers) {
        snprintf(err, err_size, "out of memory");
        rc = -1;
        goto done;
    }
    for (int i = 0; i < P; i++) {
        struct worker *wk = &workers[i];
        wk->p = &p;
        if (!c->effect) /* the ordered effect alone: the workers pass frames on */
            continue;
        wk->effect = c->effect->start(c->effect->shared, c->threads, err, err_size);
        if (!wk->effect) {
            rc = -1;
            goto done;
        }
        wk->st = imp_frame_effect_stylizer(c->effect, wk->effect);
        wk->pred = wk->st ? imp_stylizer_predictor(wk->st) : NULL;
        if (wk->st && c->stabilize > 0 &&
            imp_stylizer_set_norm_stats_mode(wk->st, IMP_NORM_STATS_SMOOTHED, p.norm_weight,
                                             err, err_size)) {
            rc = -1;
            goto done;
        }
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    int started = 0, enc_started = 0;
    for (; started < P; started++)
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]))
            break;
    if (started == P)
        enc_started = pthread_create(&enc.thread, NULL, encoder_main, &enc) == 0;
    if (started < P || !enc_started)
        fail(&p, "cannot start the pipeline's threads");
    else
        decode(&p, r);
    end_at(&p, p.end >= 0 ? p.end : 0);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    if (enc_started)
        pthread_join(enc.thread, NULL);
    r->frames = enc.written;
    if (p.failed) {
        snprintf(err, err_size, "%s", p.err);
        rc = -1;
    }
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.lock);
done:
    for (int i = 0; workers && i < P; i++) {
        if (workers[i].effect)
            c->effect->stop(workers[i].effect);
        free(workers[i].held);
    }
    for (int i = 0; p.ring && i < p.n_ring; i++) {
        imp_video_frame_free(&p.ring[i].frame);
        free(p.ring[i].styled);
        free(p.ring[i].measured);
    }
    free(p.ring);
    free(p.states);
    free(workers);
    free(enc.prev_out);
    free(enc.prev_src);
    free(enc.work);
    free(enc.effect_out);
    free(enc.side);
    return rc;
}
