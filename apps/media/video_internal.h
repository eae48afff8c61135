/*
 * What the video reader and writer share (FFmpeg types; not for callers).
 */
#ifndef IMP_APP_VIDEO_INTERNAL_H
#define IMP_APP_VIDEO_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "video.h"

struct imp_video_packets {
    AVPacket **items;
    int count, capacity;
};

/* The bytes of imp_video_reader_open_memory, and how far they are read. */
struct imp_video_memory {
    const uint8_t *data;
    size_t size, pos;
};

struct imp_video_reader {
    char *path; /* or the name given to a video in memory */
    AVFormatContext *fmt;
    AVIOContext *memory_io; /* reads `memory`; NULL for a path */
    struct imp_video_memory memory;
    /* A path's opens: FFmpeg's own opener, and whether the file itself
     * was opened (io_open_of_path) */
    int (*default_open)(AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                        AVDictionary **options);
    int opened_itself;
    char refused[256]; /* the last file a playlist inside it named, refused */
    AVStream *video, *audio; /* audio may be NULL */
    AVCodecContext *dec;
    struct SwsContext *sws;
    AVPacket *pkt;
    AVFrame *frame;
    int out_w, out_h;
    int64_t next_index;
    int64_t last_pts;
    int draining, done;
    struct imp_video_packets *pending_audio; /* since the last frame */
    struct imp_video_info info;
};

/* Within IMP_VIDEO_MAX_SIDE a side and IMP_VIDEO_MAX_PIXELS in all. */
int imp_video_size_ok(int width, int height);
/* FFmpeg's deprecated full-range "J" formats as the plain format they are
 * (YUVJ420P is YUV420P at full range): swscale warns about the J names.
 * Any other format is returned as it is. *was_j (may be NULL) says which. */
enum AVPixelFormat imp_video_without_j(enum AVPixelFormat fmt, int *was_j);
/* "why" for an FFmpeg error code. */
const char *imp_av_error(int code, char *buf, size_t size);
/* Writes "path: fmt..." into err and returns -1. */
int imp_video_fail(char *err, size_t size, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* sws_scale of a whole picture, checked: 0 when all dst_h rows came out,
 * else -1 with why ("converted 3 of 24 rows", or FFmpeg's reason). */
int imp_sws_scale_all(struct SwsContext *sws, const uint8_t *const src[],
                      const int src_stride[], int src_h, uint8_t *const dst[],
                      const int dst_stride[], int dst_h, char *why, size_t why_size);
/* The sws colour matrix table for an FFmpeg colour space. */
const int *imp_video_sws_coefficients(enum AVColorSpace cs);

#endif
