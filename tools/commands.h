// commands.h — the latentsync CLI's subcommands. Each returns the process exit code:
// 0 success, 1 input/runtime error (one-line message already printed), 2 usage error.
#ifndef LS_COMMANDS_H
#define LS_COMMANDS_H

#include "runtime.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); // argv[0] is the subcommand name
};

int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_eval(int argc, char **argv);

// Prints "latentsync: <message>" for a failed status and maps it to an exit code.
int cli_fail(ls_status s);
// Parses a non-negative integer flag value within [lo, hi]; prints a usage error naming the flag.
bool cli_parse_int(const char *flag, const char *value, long lo, long hi, long *out);
bool cli_parse_float(const char *flag, const char *value, double lo, double hi, double *out);

#endif
