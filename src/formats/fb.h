/*
 * A strict, read-only FlatBuffers accessor (no schema compiler, no
 * library): just enough to walk a TFLite model safely.
 *
 * Every offset is checked against the buffer before it is followed, reads
 * are byte-assembled (no alignment assumptions, little-endian on any
 * host), and nesting depth and the number of tables resolved are capped so
 * that a hostile file full of shared or self-referencing offsets cannot
 * make a reader loop or blow up.
 *
 * Errors are sticky: an access that meets malformed bytes returns the
 * default (or false), and records the first problem in the context; the
 * caller checks imp_fb_bad() at convenient points and reports
 * `what` and `at`. "Absent" (a field not written) is not an error.
 */
#ifndef IMP_FB_H
#define IMP_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tables nested deeper than this are rejected (TFLite needs about 5). */
#define IMP_FB_MAX_DEPTH 32

struct imp_fb {
    const uint8_t *data;
    size_t size;
    uint64_t budget;      /* table resolutions left before we give up */
    bool bad;             /* sticky: some access met malformed bytes   */
    size_t bad_at;        /* byte offset of the first problem          */
    const char *bad_what; /* static description of the first problem   */
};

/* A resolved table: its position, its vtable, and its nesting depth. */
struct imp_fb_table {
    struct imp_fb *fb;
    size_t pos;        /* start of the inline object (its soffset)    */
    size_t vt;         /* start of its vtable                         */
    uint16_t vt_size;  /* bytes in the vtable, header included        */
    uint16_t obj_size; /* bytes of the inline object                  */
    int depth;
};

/* A vector: `n` elements of `elem` bytes starting at byte `pos`. */
struct imp_fb_vec {
    struct imp_fb *fb;
    size_t pos;
    uint32_t n;
    uint32_t elem;
    int depth; /* of the table holding it, for its element tables */
};

void imp_fb_init(struct imp_fb *fb, const uint8_t *data, size_t size);
static inline bool imp_fb_bad(const struct imp_fb *fb) { return fb->bad; }

/* The root table. `ident` (4 bytes, or NULL) must match the file
 * identifier at bytes 4..7. */
bool imp_fb_root(struct imp_fb *fb, const char *ident, struct imp_fb_table *out);

/* Whether field `id` (0-based declaration index) is written. */
bool imp_fb_has(const struct imp_fb_table *t, int id);

/* Scalars: the default when the field is absent (or malformed). */
uint8_t imp_fb_u8(const struct imp_fb_table *t, int id, uint8_t dflt);
int8_t imp_fb_i8(const struct imp_fb_table *t, int id, int8_t dflt);
bool imp_fb_bool(const struct imp_fb_table *t, int id, bool dflt);
int32_t imp_fb_i32(const struct imp_fb_table *t, int id, int32_t dflt);
uint32_t imp_fb_u32(const struct imp_fb_table *t, int id, uint32_t dflt);
int64_t imp_fb_i64(const struct imp_fb_table *t, int id, int64_t dflt);
uint64_t imp_fb_u64(const struct imp_fb_table *t, int id, uint64_t dflt);
float imp_fb_f32(const struct imp_fb_table *t, int id, float dflt);

/* Sub-table in field `id`; false when absent or malformed. `out` may be
 * `t` itself. */
bool imp_fb_table(const struct imp_fb_table *t, int id, struct imp_fb_table *out);
/* Vector in field `id` with elements of `elem` bytes; an absent field
 * gives an empty vector and false. */
bool imp_fb_vector(const struct imp_fb_table *t, int id, uint32_t elem,
                   struct imp_fb_vec *out);
/* String in field `id` (NUL-terminated in the buffer, checked); *s points
 * into the buffer. False (and *s = NULL, *len = 0) when absent/malformed. */
bool imp_fb_string(const struct imp_fb_table *t, int id, const char **s,
                   size_t *len);
/* A union stored as fields `id` (type byte) and `id + 1` (table). Returns
 * the type (0 = NONE) and resolves the table when the type is not NONE. */
uint8_t imp_fb_union(const struct imp_fb_table *t, int id,
                     struct imp_fb_table *out, bool *present);

/* Vector elements; an index out of range marks the buffer bad. */
uint8_t imp_fb_vec_u8(const struct imp_fb_vec *v, uint32_t i);
int32_t imp_fb_vec_i32(const struct imp_fb_vec *v, uint32_t i);
int64_t imp_fb_vec_i64(const struct imp_fb_vec *v, uint32_t i);
float imp_fb_vec_f32(const struct imp_fb_vec *v, uint32_t i);
bool imp_fb_vec_table(const struct imp_fb_vec *v, uint32_t i,
                      struct imp_fb_table *out);
/* The vector's raw bytes (n * elem of them, all inside the buffer). */
const uint8_t *imp_fb_vec_data(const struct imp_fb_vec *v);

#endif
