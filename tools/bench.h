// bench.h — shared pieces of `latentsync bench`: timing, result rows, table/JSON output.
#ifndef LS_BENCH_H
#define LS_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "runtime.h"

struct bench_options {
    const char *device; // "cpu", "cuda", ...
    int threads;
    bool json;
    double min_seconds; // time budget per measurement
    const char *only;   // substring filter on row names, or NULL
};

struct bench_row {
    char name[64];
    char shape[96];
    char variant[48];
    double median_s, min_s;
    double flops;   // per run (0 if not a compute op)
    double bytes;   // per run (0 if not a bandwidth op)
    double ratio;   // vs the row's baseline (sgemm GFLOP/s or naive time), 0 if none
    char ratio_of[48];
    bool checked;   // result verified against the reference before timing
    double max_rel_err;
};

typedef ls_status (*bench_fn)(void *arg);

// Runs fn once to warm up, then repeatedly until min_seconds have passed (at least 3 runs, at most 50);
// fills median_s and min_s. Calls `sync` (may be NULL) after each run so device work is included.
ls_status bench_time(bench_fn fn, void *arg, ls_status (*sync)(void *), void *sync_arg, double min_seconds,
                     struct bench_row *row);

void bench_print_header(const struct bench_options *o, const char *title);
void bench_print_row(const struct bench_options *o, const struct bench_row *row);
void bench_print_footer(const struct bench_options *o);
// Parses the common flags (--device, --threads, --json, --seconds, --only); returns false on a usage error.
bool bench_parse_common(int argc, char **argv, int first, struct bench_options *o);

int bench_ops(int argc, char **argv);
int bench_models(int argc, char **argv);

#endif
