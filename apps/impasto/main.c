/* impasto: the command-line program. Dispatches to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct imp_cli_command *const commands[] = {
    &imp_cli_stylize_command, &imp_cli_styles_command, &imp_cli_video_command,
    &imp_cli_live_command,    &imp_cli_focus_command,  &imp_cli_info_command,
    &imp_cli_run_command,     &imp_cli_segment_command, &imp_cli_bench_command,
    &imp_cli_convert_command, &imp_cli_train_command, &imp_cli_style_score_command,
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static const char intro[] =
    "impasto - run convolutional networks (ONNX, TFLite, .imp) fast on the CPU\n"
    "\n"
    "usage: impasto COMMAND [ARGS...]\n"
    "       impasto help COMMAND     show what a command takes, with examples\n"
    "       impasto --version\n"
    "\n"
    "commands:\n";

static const char outro[] =
    "\n"
    "examples:\n"
    "  impasto stylize photo.jpg -o painting.jpg --style candy.onnx\n"
    "  impasto info selfie_segmentation.tflite\n"
    "  impasto segment selfie_segmentation.tflite photo.jpg -o mask.png \\\n"
    "      --overlay preview.png\n"
    "  impasto focus portrait.jpg -o portrait-focus.png --blur 24\n"
    "  impasto run candy.onnx -i inputImage=photo.png --bgr --scale 1 -o out/\n"
    "  impasto bench candy.onnx --threads 4 --runs 20 --profile\n"
    "  impasto convert candy.onnx candy.imp\n"
    "  impasto video clip.mp4 -o clip-styled.mp4 --style style.onnx\n"
    "  impasto live --style style.onnx --camera /dev/video0\n"
    "  impasto train --style wave.jpg --content photos/ -o wave.imp --time-limit 30m\n"
    "\n"
    "A failure prints one line, 'impasto: <what>: <why>', and exits with 1\n"
    "(2 for a mistake on the command line).\n";

static void print_help(FILE *f)
{
    fputs(intro, f);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-11s %s\n", "help", "show help for a command");
    fputs(outro, f);
}

static const struct imp_cli_command *find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int unknown(const char *name)
{
    /* The list comes from the table, so it never falls behind it. */
    fprintf(stderr, "impasto: %s: not a command (the commands are", name);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(stderr, "%s %s", i == 0 ? "" : i == N_COMMANDS - 1 ? " and" : ",",
                commands[i]->name);
    fprintf(stderr, "; see 'impasto --help')\n");
    return IMP_CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) { /* a usage mistake, but the list is what one wants */
        print_help(stdout);
        return IMP_CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "version") == 0) {
        printf("impasto %d.%d (CPU: %s)\n", IMP_VERSION_MAJOR, IMP_VERSION_MINOR,
               imp_isa_name(imp_isa_detect()));
        return 0;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return 0;
        }
        const struct imp_cli_command *c = find(argv[2]);
        if (!c)
            return unknown(argv[2]);
        fputs(c->help, stdout);
        return 0;
    }
    const struct imp_cli_command *c = find(first);
    if (!c) {
        if (first[0] == '-') {
            fprintf(stderr, "impasto: %s: unknown option (see 'impasto --help')\n",
                    first);
            return IMP_CLI_EXIT_USAGE;
        }
        return unknown(first);
    }
    return c->main(argc - 1, argv + 1);
}
