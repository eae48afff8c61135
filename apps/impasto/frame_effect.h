/*
 * Something done to each picture in memory, by one instance per thread:
 * the style of `impasto stylize` (a network, a blend, Magenta's pair) is
 * one, and the video and live pipelines call any effect of this shape, so
 * other effects (focus) plug in beside it.
 */
#ifndef IMP_CLI_FRAME_EFFECT_H
#define IMP_CLI_FRAME_EFFECT_H

#include <stddef.h>

struct imp_stylizer;

/* One picture: w x h interleaved 8-bit RGB into out (the same size). note
 * gets a short remark for summaries (may stay empty). Returns 0, or -1
 * with why. */
typedef int (*imp_frame_effect_fn)(void *instance, const unsigned char *rgb, int w, int h,
                                   unsigned char *out, char *note, size_t note_size,
                                   char *why, size_t why_size);

struct imp_frame_effect {
    void *shared; /* loaded once: models, style vectors */
    /* An instance for one thread, running with this many threads; NULL with
     * why. */
    void *(*start)(void *shared, int threads, char *why, size_t why_size);
    imp_frame_effect_fn apply;
    void (*stop)(void *instance);
    /* The style network behind an instance, or NULL when there is none:
     * video smooths its instance-norm statistics over time, live changes
     * its strength and colours. The field itself may be NULL. */
    struct imp_stylizer *(*stylizer)(void *instance);
    /* Moves an instance's strength (0..1) as a slider does: a network's
     * norm weights towards its identity style, and its blend with the
     * photo. 0, or -1 with why. NULL: the effect has no strength of its
     * own (then its stylizer's blend with the photo is the strength). */
    int (*set_strength)(void *instance, float strength, char *why, size_t why_size);
    void (*close)(void *shared); /* frees what shared holds; may be NULL */
    const char *label;           /* what it is, for messages */
};

/* The stylizer of an instance, or NULL. */
static inline struct imp_stylizer *imp_frame_effect_stylizer(const struct imp_frame_effect *e,
                                                             void *instance)
{
    return e->stylizer ? e->stylizer(instance) : NULL;
}

#endif
