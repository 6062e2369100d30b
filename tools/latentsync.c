// latentsync.c — the command-line entry point: dispatches to the subcommands in commands.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const struct command commands[] = {
    {"eval", "run one component on named tensors: eval whisper|vae-encode|vae-decode|unet|denoise", cmd_eval},
    {"inspect", "list a safetensors file's tensors, totals and metadata", cmd_inspect},
    {"bench", "measure kernels and models: bench ops|unet [--device D] [--json]", cmd_bench},
};
static const int n_commands = sizeof commands / sizeof commands[0];

static void usage(FILE *f) {
    fprintf(f, "usage: latentsync <command> [options]   (latentsync <command> --help for details)\n\ncommands:\n");
    for (int i = 0; i < n_commands; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int cli_fail(ls_status s) {
    fprintf(stderr, "latentsync: %s\n", ls_error()[0] ? ls_error() : ls_status_name(s));
    return s == LS_ERR_USAGE ? EXIT_USAGE : EXIT_INPUT;
}

bool cli_parse_int(const char *flag, const char *value, long lo, long hi, long *out) {
    char *end;
    if (!value) {
        fprintf(stderr, "latentsync: %s needs a value\n", flag);
        return false;
    }
    long v = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "latentsync: %s '%s': expected an integer in [%ld, %ld]\n", flag, value, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *flag, const char *value, double lo, double hi, double *out) {
    char *end;
    if (!value) {
        fprintf(stderr, "latentsync: %s needs a value\n", flag);
        return false;
    }
    double v = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "latentsync: %s '%s': expected a number in [%g, %g]\n", flag, value, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("latentsync %s\n", LS_VERSION);
        return EXIT_OK;
    }
    for (int i = 0; i < n_commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "latentsync: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
