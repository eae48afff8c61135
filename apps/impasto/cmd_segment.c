/* impasto segment: a person mask for a photo, from a segmentation model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "resample.h"

static const char help[] =
    "usage: impasto segment MODEL PHOTO -o MASK.png [--overlay OUT.png] [options]\n"
    "\n"
    "Find the person in a photo (PNG or JPEG) with a segmentation model such\n"
    "as MediaPipe's selfie segmentation (input [1,256,256,3] RGB 0..1, output\n"
    "[1,256,256,1] person probability). The photo is resized to the model's\n"
    "input, the model's single-channel output is resized back to the photo's\n"
    "size and written as an 8-bit gray PNG: 255 where the model is sure of a\n"
    "person, 0 for background.\n"
    "\n"
    "options:\n"
    "  -o, --output MASK.png the mask to write\n"
    "      --overlay OUT.png also write the photo with the background dimmed,\n"
    "                        to see at a glance what the model found\n" IMP_CLI_IMAGE_HELP
        IMP_CLI_MODEL_HELP
    "  -h, --help            show this help\n"
    "\n"
    "examples:\n"
    "  impasto segment selfie_segmentation.tflite me.jpg -o mask.png\n"
    "  impasto segment selfie_segmentation.tflite assets/astronaut.png \\\n"
    "      -o out/astronaut-mask.png --overlay out/astronaut-overlay.png\n";

static uint8_t to_byte(float v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v; /* also turns NaN into 1: never garbage */
    return (uint8_t)(v * 255.0f + 0.5f);
}

static int write_results(struct imp_cli_session *s, const struct imp_image *photo,
                         const char *mask_path, const char *overlay_path)
{
    float *mask;
    int mh, mw;
    int rc = imp_cli_mask_output(s, &mask, &mh, &mw);
    if (rc)
        return rc;
    size_t np = (size_t)photo->width * photo->height;
    float *big = malloc(sizeof *big * np);
    struct imp_image out = {photo->width, photo->height, 1, malloc(np)};
    struct imp_image over = {photo->width, photo->height, 3,
                             overlay_path ? malloc(np * 3) : NULL};
    char why[512];
    if (!big || !out.pixels || (overlay_path && !over.pixels) ||
        imp_resample_f32(mask, mw, mh, 1, big, photo->width, photo->height) != 0) {
        rc = imp_cli_fail(s->path, "out of memory");
        goto done;
    }
    size_t person = 0;
    for (size_t i = 0; i < np; i++) {
        out.pixels[i] = to_byte(big[i]);
        person += out.pixels[i] >= 128;
    }
    if (imp_image_save_png(mask_path, &out, why, sizeof why) != 0) {
        rc = imp_cli_fail_message(mask_path, why);
        goto done;
    }
    printf("mask     %s (%dx%d gray; person on %.1f%% of the photo)\n", mask_path,
           photo->width, photo->height, 100.0 * (double)person / (double)np);
    if (overlay_path) {
        /* Keep the person, dim the background to a quarter. */
        for (size_t i = 0; i < np; i++) {
            float keep = 0.25f + 0.75f * (float)out.pixels[i] / 255.0f;
            for (int c = 0; c < 3; c++)
                over.pixels[i * 3 + c] =
                    (uint8_t)(photo->pixels[i * 3 + c] * keep + 0.5f);
        }
        if (imp_image_save_png(overlay_path, &over, why, sizeof why) != 0) {
            rc = imp_cli_fail_message(overlay_path, why);
            goto done;
        }
        printf("overlay  %s (background dimmed)\n", overlay_path);
    }
done:
    free(mask);
    free(big);
    free(out.pixels);
    free(over.pixels);
    return rc;
}

static int segment_main(int argc, char **argv)
{
    enum { OPT_OUTPUT = 1, OPT_OVERLAY };
    static const struct imp_cli_option opts[] = {
        IMP_CLI_MODEL_OPTIONS,
        IMP_CLI_IMAGE_OPTIONS,
        {"output", 'o', 1, OPT_OUTPUT},
        {"overlay", 0, 1, OPT_OVERLAY},
        {0},
    };
    const char *cmd = "segment";
    struct imp_cli_model_flags flags;
    struct imp_cli_image_flags image_flags;
    imp_cli_model_flags_init(&flags);
    imp_cli_image_flags_init(&image_flags);
    const char *paths[2], *mask_path = NULL, *overlay_path = NULL;
    int n = 0;
    struct imp_cli_args a;
    imp_cli_args_init(&a, &imp_cli_segment_command, argc, argv);
    for (int id; (id = imp_cli_args_next(&a, opts)) != IMP_CLI_ARG_END;) {
        if (id == IMP_CLI_ARG_HELP)
            return 0;
        if (id == IMP_CLI_ARG_ERROR)
            return IMP_CLI_EXIT_USAGE;
        if (id == IMP_CLI_ARG_POSITIONAL) {
            if (n == 2)
                return imp_cli_usage(cmd, "unexpected argument '%s'", a.value);
            paths[n++] = a.value;
        } else if (id == OPT_OUTPUT) {
            mask_path = a.value;
        } else if (id == OPT_OVERLAY) {
            overlay_path = a.value;
        } else {
            int r = imp_cli_model_flag(&flags, cmd, id, a.value);
            if (r == 0)
                r = imp_cli_image_flag(&image_flags, cmd, id, a.value);
            if (r < 0)
                return IMP_CLI_EXIT_USAGE;
        }
    }
    if (n < 2)
        return imp_cli_usage(cmd, "give a MODEL and a PHOTO");
    if (!mask_path)
        return imp_cli_usage(cmd, "give the mask file with -o MASK.png");

    struct imp_image photo;
    char why[512];
    if (imp_image_load(paths[1], &photo, why, sizeof why) != 0)
        return imp_cli_fail_message(paths[1], why);
    struct imp_cli_session s;
    int rc = imp_cli_open(paths[0], &flags, &s);
    if (rc) {
        imp_image_free(&photo);
        return rc;
    }
    if (imp_model_input_count(s.model) != 1 || imp_model_output_count(s.model) < 1)
        rc = imp_cli_fail(paths[0],
                          "segment needs a model with one input and a mask output "
                          "(this one has %d inputs, %d outputs)",
                          imp_model_input_count(s.model), imp_model_output_count(s.model));
    if (rc == 0)
        rc = imp_cli_set_image_input(&s, 0, &photo, &image_flags, paths[1]);
    if (rc == 0) {
        double t0 = imp_cli_now_ms();
        enum imp_status st = imp_predictor_run(s.pred);
        double ms = imp_cli_now_ms() - t0;
        if (st != IMP_OK) {
            rc = imp_cli_pred_fail(&s, st);
        } else {
            char shapes[512];
            imp_cli_format_input_shapes(&s, shapes, sizeof shapes);
            printf("model    %s ran on %s in %.1f ms (%d threads, %s)\n", paths[0],
                   shapes, ms, s.threads, imp_isa_name(s.isa));
            rc = write_results(&s, &photo, mask_path, overlay_path);
        }
    }
    imp_cli_close(&s);
    imp_image_free(&photo);
    return rc;
}

const struct imp_cli_command imp_cli_segment_command = {
    "segment", "cut the person out of a photo: write the mask (and an overlay)", help,
    segment_main};
