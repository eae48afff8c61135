/*
 * The video module: the FFmpeg- and SDL2-backed half of the media layer
 * (video.h, live_out.h, window.h) built as its own shared object,
 * impasto-video.so, that the impasto program loads only when a command
 * needs video files, cameras or a window.
 *
 * Why: linked into the program, FFmpeg and SDL2 pull in some 200 shared
 * libraries, and loading and relocating them cost every command about
 * 100 ms of start-up, `impasto --version` included, while the photo
 * commands never use them.
 *
 * How: the module exports one symbol, IMP_VIDEO_MODULE_SYMBOL, a table of
 * the media functions (video_module.c). The program links
 * video_module_loader.c instead of the FFmpeg code: it defines every
 * function of video.h, live_out.h and window.h as a call through that
 * table, so the commands call them as before. Tests and fuzzers link the
 * FFmpeg code directly (the impasto_video library) and never see this.
 */
#ifndef IMP_APP_VIDEO_MODULE_H
#define IMP_APP_VIDEO_MODULE_H

#include <stddef.h>

#include "live_out.h"
#include "video.h"
#include "window.h"

/* The file the program looks for: beside itself, then in the install
 * libdir's impasto/ folder; $IMP_VIDEO_MODULE names another file. */
#define IMP_VIDEO_MODULE_FILE "impasto-video.so"
#define IMP_VIDEO_MODULE_SYMBOL "imp_video_module_table"
/* Bumped when the table or any function in it changes meaning; a module
 * built for another version is refused rather than called. */
#define IMP_VIDEO_MODULE_ABI 1

/* Each entry has exactly the type of the function it stands for:
 * __typeof__ keeps the table and the headers from drifting apart. */
struct imp_video_module {
    int abi;     /* IMP_VIDEO_MODULE_ABI */
    size_t size; /* sizeof(struct imp_video_module) */
    __typeof__(imp_video_quiet_logs) *quiet_logs;
    __typeof__(imp_video_frame_free) *frame_free;
    __typeof__(imp_video_reader_open) *reader_open;
    __typeof__(imp_video_reader_open_format) *reader_open_format;
    __typeof__(imp_video_reader_open_memory) *reader_open_memory;
    __typeof__(imp_video_reader_info) *reader_info;
    __typeof__(imp_video_reader_set_output_size) *reader_set_output_size;
    __typeof__(imp_video_reader_next) *reader_next;
    __typeof__(imp_video_reader_close) *reader_close;
    __typeof__(imp_video_writer_open) *writer_open;
    __typeof__(imp_video_writer_write) *writer_write;
    __typeof__(imp_video_writer_finish) *writer_finish;
    __typeof__(imp_video_writer_complete) *writer_complete;
    __typeof__(imp_video_writer_commit) *writer_commit;
    __typeof__(imp_video_writer_close) *writer_close;
    __typeof__(imp_video_writer_codec) *writer_codec;
    __typeof__(imp_video_writer_audio) *writer_audio;
    __typeof__(imp_rgb_scale) *rgb_scale;
    __typeof__(imp_rgb_scale_free) *rgb_scale_free;
    __typeof__(imp_y4m_header) *y4m_header;
    __typeof__(imp_y4m_frame) *y4m_frame;
    __typeof__(imp_yuyv_pack) *yuyv_pack;
    __typeof__(imp_v4l2_out_open) *v4l2_out_open;
    __typeof__(imp_v4l2_out_write) *v4l2_out_write;
    __typeof__(imp_v4l2_out_close) *v4l2_out_close;
    __typeof__(imp_window_open) *window_open;
    __typeof__(imp_window_show) *window_show;
    __typeof__(imp_window_title) *window_title;
    __typeof__(imp_window_key) *window_key;
    __typeof__(imp_window_toggle_fullscreen) *window_toggle_fullscreen;
    __typeof__(imp_window_is_fullscreen) *window_is_fullscreen;
    __typeof__(imp_window_close) *window_close;
};

/* In the program (video_module_loader.c): loads the module once (later
 * calls return the first answer). 0 when it is ready; -1 with one line
 * "FILE: why, and what to install or rebuild" in err when it is missing,
 * cannot be loaded (a library it needs is absent) or is of another
 * version. Commands that need video call it first; the functions of
 * video.h, live_out.h and window.h call it too, and fail with the same
 * line, if one was not called. */
int imp_video_module_open(char *err, size_t err_size);
/* The module file the last open() loaded or looked for first. */
const char *imp_video_module_path(void);

#endif
