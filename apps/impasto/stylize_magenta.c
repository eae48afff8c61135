/* impasto stylize --magenta: arbitrary style from a painting (Magenta). */
#include "stylize_cli.h"

int imp_stylize_magenta(struct imp_stylize_job *job, char **files, char **outs, int n)
{
    (void)files, (void)outs, (void)n;
    return imp_cli_fail(job->magenta_dir, "arbitrary style is not built yet");
}
