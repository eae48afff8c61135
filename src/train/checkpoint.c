/*
 * Checkpoints: everything a training run needs to continue as if it had
 * never stopped, in one file:
 *   "IMPCKPT\0", u32 version (1), u32 0, u64 n_params, i64 step,
 *   u64 rng state, u64 tag, f64 lr, beta1, beta2, eps   (80 bytes, LE)
 *   params, Adam m, Adam v                               (3 x n float32)
 *   u32 CRC-32C of everything before it.
 * Written atomically; read as hostile (size, counts and CRC checked before
 * anything is copied into the caller's buffers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "formats/imp_format.h"
#include "impasto_train.h"
#include "core/file_atomic.h"

#define CK_MAGIC "IMPCKPT"
#define CK_VERSION 1
#define CK_HEADER 80

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void floats_le(uint8_t *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        imp_st32(dst + 4 * i, u);
    }
}

static void le_floats(float *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = imp_ld32(src + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
}

enum imp_status imp_checkpoint_save(const char *path, const struct imp_checkpoint *c,
                                    struct imp_error *err)
{
    const size_t n = c->n_params;
    if (!c->adam || !c->rng || c->adam->n != n)
        return imp_fail(err, IMP_ERR_ARGUMENT, "checkpoint: Adam state for %zu parameters "
                        "is missing", n);
    size_t size = CK_HEADER + 12 * n + 4;
    uint8_t *buf = malloc(size);
    if (!buf)
        return imp_fail(err, IMP_ERR_NOMEM, "checkpoint: out of memory");
    memset(buf, 0, CK_HEADER);
    memcpy(buf, CK_MAGIC, 8);
    imp_st32(buf + 8, CK_VERSION);
    imp_st64(buf + 16, n);
    imp_st64(buf + 24, (uint64_t)c->adam->step);
    imp_st64(buf + 32, c->rng->state);
    imp_st64(buf + 40, c->tag);
    imp_st64(buf + 48, f64_bits(c->adam->lr));
    imp_st64(buf + 56, f64_bits(c->adam->beta1));
    imp_st64(buf + 64, f64_bits(c->adam->beta2));
    imp_st64(buf + 72, f64_bits(c->adam->eps));
    floats_le(buf + CK_HEADER, c->params, n);
    floats_le(buf + CK_HEADER + 4 * n, c->adam->m, n);
    floats_le(buf + CK_HEADER + 8 * n, c->adam->v, n);
    imp_st32(buf + size - 4, imp_crc32c(buf, size - 4));
    int e = imp_write_file_atomic(path, buf, size);
    free(buf);
    if (e)
        return imp_fail(err, IMP_ERR_IO, "checkpoint %s: %s (nothing written)", path,
                        strerror(e));
    return IMP_OK;
}

enum imp_status imp_checkpoint_load(const char *path, struct imp_checkpoint *c,
                                    struct imp_error *err)
{
    const size_t n = c->n_params;
    if (!c->adam || !c->rng || c->adam->n != n)
        return imp_fail(err, IMP_ERR_ARGUMENT, "checkpoint: Adam state for %zu parameters "
                        "is missing", n);
    FILE *f = fopen(path, "rb");
    if (!f)
        return imp_fail(err, IMP_ERR_IO, "checkpoint %s: %s", path, strerror(errno));
    size_t size = CK_HEADER + 12 * n + 4;
    uint8_t *buf = malloc(size + 1);
    size_t got = buf ? fread(buf, 1, size + 1, f) : 0;
    fclose(f);
    if (!buf)
        return imp_fail(err, IMP_ERR_NOMEM, "checkpoint: out of memory");
    enum imp_status st = IMP_OK;
    if (got < CK_HEADER || memcmp(buf, CK_MAGIC, 8) != 0)
        st = imp_fail(err, IMP_ERR_FORMAT, "checkpoint %s: not an impasto checkpoint", path);
    else if (imp_ld32(buf + 8) != CK_VERSION)
        st = imp_fail(err, IMP_ERR_UNSUPPORTED, "checkpoint %s: version %u, this build reads %d",
                      path, imp_ld32(buf + 8), CK_VERSION);
    else if (imp_ld64(buf + 16) != n)
        st = imp_fail(err, IMP_ERR_FORMAT, "checkpoint %s: holds %llu parameters, the network "
                      "has %zu (another network or recipe?)", path,
                      (unsigned long long)imp_ld64(buf + 16), n);
    else if (got != size)
        st = imp_fail(err, IMP_ERR_FORMAT, "checkpoint %s: %zu bytes, expected %zu (truncated?)",
                      path, got, size);
    else if (imp_ld32(buf + size - 4) != imp_crc32c(buf, size - 4))
        st = imp_fail(err, IMP_ERR_FORMAT, "checkpoint %s: checksum mismatch (corrupt file)",
                      path);
    else if (imp_ld64(buf + 40) != c->tag)
        st = imp_fail(err, IMP_ERR_ARGUMENT, "checkpoint %s: written for another recipe", path);
    if (st == IMP_OK) {
        c->adam->step = (int64_t)imp_ld64(buf + 24);
        c->rng->state = imp_ld64(buf + 32);
        c->adam->lr = bits_f64(imp_ld64(buf + 48));
        c->adam->beta1 = bits_f64(imp_ld64(buf + 56));
        c->adam->beta2 = bits_f64(imp_ld64(buf + 64));
        c->adam->eps = bits_f64(imp_ld64(buf + 72));
        le_floats(c->params, buf + CK_HEADER, n);
        le_floats(c->adam->m, buf + CK_HEADER + 4 * n, n);
        le_floats(c->adam->v, buf + CK_HEADER + 8 * n, n);
    }
    free(buf);
    return st;
}
