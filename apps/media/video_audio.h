/*
 * Audio re-encoding for the video writer, for a source whose audio codec the
 * new container cannot hold (PCM into WebM, Vorbis into MP4): decode, convert
 * to what the container's usual encoder takes, re-frame, encode, write.
 */
#ifndef IMP_APP_VIDEO_AUDIO_H
#define IMP_APP_VIDEO_AUDIO_H

#include <libavformat/avformat.h>

struct imp_video_audio;

/* Sets up the output stream `ost` of `oc` to carry `src` re-encoded. */
int imp_video_audio_open(struct imp_video_audio **out, const AVStream *src,
                         AVFormatContext *oc, AVStream *ost, const char *path,
                         char *err, size_t err_size);
/* One packet of the source stream in (time base of src). */
int imp_video_audio_write(struct imp_video_audio *a, const AVPacket *pkt, char *err,
                          size_t err_size);
/* Everything still buffered out, before the trailer. */
int imp_video_audio_finish(struct imp_video_audio *a, char *err, size_t err_size);
void imp_video_audio_close(struct imp_video_audio *a);
const char *imp_video_audio_codec(const struct imp_video_audio *a);

#endif
