#include "formats/fb.h"

#include <string.h>

/* Little-endian loads, byte by byte: no alignment or host-order
 * assumptions. Callers have checked the range. */
static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32);
}

static float ldf32(const uint8_t *p)
{
    uint32_t u = ld32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void mark_bad(struct imp_fb *fb, size_t at, const char *what)
{
    if (!fb->bad) {
        fb->bad = true;
        fb->bad_at = at;
        fb->bad_what = what;
    }
}

/* [pos, pos + len) lies inside the buffer (overflow-safe). */
static bool in_range(const struct imp_fb *fb, size_t pos, uint64_t len)
{
    return pos <= fb->size && len <= (uint64_t)(fb->size - pos);
}

void imp_fb_init(struct imp_fb *fb, const uint8_t *data, size_t size)
{
    memset(fb, 0, sizeof *fb);
    fb->data = data;
    fb->size = data ? size : 0;
    /* Honest readers resolve each table a handful of times; a table takes
     * at least 4 bytes. Sharing tricks beyond that are refused. */
    fb->budget = (uint64_t)fb->size * 4 + 4096;
}

static bool table_at(struct imp_fb *fb, size_t pos, int depth,
                     struct imp_fb_table *out)
{
    memset(out, 0, sizeof *out);
    if (fb->bad)
        return false;
    if (depth > IMP_FB_MAX_DEPTH) {
        mark_bad(fb, pos, "tables nested too deeply");
        return false;
    }
    if (fb->budget == 0) {
        mark_bad(fb, pos, "too many table references");
        return false;
    }
    fb->budget--;
    if (!in_range(fb, pos, 4)) {
        mark_bad(fb, pos, "table offset past the end");
        return false;
    }
    int32_t soff = (int32_t)ld32(fb->data + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_range(fb, (size_t)vt, 4)) {
        mark_bad(fb, pos, "vtable offset out of range");
        return false;
    }
    uint16_t vt_size = ld16(fb->data + vt);
    uint16_t obj_size = ld16(fb->data + vt + 2);
    if (vt_size < 4 || (vt_size & 1) || !in_range(fb, (size_t)vt, vt_size)) {
        mark_bad(fb, (size_t)vt, "vtable size invalid or past the end");
        return false;
    }
    if (obj_size < 4 || !in_range(fb, pos, obj_size)) {
        mark_bad(fb, pos, "table size invalid or past the end");
        return false;
    }
    *out = (struct imp_fb_table){.fb = fb, .pos = pos, .vt = (size_t)vt,
                                 .vt_size = vt_size, .obj_size = obj_size,
                                 .depth = depth};
    return true;
}

bool imp_fb_root(struct imp_fb *fb, const char *ident, struct imp_fb_table *out)
{
    memset(out, 0, sizeof *out);
    if (!in_range(fb, 0, 8)) {
        mark_bad(fb, 0, "file shorter than a flatbuffer header");
        return false;
    }
    if (ident && memcmp(fb->data + 4, ident, 4) != 0) {
        mark_bad(fb, 4, "file identifier does not match");
        return false;
    }
    return table_at(fb, ld32(fb->data), 0, out);
}

/* Byte offset of field `id` holding `width` bytes, or 0 when absent. */
static size_t field_pos(const struct imp_fb_table *t, int id, uint32_t width)
{
    if (!t->fb || t->fb->bad || id < 0)
        return 0;
    uint32_t slot = 4u + 2u * (uint32_t)id;
    if (slot + 2u > t->vt_size)
        return 0;
    uint16_t fo = ld16(t->fb->data + t->vt + slot);
    if (fo == 0)
        return 0;
    /* The field must lie in the inline object, after the soffset. */
    if (fo < 4 || (uint32_t)fo + width > t->obj_size) {
        mark_bad(t->fb, t->vt + slot, "field lies outside its table");
        return 0;
    }
    return t->pos + fo;
}

bool imp_fb_has(const struct imp_fb_table *t, int id)
{
    return field_pos(t, id, 1) != 0;
}

uint8_t imp_fb_u8(const struct imp_fb_table *t, int id, uint8_t dflt)
{
    size_t p = field_pos(t, id, 1);
    return p ? t->fb->data[p] : dflt;
}

int8_t imp_fb_i8(const struct imp_fb_table *t, int id, int8_t dflt)
{
    size_t p = field_pos(t, id, 1);
    return p ? (int8_t)t->fb->data[p] : dflt;
}

bool imp_fb_bool(const struct imp_fb_table *t, int id, bool dflt)
{
    size_t p = field_pos(t, id, 1);
    return p ? t->fb->data[p] != 0 : dflt;
}

int32_t imp_fb_i32(const struct imp_fb_table *t, int id, int32_t dflt)
{
    size_t p = field_pos(t, id, 4);
    return p ? (int32_t)ld32(t->fb->data + p) : dflt;
}

uint32_t imp_fb_u32(const struct imp_fb_table *t, int id, uint32_t dflt)
{
    size_t p = field_pos(t, id, 4);
    return p ? ld32(t->fb->data + p) : dflt;
}

int64_t imp_fb_i64(const struct imp_fb_table *t, int id, int64_t dflt)
{
    size_t p = field_pos(t, id, 8);
    return p ? (int64_t)ld64(t->fb->data + p) : dflt;
}

uint64_t imp_fb_u64(const struct imp_fb_table *t, int id, uint64_t dflt)
{
    size_t p = field_pos(t, id, 8);
    return p ? ld64(t->fb->data + p) : dflt;
}

float imp_fb_f32(const struct imp_fb_table *t, int id, float dflt)
{
    size_t p = field_pos(t, id, 4);
    return p ? ldf32(t->fb->data + p) : dflt;
}

/* Follow the uoffset stored at byte `at`; 0 on failure. Offsets point
 * forward only, so a zero offset (pointing at itself) is refused too. */
static size_t follow(struct imp_fb *fb, size_t at)
{
    uint32_t off = ld32(fb->data + at);
    if (off == 0 || !in_range(fb, at, (uint64_t)off + 1)) {
        mark_bad(fb, at, "offset points past the end");
        return 0;
    }
    return at + off;
}

bool imp_fb_table(const struct imp_fb_table *t, int id, struct imp_fb_table *out)
{
    /* `out` may be `t` itself (walking down a chain). */
    struct imp_fb *fb = t->fb;
    int depth = t->depth;
    size_t p = field_pos(t, id, 4);
    memset(out, 0, sizeof *out);
    if (!p)
        return false;
    size_t target = follow(fb, p);
    return target && table_at(fb, target, depth + 1, out);
}

static bool vector_at(struct imp_fb *fb, size_t at, uint32_t elem, int depth,
                      struct imp_fb_vec *out)
{
    if (!in_range(fb, at, 4)) {
        mark_bad(fb, at, "vector offset past the end");
        return false;
    }
    uint32_t n = ld32(fb->data + at);
    if (!in_range(fb, at + 4, (uint64_t)n * elem)) {
        mark_bad(fb, at, "vector runs past the end");
        return false;
    }
    *out = (struct imp_fb_vec){.fb = fb, .pos = at + 4, .n = n, .elem = elem,
                               .depth = depth};
    return true;
}

bool imp_fb_vector(const struct imp_fb_table *t, int id, uint32_t elem,
                   struct imp_fb_vec *out)
{
    memset(out, 0, sizeof *out);
    out->fb = t->fb;
    out->elem = elem;
    size_t p = field_pos(t, id, 4);
    if (!p)
        return false;
    size_t target = follow(t->fb, p);
    return target && vector_at(t->fb, target, elem, t->depth, out);
}

bool imp_fb_string(const struct imp_fb_table *t, int id, const char **s,
                   size_t *len)
{
    *s = NULL;
    *len = 0;
    struct imp_fb_vec v;
    if (!imp_fb_vector(t, id, 1, &v))
        return false;
    /* The terminating NUL must be inside the buffer too. */
    if (!in_range(t->fb, v.pos, (uint64_t)v.n + 1) || t->fb->data[v.pos + v.n]) {
        mark_bad(t->fb, v.pos, "string not terminated");
        return false;
    }
    *s = (const char *)t->fb->data + v.pos;
    *len = v.n;
    return true;
}

uint8_t imp_fb_union(const struct imp_fb_table *t, int id,
                     struct imp_fb_table *out, bool *present)
{
    *present = false;
    uint8_t type = imp_fb_u8(t, id, 0);
    if (type != 0)
        *present = imp_fb_table(t, id + 1, out);
    else
        memset(out, 0, sizeof *out);
    return type;
}

/* Element i's position, or 0 (and bad) when i is out of range. */
static size_t elem_pos(const struct imp_fb_vec *v, uint32_t i, uint32_t width)
{
    if (!v->fb || v->fb->bad)
        return 0;
    if (i >= v->n || width > v->elem) {
        mark_bad(v->fb, v->pos, "vector index out of range");
        return 0;
    }
    return v->pos + (size_t)i * v->elem;
}

uint8_t imp_fb_vec_u8(const struct imp_fb_vec *v, uint32_t i)
{
    size_t p = elem_pos(v, i, 1);
    return p ? v->fb->data[p] : 0;
}

int32_t imp_fb_vec_i32(const struct imp_fb_vec *v, uint32_t i)
{
    size_t p = elem_pos(v, i, 4);
    return p ? (int32_t)ld32(v->fb->data + p) : 0;
}

int64_t imp_fb_vec_i64(const struct imp_fb_vec *v, uint32_t i)
{
    size_t p = elem_pos(v, i, 8);
    return p ? (int64_t)ld64(v->fb->data + p) : 0;
}

float imp_fb_vec_f32(const struct imp_fb_vec *v, uint32_t i)
{
    size_t p = elem_pos(v, i, 4);
    return p ? ldf32(v->fb->data + p) : 0.0f;
}

bool imp_fb_vec_table(const struct imp_fb_vec *v, uint32_t i,
                      struct imp_fb_table *out)
{
    size_t p = elem_pos(v, i, 4);
    memset(out, 0, sizeof *out);
    if (!p)
        return false;
    size_t target = follow(v->fb, p);
    return target && table_at(v->fb, target, v->depth + 1, out);
}

const uint8_t *imp_fb_vec_data(const struct imp_fb_vec *v)
{
    return v->fb && v->n ? v->fb->data + v->pos : NULL;
}
