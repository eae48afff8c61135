/* Audio re-encoding: decode -> swresample -> FIFO (encoders want fixed-size
 * frames) -> encode -> mux. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>

#include "video_audio.h"
#include "video_internal.h"

struct imp_video_audio {
    const char *path;
    AVFormatContext *oc;
    AVStream *ost;
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *in, *out;
    AVPacket *pkt;
    int64_t next_pts; /* in samples at the encoder's rate */
    int started;
};

const char *imp_video_audio_codec(const struct imp_video_audio *a)
{
    return a->enc->codec->name;
}

static int pick_rate(const AVCodec *c, int want)
{
    if (!c->supported_samplerates)
        return want;
    int best = 0;
    for (const int *r = c->supported_samplerates; *r; r++) {
        if (*r == want)
            return want;
        /* the smallest rate above the source's, else the largest */
        if ((*r > want && (best < want || *r < best)) || (best < want && *r > best))
            best = *r;
    }
    return best ? best : want;
}

static int pick_layout(const AVCodec *c, const AVChannelLayout *src, AVChannelLayout *out)
{
    if (!c->ch_layouts)
        return av_channel_layout_copy(out, src);
    for (const AVChannelLayout *l = c->ch_layouts; l->nb_channels; l++)
        if (av_channel_layout_compare(l, src) == 0)
            return av_channel_layout_copy(out, src);
    /* same channel count in the standard order, else stereo */
    for (const AVChannelLayout *l = c->ch_layouts; l->nb_channels; l++)
        if (l->nb_channels == src->nb_channels)
            return av_channel_layout_copy(out, l);
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    return av_channel_layout_copy(out, &stereo);
}

int imp_video_audio_open(struct imp_video_audio **out, const AVStream *src,
                         AVFormatContext *oc, AVStream *ost, const char *path,
                         char *err, size_t err_size)
{
    char why[256];
    *out = NULL;
    const AVCodecParameters *par = src->codecpar;
    const AVCodec *dc = avcodec_find_decoder(par->codec_id);
    const AVCodec *ec = oc->oformat->audio_codec != AV_CODEC_ID_NONE
                            ? avcodec_find_encoder(oc->oformat->audio_codec)
                            : NULL;
    if (!dc)
        return imp_video_fail(err, err_size, path, "no decoder for the source's audio");
    if (!ec)
        return imp_video_fail(err, err_size, path,
                              "the %s container cannot hold the source's audio and has "
                              "no audio encoder to convert it",
                              oc->oformat->name);
    struct imp_video_audio *a = calloc(1, sizeof *a);
    if (!a)
        return imp_video_fail(err, err_size, path, "out of memory");
    *out = a;
    a->path = path;
    a->oc = oc;
    a->ost = ost;
    a->dec = avcodec_alloc_context3(dc);
    a->enc = avcodec_alloc_context3(ec);
    a->in = av_frame_alloc();
    a->out = av_frame_alloc();
    a->pkt = av_packet_alloc();
    if (!a->dec || !a->enc || !a->in || !a->out || !a->pkt)
        return imp_video_fail(err, err_size, path, "out of memory");
    int rc = avcodec_parameters_to_context(a->dec, par);
    if (rc >= 0) {
        a->dec->pkt_timebase = src->time_base;
        rc = avcodec_open2(a->dec, dc, NULL);
    }
    if (rc < 0)
        return imp_video_fail(err, err_size, path, "cannot open the %s audio decoder: %s",
                              dc->name, imp_av_error(rc, why, sizeof why));
    if (a->dec->sample_rate <= 0 || a->dec->ch_layout.nb_channels <= 0 ||
        a->dec->ch_layout.nb_channels > 64)
        return imp_video_fail(err, err_size, path, "the audio has no usable format");
    AVCodecContext *enc = a->enc;
    enc->sample_rate = pick_rate(ec, a->dec->sample_rate);
    enc->sample_fmt = ec->sample_fmts ? ec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
    if (pick_layout(ec, &a->dec->ch_layout, &enc->ch_layout) < 0)
        return imp_video_fail(err, err_size, path, "out of memory");
    enc->time_base = (AVRational){1, enc->sample_rate};
    enc->bit_rate = 64000 * (enc->ch_layout.nb_channels > 1 ? 2 : 1);
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    rc = avcodec_open2(enc, ec, NULL);
    if (rc < 0)
        return imp_video_fail(err, err_size, path, "cannot open the %s audio encoder: %s",
                              ec->name, imp_av_error(rc, why, sizeof why));
    rc = avcodec_parameters_from_context(ost->codecpar, enc);
    if (rc < 0)
        return imp_video_fail(err, err_size, path, "out of memory");
    ost->time_base = enc->time_base;
    rc = swr_alloc_set_opts2(&a->swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate,
                             &a->dec->ch_layout, a->dec->sample_fmt, a->dec->sample_rate, 0,
                             NULL);
    if (rc >= 0)
        rc = swr_init(a->swr);
    if (rc < 0)
        return imp_video_fail(err, err_size, path, "cannot convert the audio: %s",
                              imp_av_error(rc, why, sizeof why));
    a->fifo = av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels, 4096);
    if (!a->fifo)
        return imp_video_fail(err, err_size, path, "out of memory");
    return 0;
}

/* Encodes `frame` (NULL: flush) and writes what comes out. */
static int encode(struct imp_video_audio *a, AVFrame *frame, char *err, size_t err_size)
{
    char why[256];
    int rc = avcodec_send_frame(a->enc, frame);
    if (rc < 0 && !(frame == NULL && rc == AVERROR_EOF))
        return imp_video_fail(err, err_size, a->path, "cannot encode the audio: %s",
                              imp_av_error(rc, why, sizeof why));
    for (;;) {
        rc = avcodec_receive_packet(a->enc, a->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return imp_video_fail(err, err_size, a->path, "cannot encode the audio: %s",
                                  imp_av_error(rc, why, sizeof why));
        av_packet_rescale_ts(a->pkt, a->enc->time_base, a->ost->time_base);
        a->pkt->stream_index = a->ost->index;
        rc = av_interleaved_write_frame(a->oc, a->pkt);
        av_packet_unref(a->pkt);
        if (rc < 0)
            return imp_video_fail(err, err_size, a->path, "cannot write the audio: %s",
                                  imp_av_error(rc, why, sizeof why));
    }
}

/* Encodes whole encoder frames from the FIFO (and the rest when `all`). */
static int encode_fifo(struct imp_video_audio *a, int all, char *err, size_t err_size)
{
    int frame_size = a->enc->frame_size > 0 ? a->enc->frame_size : 1024;
    for (;;) {
        int have = av_audio_fifo_size(a->fifo);
        if (have == 0 || (have < frame_size && !all))
            return 0;
        int n = have < frame_size ? have : frame_size;
        av_frame_unref(a->out);
        a->out->nb_samples = n;
        a->out->format = a->enc->sample_fmt;
        a->out->sample_rate = a->enc->sample_rate;
        if (av_channel_layout_copy(&a->out->ch_layout, &a->enc->ch_layout) < 0 ||
            av_frame_get_buffer(a->out, 0) < 0)
            return imp_video_fail(err, err_size, a->path, "out of memory");
        if (av_audio_fifo_read(a->fifo, (void **)a->out->data, n) != n)
            return imp_video_fail(err, err_size, a->path, "audio buffer underflow");
        a->out->pts = a->next_pts;
        a->next_pts += n;
        if (encode(a, a->out, err, err_size))
            return -1;
    }
}

/* Converts a->in (or what swresample still holds, when NULL) into the FIFO. */
static int resample(struct imp_video_audio *a, const AVFrame *in, char *err,
                    size_t err_size)
{
    int in_samples = in ? in->nb_samples : 0;
    int cap = swr_get_out_samples(a->swr, in_samples);
    if (cap < 0)
        return imp_video_fail(err, err_size, a->path, "cannot convert the audio");
    if (cap == 0)
        return 0;
    uint8_t **buf = NULL;
    int rc = av_samples_alloc_array_and_samples(&buf, NULL, a->enc->ch_layout.nb_channels,
                                                cap, a->enc->sample_fmt, 0);
    if (rc < 0)
        return imp_video_fail(err, err_size, a->path, "out of memory");
    int got = swr_convert(a->swr, buf, cap, in ? (const uint8_t **)in->extended_data : NULL,
                          in_samples);
    if (got > 0 && av_audio_fifo_write(a->fifo, (void **)buf, got) < got)
        got = -1;
    av_freep(&buf[0]);
    av_freep(&buf);
    if (got < 0)
        return imp_video_fail(err, err_size, a->path, "cannot convert the audio");
    return 0;
}

static int drain_decoder(struct imp_video_audio *a, char *err, size_t err_size)
{
    for (;;) {
        int rc = avcodec_receive_frame(a->dec, a->in);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return 0; /* a damaged audio frame is skipped, not fatal */
        if (!a->started) {
            /* The first sample keeps its place on the timeline. */
            int64_t pts = a->in->best_effort_timestamp;
            a->next_pts = pts == AV_NOPTS_VALUE
                              ? 0
                              : av_rescale_q(pts, a->dec->pkt_timebase, a->enc->time_base);
            a->started = 1;
        }
        rc = resample(a, a->in, err, err_size);
        av_frame_unref(a->in);
        if (rc || encode_fifo(a, 0, err, err_size))
            return -1;
    }
}

int imp_video_audio_write(struct imp_video_audio *a, const AVPacket *pkt, char *err,
                          size_t err_size)
{
    int rc = avcodec_send_packet(a->dec, pkt);
    if (rc < 0 && rc != AVERROR_INVALIDDATA) {
        char why[256];
        return imp_video_fail(err, err_size, a->path, "cannot decode the audio: %s",
                              imp_av_error(rc, why, sizeof why));
    }
    return drain_decoder(a, err, err_size);
}

int imp_video_audio_finish(struct imp_video_audio *a, char *err, size_t err_size)
{
    avcodec_send_packet(a->dec, NULL);
    if (drain_decoder(a, err, err_size) || resample(a, NULL, err, err_size) ||
        encode_fifo(a, 1, err, err_size))
        return -1;
    return encode(a, NULL, err, err_size);
}

void imp_video_audio_close(struct imp_video_audio *a)
{
    if (!a)
        return;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    swr_free(&a->swr);
    if (a->fifo)
        av_audio_fifo_free(a->fifo);
    av_frame_free(&a->in);
    av_frame_free(&a->out);
    av_packet_free(&a->pkt);
    free(a);
}
