/* See png_write.h.
 *
 * A PNG's pixels are one zlib stream of filtered rows (a filter byte, then
 * the row), cut into IDAT chunks. Deflate streams concatenate: a raw
 * deflate stream ended with Z_SYNC_FLUSH stops on a byte boundary without
 * closing the stream, so strips of rows can be deflated independently, on
 * their own threads, and laid end to end, the last ended with Z_FINISH.
 * The zlib wrapper around them is a two-byte header and the Adler-32 of
 * all the filtered bytes, which adler32_combine builds from the strips'
 * own. The Up filter reads the raw row above, not a filtered one, so a
 * strip needs nothing from its neighbour's work.
 *
 * Why Up and Z_RLE: measured on 12-13 MP photos (BENCHMARKS.md,
 * 2026-12-08), Up costs ~35 ms per 12 MP and vectorizes; zlib's run-length
 * strategy then deflates its residues faster than level 1 with the default
 * strategy, to files within 5% of level 3's (which takes twice the time).
 * libpng's FAST flag used no filter at level 3: files 40-50% larger.
 * Paeth gave files 6-15% smaller than Up for 4x the filter time, Sub and
 * Average larger or at most 4% smaller: not worth it for a fast writer.
 */
#include "png_write.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "image.h"

#define PNG_FILTER_UP 2
/* Filtered bytes handed to deflate at a time: stays in cache. */
#define BATCH_BYTES (256u << 10)
/* A strip's worth of work: below it a thread costs more than it saves. */
#define MIN_STRIP_BYTES (1u << 20)
#define MAX_STRIPS 16
/* IDAT chunks are cut at this size (any size is valid). */
#define IDAT_BYTES (1u << 20)

struct strip {
    const struct imp_image *img;
    int first_row, end_row;
    int last;       /* ends the stream: Z_FINISH rather than Z_SYNC_FLUSH */
    uint8_t *out;   /* raw deflate bytes, out_size of them */
    size_t out_size;
    uLong adler;    /* of the filtered bytes (raw_size of them) */
    size_t raw_size;
    const char *failed; /* NULL, or why */
};

/* Row y as PNG stores it with the Up filter: a filter byte, then each byte
 * minus the byte above it (the first row has zeros above it). */
static void filter_up(uint8_t *dst, const struct imp_image *img, int y, size_t stride)
{
    const uint8_t *row = img->pixels + (size_t)y * stride;
    dst[0] = PNG_FILTER_UP;
    if (y == 0) {
        memcpy(dst + 1, row, stride);
        return;
    }
    const uint8_t *above = row - stride;
    for (size_t x = 0; x < stride; x++)
        dst[1 + x] = (uint8_t)(row[x] - above[x]);
}

/* Gives deflate more room to write into when it has filled s->out. */
static int grow_output(struct strip *s, z_stream *z, size_t *cap)
{
    size_t used = *cap - z->avail_out;
    size_t bigger = *cap * 2;
    uint8_t *p = realloc(s->out, bigger);
    if (!p)
        return -1;
    s->out = p;
    *cap = bigger;
    z->next_out = p + used;
    z->avail_out = (uInt)(bigger - used);
    return 0;
}

/* Deflates `n` bytes with `flush`, growing the output as needed. */
static int deflate_all(struct strip *s, z_stream *z, size_t *cap, uint8_t *in, size_t n,
                       int flush)
{
    z->next_in = in;
    z->avail_in = (uInt)n;
    for (;;) {
        if (z->avail_out == 0 && grow_output(s, z, cap) != 0) {
            s->failed = "out of memory";
            return -1;
        }
        int rc = deflate(z, flush);
        if (rc == Z_STREAM_ERROR) {
            s->failed = "zlib failed to deflate";
            return -1;
        }
        if (flush == Z_FINISH ? rc == Z_STREAM_END : z->avail_in == 0 && z->avail_out > 0)
            return 0;
    }
}

/* One strip's rows filtered and deflated into s->out (a thread's work). */
static void *deflate_strip(void *arg)
{
    struct strip *s = arg;
    const struct imp_image *img = s->img;
    size_t stride = (size_t)img->width * img->channels, line = stride + 1;
    size_t batch_rows = BATCH_BYTES / line > 0 ? BATCH_BYTES / line : 1;
    s->raw_size = (size_t)(s->end_row - s->first_row) * line;
    s->adler = adler32(0L, Z_NULL, 0);

    z_stream z;
    memset(&z, 0, sizeof z);
    /* Raw deflate (negative window bits): the zlib header and trailer are
     * written once for the whole stream. Level 1 with Z_RLE: matches only
     * at distance 1, which is what filtered photo rows mostly offer. */
    if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK) {
        s->failed = "zlib could not start";
        return NULL;
    }
    size_t cap = deflateBound(&z, (uLong)s->raw_size) + 64;
    uint8_t *batch = malloc(batch_rows * line);
    s->out = malloc(cap);
    if (!batch || !s->out) {
        s->failed = "out of memory";
        goto done;
    }
    z.next_out = s->out;
    z.avail_out = (uInt)cap;
    for (int y = s->first_row; y < s->end_row;) {
        size_t rows = (size_t)(s->end_row - y) < batch_rows ? (size_t)(s->end_row - y)
                                                            : batch_rows;
        for (size_t r = 0; r < rows; r++)
            filter_up(batch + r * line, img, y + (int)r, stride);
        y += (int)rows;
        int flush = y < s->end_row ? Z_NO_FLUSH : s->last ? Z_FINISH : Z_SYNC_FLUSH;
        s->adler = adler32(s->adler, batch, (uInt)(rows * line));
        if (deflate_all(s, &z, &cap, batch, rows * line, flush) != 0)
            goto done;
    }
    s->out_size = cap - z.avail_out;
done:
    deflateEnd(&z);
    free(batch);
    return NULL;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One chunk: length, type, data, CRC-32 of type and data. */
static int write_chunk(FILE *f, const char *type, const uint8_t *data, size_t n)
{
    uint8_t head[8], tail[4];
    put_be32(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, head + 4, 4);
    if (n)
        crc = crc32(crc, data, (uInt)n);
    put_be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) &&
                   fwrite(tail, 1, 4, f) == 4
               ? 0
               : -1;
}

/* The zlib stream, gathered into IDAT chunks of IDAT_BYTES. */
struct idat {
    FILE *f;
    uint8_t *buf;
    size_t n;
    int failed;
};

static void idat_put(struct idat *w, const uint8_t *data, size_t n)
{
    while (n > 0 && !w->failed) {
        size_t take = IDAT_BYTES - w->n < n ? IDAT_BYTES - w->n : n;
        memcpy(w->buf + w->n, data, take);
        w->n += take;
        data += take;
        n -= take;
        if (w->n == IDAT_BYTES) {
            w->failed = write_chunk(w->f, "IDAT", w->buf, w->n) != 0;
            w->n = 0;
        }
    }
}

static void idat_end(struct idat *w)
{
    if (w->n > 0 && !w->failed)
        w->failed = write_chunk(w->f, "IDAT", w->buf, w->n) != 0;
    w->n = 0;
}

/* Strips for this picture: one per core, each of MIN_STRIP_BYTES or more. */
static int choose_strips(const struct imp_image *img)
{
    size_t bytes = ((size_t)img->width * img->channels + 1) * (size_t)img->height;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = bytes / MIN_STRIP_BYTES;
    if (cores > 0 && n > (size_t)cores)
        n = (size_t)cores;
    return n < 1 ? 1 : n > MAX_STRIPS ? MAX_STRIPS : (int)n;
}

static int write_file(FILE *f, const struct imp_image *img, struct strip *s, int n,
                      char *why, size_t why_size)
{
    static const uint8_t signature[8] = {137, 'P', 'N', 'G', '\r', '\n', 26, '\n'};
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)img->width);
    put_be32(ihdr + 4, (uint32_t)img->height);
    ihdr[8] = 8; /* bits per sample */
    ihdr[9] = img->channels == 1 ? 0 : img->channels == 4 ? 6 : 2; /* gray, RGBA, RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filters, no interlace */
    /* sRGB, perceptual intent: the pixels are sRGB (libpng's writer said
     * the same), so colour-managed viewers show them as before. */
    const uint8_t srgb[1] = {0};
    errno = 0;
    if (fwrite(signature, 1, 8, f) != 8 || write_chunk(f, "IHDR", ihdr, 13) != 0 ||
        write_chunk(f, "sRGB", srgb, 1) != 0)
        goto write_failed;

    struct idat w = {f, malloc(IDAT_BYTES), 0, 0};
    if (!w.buf) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    /* zlib header: deflate with a 32 KiB window (0x78), "fastest"
     * compression level, no preset dictionary; 0x7801 % 31 == 0. */
    const uint8_t zlib_head[2] = {0x78, 0x01};
    idat_put(&w, zlib_head, 2);
    uLong adler = adler32(0L, Z_NULL, 0);
    for (int i = 0; i < n; i++) {
        idat_put(&w, s[i].out, s[i].out_size);
        adler = adler32_combine(adler, s[i].adler, (z_off_t)s[i].raw_size);
    }
    uint8_t trailer[4];
    put_be32(trailer, (uint32_t)adler);
    idat_put(&w, trailer, 4);
    idat_end(&w);
    free(w.buf);
    if (w.failed || write_chunk(f, "IEND", NULL, 0) != 0)
        goto write_failed;
    return 0;
write_failed:
    snprintf(why, why_size, "cannot write: %s", strerror(errno ? errno : EIO));
    return -1;
}

int imp_png_write_strips(FILE *f, const struct imp_image *img, int strips, char *why,
                         size_t why_size)
{
    if ((img->channels != 1 && img->channels != 3 && img->channels != 4) ||
        img->width < 1 || img->height < 1 || !img->pixels ||
        (size_t)img->width * img->height > IMP_IMAGE_MAX_PIXELS) {
        snprintf(why, why_size, "cannot write a %dx%d picture of %d channels as PNG",
                 img->width, img->height, img->channels);
        return -1;
    }
    int n = strips > 0 ? strips : choose_strips(img);
    if (n > MAX_STRIPS)
        n = MAX_STRIPS;
    if (n > img->height)
        n = img->height;
    struct strip s[MAX_STRIPS];
    memset(s, 0, sizeof s);
    for (int i = 0; i < n; i++) {
        s[i].img = img;
        s[i].first_row = (int)((int64_t)img->height * i / n);
        s[i].end_row = (int)((int64_t)img->height * (i + 1) / n);
        s[i].last = i == n - 1;
    }
    /* Strips 1.. on threads of their own, strip 0 here; a thread that
     * cannot start has its strip done here too. */
    pthread_t threads[MAX_STRIPS];
    int started[MAX_STRIPS] = {0};
    for (int i = 1; i < n; i++)
        started[i] = pthread_create(&threads[i], NULL, deflate_strip, &s[i]) == 0;
    deflate_strip(&s[0]);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        else
            deflate_strip(&s[i]);
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (s[i].failed) {
            snprintf(why, why_size, "%s", s[i].failed);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = write_file(f, img, s, n, why, why_size);
    for (int i = 0; i < n; i++)
        free(s[i].out);
    return rc;
}

int imp_png_write(FILE *f, const struct imp_image *img, char *why, size_t why_size)
{
    return imp_png_write_strips(f, img, 0, why, why_size);
}
