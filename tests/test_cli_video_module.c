/*
 * The video module (apps/media/video_module.h) as a user meets it: the
 * photo commands start without loading FFmpeg or SDL2 (the ~200 libraries
 * they pull in cost every command ~100 ms), a video command loads them,
 * and a module that is missing or broken is one error line and exit 1.
 *
 * What the program loaded is read from the dynamic loader's own report
 * (LD_DEBUG=libs, written to a file by LD_DEBUG_OUTPUT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"

#define STYLES IMP_SOURCE_DIR "/tests/data/styles"
static const char *photo = IMP_SOURCE_DIR "/assets/astronaut.png";
static struct imp_test_cli io;

/* Runs impasto with ARGS under LD_DEBUG=libs; returns the loader's report
 * (malloc'd; "" when there is none) and the exit code in *rc. */
static char *loader_report(const char *args, int *rc)
{
    char cmd[4096];
    const char *report = imp_test_cli_path(&io, "ld");
    snprintf(cmd, sizeof cmd, "rm -f '%s'.*; LD_DEBUG=libs LD_DEBUG_OUTPUT='%s' '%s' %s",
             report, report, imp_test_cli_binary, args);
    *rc = imp_test_sh(&io, "%s", cmd);
    /* LD_DEBUG_OUTPUT appends the pid: gather every file it wrote. */
    char cat[1024];
    snprintf(cat, sizeof cat, "cat '%s'.* 2>/dev/null", report);
    FILE *p = popen(cat, "r");
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t got;
    while (p && (got = fread(text + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n < 4096) {
            char *bigger = realloc(text, cap * 2);
            if (!bigger)
                break;
            text = bigger;
            cap *= 2;
        }
    }
    if (p)
        pclose(p);
    text[n] = '\0';
    return text;
}

/* True when the report shows none of FFmpeg, SDL2 or the module loaded. */
static int loaded_nothing_of_video(const char *args)
{
    int rc;
    char *report = loader_report(args, &rc);
    if (!report)
        return 0;
    int ok = rc == 0 && strstr(report, "calling init") != NULL &&
             !strstr(report, "libavformat") && !strstr(report, "libavcodec") &&
             !strstr(report, "libSDL2") && !strstr(report, "impasto-video.so");
    if (!ok)
        printf("  impasto %s: exit %d, loader report of %zu bytes%s\n", args, rc,
               strlen(report), rc == 0 ? " names FFmpeg, SDL2 or the module" : "");
    free(report);
    return ok;
}

static void photo_commands_load_no_ffmpeg_or_sdl(void)
{
    CHECK(loaded_nothing_of_video("--version"));
    char args[2048];
    snprintf(args, sizeof args, "styles");
    CHECK(loaded_nothing_of_video(args));
    snprintf(args, sizeof args, "stylize '%s' -o '%s' --style '%s/cin/waves.onnx' --size 64",
             photo, imp_test_cli_path(&io, "styled.png"), STYLES);
    CHECK(loaded_nothing_of_video(args));
    char model[512];
    if (imp_test_shared("models/segmentation/mediapipe-selfie/selfie_segmentation.tflite",
                        model, sizeof model)) {
        snprintf(args, sizeof args, "focus '%s' -o '%s' --model '%s' --quiet", photo,
                 imp_test_cli_path(&io, "focus.png"), model);
        CHECK(loaded_nothing_of_video(args));
    } else {
        printf("  (focus on a photo not run: ../shared/models is absent)\n");
    }
}

/* The control: a video command does load the module and FFmpeg (here it
 * then fails on the missing input, after loading). */
static void video_command_loads_the_module(void)
{
    char args[2048];
    snprintf(args, sizeof args, "video '%s' -o '%s' --style '%s/cin/waves.onnx'",
             imp_test_cli_path(&io, "absent.mp4"), imp_test_cli_path(&io, "out.mp4"),
             STYLES);
    int rc;
    char *report = loader_report(args, &rc);
    if (!CHECK(report))
        return;
    CHECK(rc == 1);
    CHECK(strstr(report, "impasto-video.so") != NULL);
    CHECK(strstr(report, "libavformat") != NULL);
    free(report);
}

/* One line naming the file and what to do, exit 1, for every way the
 * module can be unusable. */
static void missing_or_broken_module_is_one_error_line(void)
{
    char video[512];
    snprintf(video, sizeof video, "'%s' -o '%s'", imp_test_cli_path(&io, "clip.mp4"),
             imp_test_cli_path(&io, "out.mp4"));
    const char *missing = imp_test_cli_path(&io, "missing/impasto-video.so");
    CHECK(imp_test_sh(&io, "IMP_VIDEO_MODULE='%s' '%s' focus %s", missing,
                      imp_test_cli_binary, video) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "missing/impasto-video.so: not found"));
    CHECK(imp_test_has(io.err, "rebuild impasto"));

    /* A file that is no shared object: dlopen refuses it, we do not crash. */
    const char *junk = imp_test_cli_path(&io, "junk.so");
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("not an ELF file\n", f);
        fclose(f);
    }
    CHECK(imp_test_sh(&io, "IMP_VIDEO_MODULE='%s' '%s' video %s --style '%s/cin/waves.onnx'",
                      junk, imp_test_cli_binary, video, STYLES) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "junk.so: cannot be loaded"));

    /* live fails the same way (and cleans up what it had opened). */
    CHECK(imp_test_sh(&io, "IMP_VIDEO_MODULE='%s' '%s' live --input lavfi:testsrc "
                      "--headless -o '%s' --style '%s/cin/waves.onnx'",
                      missing, imp_test_cli_binary, imp_test_cli_path(&io, "live.mp4"),
                      STYLES) == 1);
    CHECK(imp_test_cli_one_error_line(&io, "impasto-video.so: not found"));

    /* A program copied away from its module, with none installed, looks
     * beside itself and says so. */
    const char *lone = imp_test_cli_path(&io, "lone/impasto");
    if (access(IMP_VIDEO_MODULE_INSTALLED, F_OK) == 0) {
        printf("  (lone program not run: a module is installed at %s)\n",
               IMP_VIDEO_MODULE_INSTALLED);
        return;
    }
    if (CHECK(imp_test_sh(&io, "mkdir -p '%s/lone' && cp '%s' '%s'", io.dir,
                          imp_test_cli_binary, lone) == 0)) {
        CHECK(imp_test_sh(&io, "'%s' focus %s", lone, video) == 1);
        CHECK(imp_test_cli_one_error_line(&io, "lone/impasto-video.so: not found"));
        /* and the photo commands still work without it */
        CHECK(imp_test_sh(&io, "'%s' --version", lone) == 0);
    }
}

int main(void)
{
    if (access(imp_test_cli_binary, X_OK) != 0)
        imp_test_skip("the impasto program is not built (IMP_BUILD_APPS=OFF)");
    if (!imp_test_cli_open(&io, "imp_test_video_module_"))
        return 1;
    RUN(photo_commands_load_no_ffmpeg_or_sdl);
    RUN(video_command_loads_the_module);
    RUN(missing_or_broken_module_is_one_error_line);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
