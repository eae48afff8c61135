/* The video writer's default options. Apart from the writer (which needs
 * FFmpeg) because commands fill them in while parsing their flags, before
 * they know whether they will write a video at all: asking for them must
 * not load the video module (video_module.h). */
#include "video.h"

struct imp_video_writer_options imp_video_writer_options_default(void)
{
    struct imp_video_writer_options o = {NULL, -1, NULL, 0};
    return o;
}
