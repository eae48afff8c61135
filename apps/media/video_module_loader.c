/* The program's side of the video module (video_module.h): find
 * impasto-video.so, load it on first use, and stand in for every function
 * of video.h, live_out.h and window.h by calling through its table. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "video_module.h"

/* Where `make install` puts the module: an absolute folder, and the same
 * relative to the install prefix (CMake defines both). */
#ifndef IMP_VIDEO_MODULE_DIR
#define IMP_VIDEO_MODULE_DIR "/usr/local/lib/impasto"
#endif
#ifndef IMP_VIDEO_MODULE_RELATIVE_DIR
#define IMP_VIDEO_MODULE_RELATIVE_DIR "lib/impasto"
#endif

/* What to do about a module that is missing or does not load. */
#define FIX_HINT                                                                         \
    "rebuild impasto with FFmpeg's and SDL2's development packages installed "        \
    "(scripts/build.sh installs them), or install FFmpeg's and SDL2's libraries"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct imp_video_module *module; /* NULL until loaded */
static char module_path[1024];
static char load_error[2048];

/* The folder of the running program, from /proc/self/exe; "" if unknown. */
static void program_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0) {
        dir[0] = '\0';
        return;
    }
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
}

/* The file to load: $IMP_VIDEO_MODULE when set; else the first that
 * exists of: beside the program (a build tree), <program>/../<libdir>/impasto
 * (an install, wherever its prefix was moved), and the libdir the build
 * was configured to install to. module_path ends as that file, or as the
 * one beside the program when none exists. */
static int find_module(void)
{
    const char *forced = getenv("IMP_VIDEO_MODULE");
    if (forced && forced[0]) {
        snprintf(module_path, sizeof module_path, "%s", forced);
        return access(module_path, F_OK) == 0;
    }
    char dir[900];
    program_dir(dir, sizeof dir);
    char candidates[3][sizeof module_path];
    int n = 0;
    if (dir[0]) {
        snprintf(candidates[n++], sizeof candidates[0], "%s/%s", dir, IMP_VIDEO_MODULE_FILE);
        snprintf(candidates[n++], sizeof candidates[0], "%s/../%s/%s", dir,
                 IMP_VIDEO_MODULE_RELATIVE_DIR, IMP_VIDEO_MODULE_FILE);
    }
    snprintf(candidates[n++], sizeof candidates[0], "%s/%s", IMP_VIDEO_MODULE_DIR,
             IMP_VIDEO_MODULE_FILE);
    for (int i = 0; i < n; i++) {
        if (access(candidates[i], F_OK) == 0) {
            memcpy(module_path, candidates[i], sizeof module_path);
            return 1;
        }
    }
    memcpy(module_path, candidates[0], sizeof module_path);
    return 0;
}

static void load(void)
{
    if (!find_module()) {
        const char *forced = getenv("IMP_VIDEO_MODULE");
        snprintf(load_error, sizeof load_error,
                 "%s: not found%s%s%s; video files, cameras and windows need impasto's "
                 "video module: %s",
                 module_path, forced && forced[0] ? " ($IMP_VIDEO_MODULE)" : " (nor in ",
                 forced && forced[0] ? "" : "../" IMP_VIDEO_MODULE_RELATIVE_DIR " or "
                                            IMP_VIDEO_MODULE_DIR,
                 forced && forced[0] ? "" : ")", FIX_HINT);
        return;
    }
    /* RTLD_NOW: a library FFmpeg needs that is missing fails here, as one
     * message, rather than as a crash at the first call. RTLD_LOCAL: the
     * module's symbols stay its own. The module is never closed. */
    void *h = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s: cannot be loaded (%s): %s",
                 module_path, why ? why : "unknown reason", FIX_HINT);
        return;
    }
    const struct imp_video_module *m = dlsym(h, IMP_VIDEO_MODULE_SYMBOL);
    if (!m || m->abi != IMP_VIDEO_MODULE_ABI || m->size != sizeof *m) {
        snprintf(load_error, sizeof load_error,
                 "%s: not a video module of this impasto (%s): rebuild or reinstall "
                 "impasto so that the program and its module match",
                 module_path, m ? "another version" : "no " IMP_VIDEO_MODULE_SYMBOL);
        dlclose(h);
        return;
    }
    module = m;
}

int imp_video_module_open(char *err, size_t err_size)
{
    pthread_once(&once, load);
    if (module)
        return 0;
    snprintf(err, err_size, "%s", load_error);
    return -1;
}

const char *imp_video_module_path(void)
{
    pthread_once(&once, load);
    return module_path;
}

/* The table for a function that reports errors: NULL after writing why
 * into err. */
static const struct imp_video_module *need(char *err, size_t err_size)
{
    return imp_video_module_open(err, err_size) == 0 ? module : NULL;
}

/* The table for a function that cannot report an error; NULL when the
 * module did not load. */
static const struct imp_video_module *quietly(void)
{
    pthread_once(&once, load);
    return module;
}

/* The stand-ins. A function given an object (a reader, writer, window...)
 * has a loaded module: only the module makes those objects. */

void imp_video_quiet_logs(void)
{
    const struct imp_video_module *m = quietly();
    if (m)
        m->quiet_logs();
}

void imp_video_frame_free(struct imp_video_frame *f)
{
    const struct imp_video_module *m = quietly();
    if (m) {
        m->frame_free(f);
    } else if (f) { /* a frame the program made: pixels, never audio */
        free(f->rgb);
        memset(f, 0, sizeof *f);
    }
}

int imp_video_reader_open(const char *path, struct imp_video_reader **out, char *err,
                          size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->reader_open(path, out, err, err_size) : -1;
}

int imp_video_reader_open_format(const char *format, const char *url,
                                 struct imp_video_reader **out, char *err,
                                 size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->reader_open_format(format, url, out, err, err_size) : -1;
}

int imp_video_reader_open_memory(const void *data, size_t size, const char *name,
                                 struct imp_video_reader **out, char *err,
                                 size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->reader_open_memory(data, size, name, out, err, err_size) : -1;
}

const struct imp_video_info *imp_video_reader_info(const struct imp_video_reader *r)
{
    return module->reader_info(r);
}

int imp_video_reader_set_output_size(struct imp_video_reader *r, int width, int height,
                                     char *err, size_t err_size)
{
    return module->reader_set_output_size(r, width, height, err, err_size);
}

int imp_video_reader_next(struct imp_video_reader *r, struct imp_video_frame *f,
                          char *err, size_t err_size)
{
    return module->reader_next(r, f, err, err_size);
}

void imp_video_reader_close(struct imp_video_reader *r)
{
    if (r)
        module->reader_close(r);
}

int imp_video_writer_open(const char *path, const struct imp_video_reader *src,
                          const struct imp_video_writer_options *opt,
                          struct imp_video_writer **out, char *err, size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->writer_open(path, src, opt, out, err, err_size) : -1;
}

int imp_video_writer_write(struct imp_video_writer *w, const struct imp_video_frame *f,
                           char *err, size_t err_size)
{
    return module->writer_write(w, f, err, err_size);
}

int imp_video_writer_finish(struct imp_video_writer *w, char *err, size_t err_size)
{
    return module->writer_finish(w, err, err_size);
}

int imp_video_writer_complete(struct imp_video_writer *w, char *err, size_t err_size)
{
    return module->writer_complete(w, err, err_size);
}

int imp_video_writer_commit(struct imp_video_writer *w, char *err, size_t err_size)
{
    return module->writer_commit(w, err, err_size);
}

void imp_video_writer_close(struct imp_video_writer *w)
{
    if (w)
        module->writer_close(w);
}

const char *imp_video_writer_codec(const struct imp_video_writer *w)
{
    return module->writer_codec(w);
}

const char *imp_video_writer_audio(const struct imp_video_writer *w)
{
    return module->writer_audio(w);
}

int imp_rgb_scale(void **ctx, const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
                  int dh, char *err, size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->rgb_scale(ctx, src, sw, sh, dst, dw, dh, err, err_size) : -1;
}

void imp_rgb_scale_free(void *ctx)
{
    if (ctx)
        module->rgb_scale_free(ctx);
}

int imp_y4m_header(FILE *f, int w, int h, int fps_num, int fps_den, char *err,
                   size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->y4m_header(f, w, h, fps_num, fps_den, err, err_size) : -1;
}

int imp_y4m_frame(FILE *f, const uint8_t *rgb, int w, int h, char *err, size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->y4m_frame(f, rgb, w, h, err, err_size) : -1;
}

void imp_yuyv_pack(const uint8_t *rgb, int w, int h, uint8_t *out)
{
    const struct imp_video_module *m = quietly();
    if (m)
        m->yuyv_pack(rgb, w, h, out);
}

int imp_v4l2_out_open(const char *path, int w, int h, struct imp_v4l2_out **out,
                      char *err, size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->v4l2_out_open(path, w, h, out, err, err_size) : -1;
}

int imp_v4l2_out_write(struct imp_v4l2_out *v, const uint8_t *rgb, char *err,
                       size_t err_size)
{
    return module->v4l2_out_write(v, rgb, err, err_size);
}

void imp_v4l2_out_close(struct imp_v4l2_out *v)
{
    if (v)
        module->v4l2_out_close(v);
}

int imp_window_open(const char *title, int w, int h, struct imp_window **out, char *err,
                    size_t err_size)
{
    const struct imp_video_module *m = need(err, err_size);
    return m ? m->window_open(title, w, h, out, err, err_size) : -1;
}

int imp_window_show(struct imp_window *win, const uint8_t *rgb, int w, int h, char *err,
                    size_t err_size)
{
    return module->window_show(win, rgb, w, h, err, err_size);
}

void imp_window_title(struct imp_window *win, const char *title)
{
    module->window_title(win, title);
}

int imp_window_key(struct imp_window *win)
{
    return module->window_key(win);
}

void imp_window_toggle_fullscreen(struct imp_window *win)
{
    module->window_toggle_fullscreen(win);
}

int imp_window_is_fullscreen(struct imp_window *win)
{
    return module->window_is_fullscreen(win);
}

void imp_window_close(struct imp_window *win)
{
    if (win)
        module->window_close(win);
}
