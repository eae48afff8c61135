/*
 * Video files through FFmpeg's libraries: decode any input FFmpeg reads into
 * 8-bit RGB frames, and write RGB frames back as a new file that keeps what
 * the source said about itself (timestamps, frame rate, rotation, pixel
 * aspect, colour range and matrix) and its audio.
 *
 * A writer is made from a reader: it copies the source's stream properties,
 * so the two form a transcoding pair. Audio never leaves FFmpeg's hands: the
 * reader hands the audio packets it meets to the next frame it returns, and
 * the writer writes them just before that frame, which keeps the file
 * interleaved however many threads the frames pass through in between.
 *
 * Every function that can fail returns -1 and writes one line naming the
 * problem into err ("PATH: why"). The input is treated as hostile: sizes are
 * bounded, every av* call is checked.
 */
#ifndef IMP_APP_VIDEO_H
#define IMP_APP_VIDEO_H

#include <stddef.h>
#include <stdint.h>

/* FFmpeg's own log lines would break the one-line error promise: off. */
void imp_video_quiet_logs(void);

/* Frames wider or taller than this, or of more pixels (8K UHD fits), are
 * refused as hostile: a pipeline holds a dozen or more frames at once. */
#define IMP_VIDEO_MAX_SIDE 16384
#define IMP_VIDEO_MAX_PIXELS (1u << 25)

struct imp_video_reader;
struct imp_video_writer;
struct imp_video_packets; /* demuxed audio, opaque */

struct imp_video_info {
    int width, height;     /* decoded frame size (before rotation) */
    int fps_num, fps_den;  /* average frame rate; 0/1 when unknown */
    int64_t frames;        /* frame count the container states or
                              duration x rate; 0 when unknown */
    double duration;       /* seconds, 0 when unknown */
    double rotation;       /* degrees counter-clockwise the player turns the
                              picture (display matrix), 0 for none */
    int sar_num, sar_den;  /* pixel aspect, 0/1 when unknown (= square) */
    int full_range;        /* 1: JPEG (0..255) range, 0: TV range */
    int has_audio;
    const char *codec;     /* decoder name */
    const char *audio_codec; /* NULL without audio */
};

struct imp_video_frame {
    int width, height;  /* of rgb */
    uint8_t *rgb;       /* width x height x 3, malloc'd; NULL for the audio
                           that follows the last frame */
    int64_t pts;        /* in the source stream's time base */
    int64_t index;      /* 0, 1, 2, ... in decoding output order */
    double seconds;     /* pts as seconds from the stream's start */
    struct imp_video_packets *audio; /* to write before this frame; owned */
};

/* Frees what the frame owns (its pixels and audio) and clears it. */
void imp_video_frame_free(struct imp_video_frame *f);

int imp_video_reader_open(const char *path, struct imp_video_reader **out, char *err,
                          size_t err_size);
/* A device or a generated source by FFmpeg input format: "v4l2" with
 * "/dev/video0", "lavfi" with "testsrc2=size=640x480:rate=30", ... */
int imp_video_reader_open_format(const char *format, const char *url,
                                 struct imp_video_reader **out, char *err,
                                 size_t err_size);
/* A video held in memory: `data` is borrowed until close, `name` only
 * names it in messages. Nothing outside the bytes is read: a playlist or a
 * movie that refers to other files is refused them. */
int imp_video_reader_open_memory(const void *data, size_t size, const char *name,
                                 struct imp_video_reader **out, char *err,
                                 size_t err_size);
const struct imp_video_info *imp_video_reader_info(const struct imp_video_reader *r);
/* The size next() scales frames to (default: the source's). */
int imp_video_reader_set_output_size(struct imp_video_reader *r, int width, int height,
                                     char *err, size_t err_size);
/* Decodes the next frame into *f (which it fills; free with
 * imp_video_frame_free). Returns 1 for a frame, 0 at the end (then *f
 * carries no pixels but may carry the last audio), -1 on an error. */
int imp_video_reader_next(struct imp_video_reader *r, struct imp_video_frame *f,
                          char *err, size_t err_size);
void imp_video_reader_close(struct imp_video_reader *r);

struct imp_video_writer_options {
    const char *codec;  /* encoder name; NULL: the container's usual one */
    int crf;            /* quality (lower is better); -1: the encoder's default */
    const char *preset; /* encoder speed preset; NULL: a fast one */
    int no_audio;       /* leave the source's audio out */
};
struct imp_video_writer_options imp_video_writer_options_default(void);

/* Opens PATH for writing: the container comes from its extension (mp4,
 * mkv, webm, mov, ...). Frames are written at the source's size; write()
 * scales whatever size it is given. Everything goes to a temporary file
 * beside PATH, renamed to PATH by finish(). */
int imp_video_writer_open(const char *path, const struct imp_video_reader *src,
                          const struct imp_video_writer_options *opt,
                          struct imp_video_writer **out, char *err, size_t err_size);
/* Writes the frame's audio, then its picture (if it has one). Frames must
 * come in the order the reader gave them. */
int imp_video_writer_write(struct imp_video_writer *w, const struct imp_video_frame *f,
                           char *err, size_t err_size);
/* Flushes the encoders, completes the file and renames it into place. */
int imp_video_writer_finish(struct imp_video_writer *w, char *err, size_t err_size);
/* finish() in its two halves, for files that must appear together or not
 * at all: complete() flushes and completes the file under its temporary
 * name (nothing more can be written), commit() renames it into place. */
int imp_video_writer_complete(struct imp_video_writer *w, char *err, size_t err_size);
int imp_video_writer_commit(struct imp_video_writer *w, char *err, size_t err_size);
/* Frees the writer; removes the temporary file unless finish() succeeded. */
void imp_video_writer_close(struct imp_video_writer *w);
/* Names of the encoders the writer chose ("libx264", "aac (re-encoded)"). */
const char *imp_video_writer_codec(const struct imp_video_writer *w);
const char *imp_video_writer_audio(const struct imp_video_writer *w);

#endif
