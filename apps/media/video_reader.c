/* Video files in: demux, decode, convert to RGB (libavformat/codec/swscale). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <libavdevice/avdevice.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>

#include "video_internal.h"

/* Audio packets held between two frames: past this the file is not
 * interleaved in any sense we can keep, and the reader stops. */
#define MAX_PENDING_AUDIO 100000

void imp_video_quiet_logs(void)
{
    av_log_set_level(AV_LOG_QUIET);
}

int imp_video_size_ok(int width, int height)
{
    return width >= 1 && height >= 1 && width <= IMP_VIDEO_MAX_SIDE &&
           height <= IMP_VIDEO_MAX_SIDE && (size_t)width * height <= IMP_VIDEO_MAX_PIXELS;
}

enum AVPixelFormat imp_video_without_j(enum AVPixelFormat fmt, int *was_j)
{
    enum AVPixelFormat plain = fmt == AV_PIX_FMT_YUVJ420P   ? AV_PIX_FMT_YUV420P
                               : fmt == AV_PIX_FMT_YUVJ422P ? AV_PIX_FMT_YUV422P
                               : fmt == AV_PIX_FMT_YUVJ444P ? AV_PIX_FMT_YUV444P
                                                            : fmt;
    if (was_j)
        *was_j = plain != fmt;
    return plain;
}

const char *imp_av_error(int code, char *buf, size_t size)
{
    if (av_strerror(code, buf, size) < 0)
        snprintf(buf, size, "FFmpeg error %d", code);
    return buf;
}

int imp_video_fail(char *err, size_t size, const char *path, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(err, size, "%s: %s", path, why);
    return -1;
}

int imp_sws_scale_all(struct SwsContext *sws, const uint8_t *const src[],
                      const int src_stride[], int src_h, uint8_t *const dst[],
                      const int dst_stride[], int dst_h, char *why, size_t why_size)
{
    int rows = sws_scale(sws, src, src_stride, 0, src_h, dst, dst_stride);
    if (rows == dst_h)
        return 0;
    if (rows < 0)
        imp_av_error(rows, why, why_size);
    else
        snprintf(why, why_size, "converted %d of %d rows", rows, dst_h);
    return -1;
}

const int *imp_video_sws_coefficients(enum AVColorSpace cs)
{
    /* swscale's tables are indexed by the same numbers as AVColorSpace for
     * the spaces it knows; anything else gets BT.601, its default. */
    switch (cs) {
    case AVCOL_SPC_BT709:
    case AVCOL_SPC_FCC:
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_SMPTE240M:
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        return sws_getCoefficients((int)cs);
    default:
        return sws_getCoefficients(SWS_CS_DEFAULT);
    }
}

/* ---- audio packet lists ------------------------------------------------------ */

static int packets_push(struct imp_video_packets **list, AVPacket *pkt)
{
    struct imp_video_packets *l = *list;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l)
            return -1;
        *list = l;
    }
    if (l->count == MAX_PENDING_AUDIO)
        return -1;
    if (l->count == l->capacity) {
        int cap = l->capacity ? l->capacity * 2 : 16;
        AVPacket **items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->capacity = cap;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return -1;
    l->items[l->count++] = copy;
    return 0;
}

static void packets_free(struct imp_video_packets *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->count; i++)
        av_packet_free(&l->items[i]);
    free(l->items);
    free(l);
}

void imp_video_frame_free(struct imp_video_frame *f)
{
    free(f->rgb);
    packets_free(f->audio);
    memset(f, 0, sizeof *f);
}

/* ---- open ------------------------------------------------------------------------ */

static void fill_info(struct imp_video_reader *r)
{
    struct imp_video_info *in = &r->info;
    AVStream *st = r->video;
    in->width = r->dec->width;
    in->height = r->dec->height;
    AVRational fps = st->avg_frame_rate;
    if (fps.num <= 0 || fps.den <= 0)
        fps = st->r_frame_rate;
    if (fps.num > 0 && fps.den > 0) {
        in->fps_num = fps.num;
        in->fps_den = fps.den;
    } else {
        in->fps_num = 0;
        in->fps_den = 1;
    }
    if (st->duration > 0 && st->time_base.num > 0)
        in->duration = (double)st->duration * av_q2d(st->time_base);
    else if (r->fmt->duration > 0)
        in->duration = (double)r->fmt->duration / AV_TIME_BASE;
    double estimate = in->duration * in->fps_num / in->fps_den;
    if (st->nb_frames > 0)
        in->frames = st->nb_frames;
    else if (estimate > 0 && estimate < 1e15) /* past that a hostile file's */
        in->frames = (int64_t)(estimate + 0.5);
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (matrix && size >= 9 * sizeof(int32_t)) {
        double deg = av_display_rotation_get((const int32_t *)matrix);
        if (deg == deg) /* not NaN */
            in->rotation = deg == 0 ? 0 : deg; /* no -0 */
    }
    AVRational sar = av_guess_sample_aspect_ratio(r->fmt, st, NULL);
    if (sar.num > 0 && sar.den > 0) {
        in->sar_num = sar.num;
        in->sar_den = sar.den;
    } else {
        in->sar_num = 0;
        in->sar_den = 1;
    }
    int j;
    imp_video_without_j(r->dec->pix_fmt, &j);
    in->full_range = r->dec->color_range == AVCOL_RANGE_JPEG || j;
    in->has_audio = r->audio != NULL;
    in->codec = r->dec->codec ? r->dec->codec->name : "?";
    if (r->audio) {
        const AVCodecDescriptor *d = avcodec_descriptor_get(r->audio->codecpar->codec_id);
        in->audio_codec = d ? d->name : "unknown";
    }
}

/* Writes "NAME: why" into err, closes r (whose path is the name) and
 * returns -1: every failure while opening. */
static int fail_closing(struct imp_video_reader *r, char *err, size_t err_size,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_closing(struct imp_video_reader *r, char *err, size_t err_size,
                        const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    imp_video_fail(err, err_size, r->path, "%s", why);
    imp_video_reader_close(r);
    return -1;
}

static struct imp_video_reader *reader_alloc(const char *name)
{
    struct imp_video_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->path = strdup(name);
    r->pkt = av_packet_alloc();
    r->frame = av_frame_alloc();
    if (!r->path || !r->pkt || !r->frame) {
        imp_video_reader_close(r);
        return NULL;
    }
    return r;
}

#define SIZE_OUT_OF_RANGE "video size %dx%d is out of range (1 to %d a side, %u pixels)"

/* After the container opened, however it was: the streams, the decoder,
 * the info. Takes r over: on a failure it is closed. */
static int open_streams(struct imp_video_reader *r, struct imp_video_reader **out, char *err,
                        size_t err_size)
{
    char why[256];
    int rc = avformat_find_stream_info(r->fmt, NULL);
    if (rc < 0)
        return fail_closing(r, err, err_size, "cannot read the streams: %s",
                            imp_av_error(rc, why, sizeof why));
    const AVCodec *codec = NULL;
    int vi = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (vi == AVERROR_STREAM_NOT_FOUND)
        return fail_closing(r, err, err_size, "has no video stream");
    if (vi < 0 || !codec) {
        const AVCodecDescriptor *d =
            vi >= 0 ? avcodec_descriptor_get(r->fmt->streams[vi]->codecpar->codec_id)
                    : NULL;
        return fail_closing(r, err, err_size, "no decoder for its video codec (%s)",
                            d ? d->name : "unknown");
    }
    /* A music file's cover picture is one frame, not a video. */
    if (r->fmt->streams[vi]->disposition & AV_DISPOSITION_ATTACHED_PIC)
        return fail_closing(r, err, err_size, "has no video stream (only a cover picture)");
    r->video = r->fmt->streams[vi];
    int ai = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, vi, NULL, 0);
    if (ai >= 0)
        r->audio = r->fmt->streams[ai];
    /* Only the streams we use are demuxed. */
    for (unsigned i = 0; i < r->fmt->nb_streams; i++)
        if ((int)i != vi && (int)i != ai)
            r->fmt->streams[i]->discard = AVDISCARD_ALL;

    AVCodecParameters *par = r->video->codecpar;
    if (!imp_video_size_ok(par->width, par->height))
        return fail_closing(r, err, err_size, SIZE_OUT_OF_RANGE, par->width, par->height,
                            IMP_VIDEO_MAX_SIDE, IMP_VIDEO_MAX_PIXELS);
    r->dec = avcodec_alloc_context3(codec);
    if (!r->dec)
        return fail_closing(r, err, err_size, "out of memory");
    rc = avcodec_parameters_to_context(r->dec, par);
    if (rc >= 0) {
        r->dec->pkt_timebase = r->video->time_base;
        /* The pipeline keeps the cores busy with the model; a second
         * decoding thread only adds latency. */
        r->dec->thread_count = 1;
        /* A stream may change size midway: the decoder refuses a frame
         * past the limit before it allocates it (convert() checks too). */
        r->dec->max_pixels = IMP_VIDEO_MAX_PIXELS;
        rc = avcodec_open2(r->dec, codec, NULL);
    }
    if (rc < 0)
        return fail_closing(r, err, err_size, "cannot open the %s decoder: %s", codec->name,
                            imp_av_error(rc, why, sizeof why));
    /* A decoder may set its own size from the stream's headers while
     * opening; that size is the one frames are converted to by default. */
    if (!imp_video_size_ok(r->dec->width, r->dec->height))
        return fail_closing(r, err, err_size, SIZE_OUT_OF_RANGE, r->dec->width,
                            r->dec->height, IMP_VIDEO_MAX_SIDE, IMP_VIDEO_MAX_PIXELS);
    r->last_pts = AV_NOPTS_VALUE;
    fill_info(r);
    r->out_w = r->info.width;
    r->out_h = r->info.height;
    *out = r;
    return 0;
}

/* 1 when the file's name says it is a list of other files (a playlist or
 * a concat script): only then may it open what it names. FFmpeg picks its
 * demuxer by content, so without this any "video.mp4" could be an HLS
 * playlist that pulls /etc/passwd or a URL into the frames. */
static int named_as_list(const char *path)
{
    static const char *const exts[] = {".m3u8", ".m3u", ".ffconcat", ".concat"};
    const size_t n = strlen(path);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        const size_t k = strlen(exts[i]);
        if (n > k && strcasecmp(path + n - k, exts[i]) == 0)
            return 1;
    }
    return 0;
}

/* A path's opener: the file itself (also when a demuxer opens it again by
 * name, as image2 does), and what a list named as one names; nothing else. */
static int io_open_of_path(AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                           AVDictionary **options)
{
    struct imp_video_reader *r = s->opaque;
    if (!r->opened_itself || strcmp(url, r->path) == 0 || named_as_list(r->path)) {
        r->opened_itself = 1;
        return r->default_open(s, pb, url, flags, options);
    }
    snprintf(r->refused, sizeof r->refused, "%s", url);
    return AVERROR(EPERM);
}

/* A path, or a device or generated source of an input format. */
static int open_input(const char *format, const char *path, struct imp_video_reader **out,
                      char *err, size_t err_size)
{
    *out = NULL;
    char why[256];
    struct imp_video_reader *r = reader_alloc(path);
    if (!r)
        return imp_video_fail(err, err_size, path, "out of memory");
    const AVInputFormat *ifmt = NULL;
    if (format && !(ifmt = av_find_input_format(format)))
        return fail_closing(r, err, err_size, "FFmpeg has no '%s' input here", format);
    AVDictionary *opts = NULL;
    if (!format) {
        /* Files (and "pipe:N", a stream the user points at), never a
         * network or another protocol, and no file a file names unless it
         * is named as a list (named_as_list). */
        if (!(r->fmt = avformat_alloc_context()) ||
            av_dict_set(&opts, "protocol_whitelist", "file,pipe", 0) < 0)
            return fail_closing(r, err, err_size, "out of memory");
        r->default_open = r->fmt->io_open;
        r->fmt->io_open = io_open_of_path;
        r->fmt->opaque = r;
    }
    int rc = avformat_open_input(&r->fmt, path, ifmt, &opts);
    av_dict_free(&opts);
    if (rc < 0 && r->refused[0])
        return fail_closing(r, err, err_size, "it names another file (%s): only a playlist or "
                            "list named .m3u8, .m3u, .ffconcat or .concat may", r->refused);
    if (rc < 0)
        return fail_closing(r, err, err_size, "cannot open as a video: %s",
                            imp_av_error(rc, why, sizeof why));
    /* The concat demuxer opens its files in contexts of its own, past
     * io_open_of_path: judge it by the name here, before a frame is read. */
    if (!format && strcmp(r->fmt->iformat->name, "concat") == 0 && !named_as_list(path))
        return fail_closing(r, err, err_size, "it is a concat list of other files: only a list "
                            "named .ffconcat or .concat is read as one");
    return open_streams(r, out, err, err_size);
}

int imp_video_reader_open(const char *path, struct imp_video_reader **out, char *err,
                          size_t err_size)
{
    return open_input(NULL, path, out, err, err_size);
}

static pthread_once_t devices_once = PTHREAD_ONCE_INIT;

static void register_devices(void)
{
    avdevice_register_all();
}

int imp_video_reader_open_format(const char *format, const char *url,
                                 struct imp_video_reader **out, char *err,
                                 size_t err_size)
{
    pthread_once(&devices_once, register_devices);
    return open_input(format, url, out, err, err_size);
}

/* ---- a video in memory ------------------------------------------------------------ */

#define MEMORY_IO_BUFFER 4096

static int memory_read(void *opaque, uint8_t *buf, int n)
{
    struct imp_video_memory *m = opaque;
    size_t left = m->size - m->pos;
    if (n <= 0)
        return AVERROR(EINVAL);
    if (left == 0)
        return AVERROR_EOF;
    size_t take = (size_t)n < left ? (size_t)n : left;
    memcpy(buf, m->data + m->pos, take);
    m->pos += take;
    return (int)take;
}

static int64_t memory_seek(void *opaque, int64_t offset, int whence)
{
    struct imp_video_memory *m = opaque;
    if (whence & AVSEEK_SIZE)
        return (int64_t)m->size;
    int64_t base = (whence & 3) == SEEK_CUR ? (int64_t)m->pos
                   : (whence & 3) == SEEK_END ? (int64_t)m->size
                                               : 0;
    /* The offset is the demuxer's, read from the file: compared before it
     * is added, as the sum could overflow. */
    if (offset < -base || offset > (int64_t)m->size - base)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + offset);
    return (int64_t)m->pos;
}

/* A demuxer that would open a second file (a playlist's segments, a
 * movie's reference to another) is refused: a video in memory is all
 * there is, and its bytes do not choose what else gets read. */
static int refuse_nested_open(AVFormatContext *s, AVIOContext **pb, const char *url,
                              int flags, AVDictionary **options)
{
    (void)s, (void)pb, (void)url, (void)flags, (void)options;
    return AVERROR(EPERM);
}

int imp_video_reader_open_memory(const void *data, size_t size, const char *name,
                                 struct imp_video_reader **out, char *err, size_t err_size)
{
    *out = NULL;
    char why[256];
    struct imp_video_reader *r = reader_alloc(name);
    if (!r)
        return imp_video_fail(err, err_size, name, "out of memory");
    r->memory = (struct imp_video_memory){data, size, 0};
    uint8_t *buf = av_malloc(MEMORY_IO_BUFFER);
    if (buf)
        r->memory_io = avio_alloc_context(buf, MEMORY_IO_BUFFER, 0, &r->memory, memory_read,
                                          NULL, memory_seek);
    if (!r->memory_io)
        av_free(buf);
    r->fmt = r->memory_io ? avformat_alloc_context() : NULL;
    if (!r->fmt)
        return fail_closing(r, err, err_size, "out of memory");
    r->fmt->pb = r->memory_io;
    r->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    r->fmt->io_open = refuse_nested_open;
    /* Some demuxers (concat) open their files in a context of their own,
     * without this io_open but with this context's protocol whitelist: an
     * empty one admits no protocol at all. */
    r->fmt->protocol_whitelist = av_strdup("");
    if (!r->fmt->protocol_whitelist)
        return fail_closing(r, err, err_size, "out of memory");
    int rc = avformat_open_input(&r->fmt, name, NULL, NULL);
    if (rc < 0)
        return fail_closing(r, err, err_size, "cannot open as a video: %s",
                            imp_av_error(rc, why, sizeof why));
    return open_streams(r, out, err, err_size);
}

const struct imp_video_info *imp_video_reader_info(const struct imp_video_reader *r)
{
    return &r->info;
}

int imp_video_reader_set_output_size(struct imp_video_reader *r, int width, int height,
                                     char *err, size_t err_size)
{
    if (!imp_video_size_ok(width, height))
        return imp_video_fail(err, err_size, r->path, "size %dx%d is out of range",
                              width, height);
    r->out_w = width;
    r->out_h = height;
    return 0;
}

/* ---- decode ------------------------------------------------------------------------ */

/* The decoded frame in r->frame as RGB at the output size. */
static int convert(struct imp_video_reader *r, struct imp_video_frame *f, char *err,
                   size_t err_size)
{
    AVFrame *fr = r->frame;
    /* A stream may change size midway; each frame is checked on its own. */
    if (!imp_video_size_ok(fr->width, fr->height) || fr->format < 0)
        return imp_video_fail(err, err_size, r->path, "frame %lld has a bad size %dx%d",
                              (long long)r->next_index, fr->width, fr->height);
    int j;
    enum AVPixelFormat src = imp_video_without_j((enum AVPixelFormat)fr->format, &j);
    int full = fr->color_range == AVCOL_RANGE_JPEG || j; /* set below */
    r->sws = sws_getCachedContext(r->sws, fr->width, fr->height, src, r->out_w, r->out_h,
                                  AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!r->sws)
        return imp_video_fail(err, err_size, r->path,
                              "cannot convert %s frames of %dx%d to RGB",
                              av_get_pix_fmt_name(src) ? av_get_pix_fmt_name(src) : "?",
                              fr->width, fr->height);
    const int *coef = imp_video_sws_coefficients(fr->colorspace);
    sws_setColorspaceDetails(r->sws, coef, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    /* swscale's x86 YUV-to-RGB converter works in runs of 8 pixels and,
     * when a row's stride cannot hold the last run whole, skips it: the
     * last width % 8 pixels of every row were never written (valgrind saw
     * them uninitialised; a 162-wide video had two black columns). Rows
     * are converted at a stride of whole runs, then packed in place. The
     * converter's 8-byte stores reach up to 16 bytes past the last run of
     * the last row, hence the slack. */
    int padded = (r->out_w + 7) / 8 * 8 * 3, packed = r->out_w * 3;
    f->rgb = malloc((size_t)padded * r->out_h + 64);
    if (!f->rgb)
        return imp_video_fail(err, err_size, r->path, "out of memory");
    uint8_t *dst[4] = {f->rgb, NULL, NULL, NULL};
    int stride[4] = {padded, 0, 0, 0};
    char why[256];
    if (imp_sws_scale_all(r->sws, (const uint8_t *const *)fr->data, fr->linesize, fr->height,
                          dst, stride, r->out_h, why, sizeof why)) {
        free(f->rgb);
        f->rgb = NULL;
        return imp_video_fail(err, err_size, r->path, "frame %lld did not convert to RGB: %s",
                              (long long)r->next_index, why);
    }
    for (int y = 1; padded != packed && y < r->out_h; y++)
        memmove(f->rgb + (size_t)y * packed, f->rgb + (size_t)y * padded, (size_t)packed);
    f->width = r->out_w;
    f->height = r->out_h;
    return 0;
}

/* One frame out of the decoder: 1, or 0 when it needs input, 2 at its end,
 * -1 on an error. Frames whose time does not move forward are dropped: an
 * encoder cannot take them, and a valid stream has none. */
static int receive(struct imp_video_reader *r, struct imp_video_frame *f, char *err,
                   size_t err_size)
{
    for (;;) {
        int rc = avcodec_receive_frame(r->dec, r->frame);
        if (rc == AVERROR(EAGAIN))
            return 0;
        if (rc == AVERROR_EOF)
            return 2;
        if (rc < 0) {
            char why[256];
            return imp_video_fail(err, err_size, r->path, "cannot decode frame %lld: %s",
                                  (long long)r->next_index,
                                  imp_av_error(rc, why, sizeof why));
        }
        int64_t pts = r->frame->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE)
            pts = r->last_pts == AV_NOPTS_VALUE ? 0 : r->last_pts + 1;
        if (r->last_pts != AV_NOPTS_VALUE && pts <= r->last_pts) {
            av_frame_unref(r->frame);
            continue;
        }
        rc = convert(r, f, err, err_size);
        av_frame_unref(r->frame);
        if (rc)
            return -1;
        r->last_pts = pts;
        f->pts = pts;
        f->index = r->next_index++;
        int64_t start = r->video->start_time == AV_NOPTS_VALUE ? 0 : r->video->start_time;
        /* Both are the file's: subtracted as doubles, they cannot overflow. */
        f->seconds = ((double)pts - (double)start) * av_q2d(r->video->time_base);
        return 1;
    }
}

int imp_video_reader_next(struct imp_video_reader *r, struct imp_video_frame *f,
                          char *err, size_t err_size)
{
    memset(f, 0, sizeof *f);
    char why[256];
    int rc;
    while (!r->done) {
        rc = receive(r, f, err, err_size);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            f->audio = r->pending_audio;
            r->pending_audio = NULL;
            return 1;
        }
        if (rc == 2) {
            r->done = 1;
            break;
        }
        if (r->draining) { /* flushed and no frame: should not happen */
            r->done = 1;
            break;
        }
        rc = av_read_frame(r->fmt, r->pkt);
        if (rc == AVERROR_EOF) {
            r->draining = 1;
            rc = avcodec_send_packet(r->dec, NULL);
            if (rc < 0 && rc != AVERROR_EOF)
                return imp_video_fail(err, err_size, r->path, "cannot flush the decoder: %s",
                                      imp_av_error(rc, why, sizeof why));
            continue;
        }
        if (rc < 0)
            return imp_video_fail(err, err_size, r->path, "cannot read: %s",
                                  imp_av_error(rc, why, sizeof why));
        if (r->audio && r->pkt->stream_index == r->audio->index) {
            rc = packets_push(&r->pending_audio, r->pkt);
            av_packet_unref(r->pkt);
            if (rc)
                return imp_video_fail(err, err_size, r->path,
                                      "too much audio between two frames");
            continue;
        }
        if (r->pkt->stream_index != r->video->index) {
            av_packet_unref(r->pkt);
            continue;
        }
        rc = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        /* A damaged packet is the decoder's to conceal; only a decoder that
         * refuses to go on ends the file. */
        if (rc < 0 && rc != AVERROR_INVALIDDATA && rc != AVERROR(EAGAIN))
            return imp_video_fail(err, err_size, r->path, "cannot decode: %s",
                                  imp_av_error(rc, why, sizeof why));
    }
    f->audio = r->pending_audio;
    r->pending_audio = NULL;
    return 0;
}

void imp_video_reader_close(struct imp_video_reader *r)
{
    if (!r)
        return;
    packets_free(r->pending_audio);
    sws_freeContext(r->sws);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    if (r->memory_io) /* ours, not the demuxer's: AVFMT_FLAG_CUSTOM_IO */
        av_freep(&r->memory_io->buffer);
    avio_context_free(&r->memory_io);
    av_packet_free(&r->pkt);
    av_frame_free(&r->frame);
    free(r->path);
    free(r);
}
