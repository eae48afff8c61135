/* The style options of stylize, video and live (see stylize_cli.h). */
#include <stdio.h>
#include <string.h>

#include "stylize_cli.h"

void imp_stylize_job_init(struct imp_stylize_job *job)
{
    memset(job, 0, sizeof *job);
    imp_cli_model_flags_init(&job->model_flags);
    imp_cli_image_flags_init(&job->image_flags);
    job->strength = 1.0f;
    job->tile = -1;
    job->max_memory = (size_t)1 << 30;
}

int imp_stylize_style_option(struct imp_stylize_job *job, const char *cmd, int id,
                             const char *value)
{
    switch (id) {
    case IMP_STYLE_OPT_STYLE:
        job->style = value;
        return 1;
    case IMP_STYLE_OPT_STRENGTH:
        job->strength_set = 1;
        return imp_cli_parse_unit(cmd, "--strength", value, &job->strength) ? -1 : 1;
    case IMP_STYLE_OPT_BLEND:
        return imp_stylize_parse_blend(cmd, value, job) ? -1 : 1;
    case IMP_STYLE_OPT_PRESERVE:
        job->preserve_colors = 1;
        return 1;
    case IMP_STYLE_OPT_RANGE: {
        return imp_cli_parse_pixel_range(cmd, value, &job->range) ? -1 : 1;
    }
    case IMP_STYLE_OPT_MAGENTA:
        job->magenta_dir = value;
        return 1;
    case IMP_STYLE_OPT_STYLE_IMAGE:
        if (job->n_style_images == IMP_STYLIZE_MAX_BLEND) {
            imp_cli_usage(cmd, "at most %d --style-image", IMP_STYLIZE_MAX_BLEND);
            return -1;
        }
        job->style_images[job->n_style_images++] = value;
        return 1;
    case IMP_STYLE_OPT_SAVE_STYLE:
        job->save_style = value;
        return 1;
    case IMP_STYLE_OPT_STYLE_VECTOR:
        job->style_vector = value;
        return 1;
    default: {
        int r = imp_cli_image_flag(&job->image_flags, cmd, id, value);
        job->convention_given |= r == 1;
        return r;
    }
    }
}

int imp_stylize_check_style(const struct imp_stylize_job *job, const char *cmd)
{
    int magenta = imp_stylize_is_magenta(job);
    if (magenta && (job->style || job->n_blend))
        return imp_cli_usage(cmd, "--style/--blend and the Magenta options exclude each other");
    if (magenta && !job->magenta_dir)
        return imp_cli_usage(cmd, "--style-image and --style-vector need --magenta DIR");
    if (job->magenta_dir && !job->n_style_images && !job->style_vector)
        return imp_cli_usage(cmd,
                             "--magenta needs --style-image PAINTING or --style-vector V.npy");
    if (job->style_vector && job->n_style_images)
        return imp_cli_usage(cmd, "give --style-image or --style-vector, not both");
    if (job->save_style && !job->n_style_images)
        return imp_cli_usage(cmd, "--save-style needs --style-image");
    return 0;
}

int imp_stylize_is_magenta(const struct imp_stylize_job *job)
{
    return job->magenta_dir || job->n_style_images || job->style_vector;
}
