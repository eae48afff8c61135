/* Video files out: RGB frames encoded, the source's audio copied or
 * re-encoded, muxed into a temporary file that is renamed when complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "atomic_file.h"
#include "video_audio.h"
#include "video_internal.h"

/* Bytes after a packed RGB picture that swscale may read (its SIMD loads
 * run up to a vector past the row's end); 64 covers AVX-512. */
#define RGB_TAIL 64

struct imp_video_writer {
    char *path;
    struct imp_atomic_file out; /* FFmpeg writes to out.temp_path by name */
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *vst;
    AVRational src_tb;        /* the source video's time base = enc's */
    struct SwsContext *sws;
    /* The frame's RGB copied with room after it: swscale's vector code
     * reads a few bytes past the last pixel of a packed row, and callers'
     * buffers end exactly at the last pixel. */
    uint8_t *rgb_padded;
    size_t rgb_padded_size;
    AVFrame *frame;           /* in the encoder's pixel format */
    AVPacket *pkt;
    int64_t last_pts;
    /* audio: copied (ast set, audio NULL) or re-encoded (audio set) */
    AVStream *ast;
    AVRational audio_src_tb;
    struct imp_video_audio *audio;
    int header_written;
    int completed; /* the file is whole under its temporary name */
    int finished;  /* and was renamed into place (or that failed) */
    char codec_name[64], audio_name[96];
};

const char *imp_video_writer_codec(const struct imp_video_writer *w)
{
    return w->codec_name;
}

const char *imp_video_writer_audio(const struct imp_video_writer *w)
{
    return w->audio_name;
}

/* ---- choosing the encoder's settings ----------------------------------------------- */

static int fits(enum AVPixelFormat f, int w, int h)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL)))
        return 0;
    return w % (1 << d->log2_chroma_w) == 0 && h % (1 << d->log2_chroma_h) == 0;
}

static int listed(const enum AVPixelFormat *list, enum AVPixelFormat f)
{
    for (; list && *list != AV_PIX_FMT_NONE; list++)
        if (*list == f)
            return 1;
    return 0;
}

/* The source's 8-bit YUV layout when the encoder takes it, else 4:2:0, else
 * (odd sizes cannot be 4:2:0) 4:4:4, else whatever fits. */
static enum AVPixelFormat pick_pix_fmt(const AVCodec *c, enum AVPixelFormat src, int w,
                                       int h)
{
    src = imp_video_without_j(src, NULL);
    const enum AVPixelFormat *list = c->pix_fmts;
    if (!list) /* the encoder takes anything */
        return fits(AV_PIX_FMT_YUV420P, w, h) ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P;
    const enum AVPixelFormat prefs[] = {src, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P};
    for (int i = 0; i < 3; i++) {
        if ((prefs[i] == AV_PIX_FMT_YUV420P || prefs[i] == AV_PIX_FMT_YUV422P ||
             prefs[i] == AV_PIX_FMT_YUV444P) &&
            listed(list, prefs[i]) && fits(prefs[i], w, h))
            return prefs[i];
    }
    for (; *list != AV_PIX_FMT_NONE; list++)
        if (fits(*list, w, h))
            return *list;
    return AV_PIX_FMT_NONE;
}

static const AVCodec *pick_encoder(const AVOutputFormat *ofmt, const char *name)
{
    if (name)
        return avcodec_find_encoder_by_name(name);
    /* Containers' usual codecs, by encoders that are fast enough for a
     * pipeline around a neural network. */
    static const char *const fast[] = {"libx264", "libvpx-vp9", "libvpx", "mpeg4"};
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) {
        const AVCodec *c = avcodec_find_encoder_by_name(fast[i]);
        if (c && avformat_query_codec(ofmt, c->id, FF_COMPLIANCE_NORMAL) == 1)
            return c;
    }
    return ofmt->video_codec != AV_CODEC_ID_NONE ? avcodec_find_encoder(ofmt->video_codec)
                                                 : NULL;
}

static int set_option(AVCodecContext *enc, const char *key, const char *value)
{
    return av_opt_set(enc->priv_data, key, value, 0);
}

static int has_option(AVCodecContext *enc, const char *key)
{
    return enc->priv_data && av_opt_find(enc->priv_data, key, NULL, 0, 0) != NULL;
}

static int configure_quality(struct imp_video_writer *w,
                             const struct imp_video_writer_options *o, char *err,
                             size_t err_size)
{
    AVCodecContext *enc = w->enc;
    const char *name = enc->codec->name;
    int is_vpx = strncmp(name, "libvpx", 6) == 0;
    if (o->crf >= 0) {
        if (!has_option(enc, "crf"))
            return imp_video_fail(err, err_size, w->path,
                                  "the %s encoder has no --crf (try --codec libx264)", name);
        char v[16];
        snprintf(v, sizeof v, "%d", o->crf);
        if (set_option(enc, "crf", v) < 0)
            return imp_video_fail(err, err_size, w->path, "%s does not take --crf %d",
                                  name, o->crf);
        if (is_vpx)
            enc->bit_rate = 0; /* constant quality, no bitrate cap */
    } else if (is_vpx) {
        set_option(enc, "crf", "32");
        enc->bit_rate = 0;
    } else if (!has_option(enc, "crf")) {
        /* Encoders with no quality mode of their own (mpeg4): a fixed
         * quantiser that looks like a default x264 file. */
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = FF_QP2LAMBDA * 3;
    }
    if (has_option(enc, "preset")) {
        const char *preset = o->preset ? o->preset : "veryfast";
        if (set_option(enc, "preset", preset) < 0)
            return imp_video_fail(err, err_size, w->path,
                                  "the %s encoder has no preset '%s'", name, preset);
    } else if (is_vpx) {
        set_option(enc, "deadline", "realtime");
        set_option(enc, "cpu-used", o->preset ? o->preset : "8");
        set_option(enc, "row-mt", "1");
    } else if (o->preset) {
        return imp_video_fail(err, err_size, w->path, "the %s encoder has no presets",
                              name);
    }
    return 0;
}

/* ---- open -------------------------------------------------------------------------- */

static int open_video(struct imp_video_writer *w, const struct imp_video_reader *src,
                      const struct imp_video_writer_options *o, char *err,
                      size_t err_size)
{
    char why[256];
    const AVOutputFormat *ofmt = w->oc->oformat;
    const AVCodec *codec = pick_encoder(ofmt, o->codec);
    if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
        return o->codec ? imp_video_fail(err, err_size, w->path,
                                         "no video encoder named '%s' (see 'ffmpeg "
                                         "-encoders')",
                                         o->codec)
                        : imp_video_fail(err, err_size, w->path,
                                         "no video encoder for the %s container",
                                         ofmt->name);
    if (avformat_query_codec(ofmt, codec->id, FF_COMPLIANCE_NORMAL) == 0)
        return imp_video_fail(err, err_size, w->path, "the %s container cannot hold %s",
                              ofmt->name, codec->name);
    snprintf(w->codec_name, sizeof w->codec_name, "%s", codec->name);
    const struct imp_video_info *in = &src->info;
    w->vst = avformat_new_stream(w->oc, NULL);
    w->enc = avcodec_alloc_context3(codec);
    if (!w->vst || !w->enc)
        return imp_video_fail(err, err_size, w->path, "out of memory");
    AVCodecContext *enc = w->enc;
    enc->width = in->width;
    enc->height = in->height;
    enc->pix_fmt = pick_pix_fmt(codec, src->dec->pix_fmt, in->width, in->height);
    if (enc->pix_fmt == AV_PIX_FMT_NONE)
        return imp_video_fail(err, err_size, w->path,
                              "the %s encoder takes no pixel format for %dx%d", codec->name,
                              in->width, in->height);
    /* Timestamps pass through unchanged: the encoder counts in the source's
     * time base, which keeps a variable frame rate as it was. */
    w->src_tb = src->video->time_base;
    enc->time_base = w->src_tb;
    if (in->fps_num > 0)
        enc->framerate = (AVRational){in->fps_num, in->fps_den};
    if (in->sar_num > 0)
        enc->sample_aspect_ratio = (AVRational){in->sar_num, in->sar_den};
    enc->color_range = in->full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    enc->color_primaries = src->dec->color_primaries;
    enc->color_trc = src->dec->color_trc;
    enc->colorspace = src->dec->colorspace;
    enc->chroma_sample_location = src->dec->chroma_sample_location;
    enc->thread_count = 1; /* the cores belong to the model */
    if (ofmt->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (configure_quality(w, o, err, err_size))
        return -1;
    int rc = avcodec_open2(enc, codec, NULL);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "cannot open the %s encoder: %s",
                              codec->name, imp_av_error(rc, why, sizeof why));
    rc = avcodec_parameters_from_context(w->vst->codecpar, enc);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "cannot set up the video stream: %s",
                              imp_av_error(rc, why, sizeof why));
    w->vst->time_base = enc->time_base;
    w->vst->avg_frame_rate = enc->framerate;
    w->vst->sample_aspect_ratio = enc->sample_aspect_ratio;
    size_t size = 0;
    const uint8_t *matrix =
        av_stream_get_side_data(src->video, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (matrix && size >= 9 * sizeof(int32_t)) {
        uint8_t *copy = av_stream_new_side_data(w->vst, AV_PKT_DATA_DISPLAYMATRIX, size);
        if (!copy)
            return imp_video_fail(err, err_size, w->path, "out of memory");
        memcpy(copy, matrix, size);
    }
    w->frame = av_frame_alloc();
    if (!w->frame)
        return imp_video_fail(err, err_size, w->path, "out of memory");
    w->frame->format = enc->pix_fmt;
    w->frame->width = enc->width;
    w->frame->height = enc->height;
    rc = av_frame_get_buffer(w->frame, 0);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "out of memory");
    return 0;
}

static int open_audio(struct imp_video_writer *w, const struct imp_video_reader *src,
                      char *err, size_t err_size)
{
    if (!src->audio)
        return 0;
    const AVOutputFormat *ofmt = w->oc->oformat;
    AVCodecParameters *par = src->audio->codecpar;
    w->audio_src_tb = src->audio->time_base;
    w->ast = avformat_new_stream(w->oc, NULL);
    if (!w->ast)
        return imp_video_fail(err, err_size, w->path, "out of memory");
    if (avformat_query_codec(ofmt, par->codec_id, FF_COMPLIANCE_NORMAL) == 1) {
        int rc = avcodec_parameters_copy(w->ast->codecpar, par);
        if (rc < 0)
            return imp_video_fail(err, err_size, w->path, "out of memory");
        w->ast->codecpar->codec_tag = 0; /* the new container picks its own */
        w->ast->time_base = src->audio->time_base;
        snprintf(w->audio_name, sizeof w->audio_name, "%s (copied)",
                 src->info.audio_codec);
        return 0;
    }
    if (imp_video_audio_open(&w->audio, src->audio, w->oc, w->ast, w->path, err,
                             err_size))
        return -1;
    snprintf(w->audio_name, sizeof w->audio_name, "%s (re-encoded from %s)",
             imp_video_audio_codec(w->audio), src->info.audio_codec);
    return 0;
}

int imp_video_writer_open(const char *path, const struct imp_video_reader *src,
                          const struct imp_video_writer_options *opt,
                          struct imp_video_writer **out, char *err, size_t err_size)
{
    *out = NULL;
    struct imp_video_writer_options o = opt ? *opt : imp_video_writer_options_default();
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!ofmt || (ofmt->flags & AVFMT_NOFILE) || ofmt->video_codec == AV_CODEC_ID_NONE)
        return imp_video_fail(err, err_size, path,
                              "no video container for this file name (use .mp4, .mkv, "
                              ".webm or .mov)");
    struct imp_video_writer *w = calloc(1, sizeof *w);
    if (!w)
        return imp_video_fail(err, err_size, path, "out of memory");
    w->last_pts = AV_NOPTS_VALUE;
    /* Written under a hidden temporary name beside the final one and
     * renamed when complete (atomic_file.c, as every output of impasto). */
    char why[256];
    if (imp_atomic_open(path, &w->out, why, sizeof why)) {
        imp_video_writer_close(w);
        return imp_video_fail(err, err_size, path, "%s", why);
    }
    w->path = strdup(path);
    w->pkt = av_packet_alloc();
    if (!w->path || !w->pkt) {
        imp_video_writer_close(w);
        return imp_video_fail(err, err_size, path, "out of memory");
    }
    int rc = avformat_alloc_output_context2(&w->oc, ofmt, NULL, w->out.temp_path);
    if (rc < 0 || !w->oc) {
        imp_video_writer_close(w);
        return imp_video_fail(err, err_size, path, "cannot make a %s file: %s", ofmt->name,
                              imp_av_error(rc, why, sizeof why));
    }
    if (open_video(w, src, &o, err, err_size) ||
        (!o.no_audio && open_audio(w, src, err, err_size))) {
        imp_video_writer_close(w);
        return -1;
    }
    rc = avio_open(&w->oc->pb, w->out.temp_path, AVIO_FLAG_WRITE);
    if (rc < 0) {
        imp_video_writer_close(w);
        return imp_video_fail(err, err_size, path, "cannot write here: %s",
                              imp_av_error(rc, why, sizeof why));
    }
    rc = avformat_write_header(w->oc, NULL);
    if (rc < 0) {
        imp_video_writer_close(w);
        return imp_video_fail(err, err_size, path, "cannot start the %s file: %s",
                              ofmt->name, imp_av_error(rc, why, sizeof why));
    }
    w->header_written = 1;
    *out = w;
    return 0;
}

/* ---- write ------------------------------------------------------------------------- */

/* Every packet the encoder has ready, into the file. */
static int drain_video(struct imp_video_writer *w, char *err, size_t err_size)
{
    char why[256];
    for (;;) {
        int rc = avcodec_receive_packet(w->enc, w->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return imp_video_fail(err, err_size, w->path, "cannot encode: %s",
                                  imp_av_error(rc, why, sizeof why));
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->vst->time_base);
        w->pkt->stream_index = w->vst->index;
        rc = av_interleaved_write_frame(w->oc, w->pkt);
        av_packet_unref(w->pkt);
        if (rc < 0)
            return imp_video_fail(err, err_size, w->path, "cannot write: %s",
                                  imp_av_error(rc, why, sizeof why));
    }
}

static int write_audio(struct imp_video_writer *w, struct imp_video_packets *list,
                       char *err, size_t err_size)
{
    char why[256];
    for (int i = 0; list && i < list->count; i++) {
        AVPacket *p = list->items[i];
        if (w->audio) {
            if (imp_video_audio_write(w->audio, p, err, err_size))
                return -1;
            continue;
        }
        av_packet_rescale_ts(p, w->audio_src_tb, w->ast->time_base);
        p->stream_index = w->ast->index;
        p->pos = -1;
        int rc = av_interleaved_write_frame(w->oc, p); /* takes the packet's data */
        if (rc < 0)
            return imp_video_fail(err, err_size, w->path, "cannot write the audio: %s",
                                  imp_av_error(rc, why, sizeof why));
    }
    return 0;
}

int imp_video_writer_write(struct imp_video_writer *w, const struct imp_video_frame *f,
                           char *err, size_t err_size)
{
    if (w->completed)
        return imp_video_fail(err, err_size, w->path, "already finished");
    if (w->ast && write_audio(w, f->audio, err, err_size))
        return -1;
    if (!f->rgb)
        return 0;
    if (!imp_video_size_ok(f->width, f->height))
        return imp_video_fail(err, err_size, w->path, "frame size %dx%d is out of range",
                              f->width, f->height);
    if (w->last_pts != AV_NOPTS_VALUE && f->pts <= w->last_pts)
        return 0; /* the encoder would refuse it; the reader never sends one */
    AVCodecContext *enc = w->enc;
    /* Scaled back to the source's size while converting to YUV. */
    w->sws = sws_getCachedContext(w->sws, f->width, f->height, AV_PIX_FMT_RGB24,
                                  enc->width, enc->height, enc->pix_fmt, SWS_BICUBIC, NULL,
                                  NULL, NULL);
    if (!w->sws)
        return imp_video_fail(err, err_size, w->path, "cannot convert RGB to %s",
                              av_get_pix_fmt_name(enc->pix_fmt));
    sws_setColorspaceDetails(w->sws, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                             imp_video_sws_coefficients(enc->colorspace),
                             enc->color_range == AVCOL_RANGE_JPEG, 0, 1 << 16, 1 << 16);
    char why[256];
    int rc = av_frame_make_writable(w->frame);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "out of memory");
    const size_t bytes = (size_t)f->width * (size_t)f->height * 3;
    if (w->rgb_padded_size < bytes) {
        uint8_t *b = realloc(w->rgb_padded, bytes + RGB_TAIL);
        if (!b)
            return imp_video_fail(err, err_size, w->path, "out of memory");
        memset(b + bytes, 0, RGB_TAIL);
        w->rgb_padded = b;
        w->rgb_padded_size = bytes;
    }
    memcpy(w->rgb_padded, f->rgb, bytes);
    const uint8_t *src[4] = {w->rgb_padded, NULL, NULL, NULL};
    int stride[4] = {f->width * 3, 0, 0, 0};
    if (imp_sws_scale_all(w->sws, src, stride, f->height, w->frame->data, w->frame->linesize,
                          enc->height, why, sizeof why))
        return imp_video_fail(err, err_size, w->path, "frame %lld did not convert to %s: %s",
                              (long long)f->index, av_get_pix_fmt_name(enc->pix_fmt), why);
    w->frame->pts = f->pts;
    w->frame->color_range = enc->color_range;
    w->frame->sample_aspect_ratio = enc->sample_aspect_ratio;
    rc = avcodec_send_frame(enc, w->frame);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "cannot encode frame %lld: %s",
                              (long long)f->index, imp_av_error(rc, why, sizeof why));
    w->last_pts = f->pts;
    return drain_video(w, err, err_size);
}

int imp_video_writer_complete(struct imp_video_writer *w, char *err, size_t err_size)
{
    char why[256];
    if (w->completed)
        return 0;
    int rc = avcodec_send_frame(w->enc, NULL);
    if (rc < 0 && rc != AVERROR_EOF)
        return imp_video_fail(err, err_size, w->path, "cannot flush the encoder: %s",
                              imp_av_error(rc, why, sizeof why));
    if (drain_video(w, err, err_size))
        return -1;
    if (w->audio && imp_video_audio_finish(w->audio, err, err_size))
        return -1;
    rc = av_write_trailer(w->oc);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "cannot complete the file: %s",
                              imp_av_error(rc, why, sizeof why));
    rc = avio_closep(&w->oc->pb);
    if (rc < 0)
        return imp_video_fail(err, err_size, w->path, "cannot complete the file: %s",
                              imp_av_error(rc, why, sizeof why));
    w->completed = 1;
    return 0;
}

int imp_video_writer_commit(struct imp_video_writer *w, char *err, size_t err_size)
{
    char why[256];
    if (!w->completed)
        return imp_video_fail(err, err_size, w->path, "is not complete");
    if (w->finished)
        return 0;
    w->finished = 1; /* committed or not, the temporary file is gone */
    if (imp_atomic_commit(&w->out, why, sizeof why))
        return imp_video_fail(err, err_size, w->path, "%s", why);
    return 0;
}

int imp_video_writer_finish(struct imp_video_writer *w, char *err, size_t err_size)
{
    return imp_video_writer_complete(w, err, err_size) ||
                   imp_video_writer_commit(w, err, err_size)
               ? -1
               : 0;
}

void imp_video_writer_close(struct imp_video_writer *w)
{
    if (!w)
        return;
    imp_video_audio_close(w->audio);
    if (w->oc) {
        if (w->oc->pb)
            avio_closep(&w->oc->pb);
        avformat_free_context(w->oc);
    }
    if (!w->finished)
        imp_atomic_abandon(&w->out);
    avcodec_free_context(&w->enc);
    sws_freeContext(w->sws);
    free(w->rgb_padded);
    av_frame_free(&w->frame);
    av_packet_free(&w->pkt);
    free(w->path);
    free(w);
}
