// bench.c — `latentsync bench <what>`: dispatch, timing loop and output (table or JSON lines).
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "commands.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

ls_status bench_time(bench_fn fn, void *arg, ls_status (*sync)(void *), void *sync_arg, double min_seconds,
                     struct bench_row *row) {
    double times[50];
    int n = 0;
    LS_TRY(fn(arg)); // warm up: first-touch pages, scratch growth, caches
    if (sync) LS_TRY(sync(sync_arg));
    double start = time_now_s();
    while (n < 50 && (n < 3 || time_now_s() - start < min_seconds)) {
        double t0 = time_now_s();
        LS_TRY(fn(arg));
        if (sync) LS_TRY(sync(sync_arg));
        times[n++] = time_now_s() - t0;
    }
    qsort(times, (size_t)n, sizeof times[0], cmp_double);
    row->median_s = times[n / 2];
    row->min_s = times[0];
    return LS_OK;
}

void bench_print_header(const struct bench_options *o, const char *title) {
    if (o->json) return;
    printf("# %s (device %s, %d threads)\n", title, o->device, o->threads);
    printf("%-26s %-34s %-14s %10s %10s %12s %9s  %s\n", "op", "shape", "variant", "median ms", "min ms", "rate",
           "ratio", "vs");
}

void bench_print_row(const struct bench_options *o, const struct bench_row *r) {
    char rate[32] = "";
    if (r->flops > 0) snprintf(rate, sizeof rate, "%.1f GFLOP/s", r->flops / r->median_s * 1e-9);
    else if (r->bytes > 0) snprintf(rate, sizeof rate, "%.1f GB/s", r->bytes / r->median_s * 1e-9);
    if (o->json) {
        printf("{\"op\":\"%s\",\"shape\":\"%s\",\"variant\":\"%s\",\"device\":\"%s\",\"threads\":%d,"
               "\"median_s\":%.6g,\"min_s\":%.6g,\"gflops\":%.6g,\"gbps\":%.6g,\"ratio\":%.4g,\"ratio_of\":\"%s\","
               "\"checked\":%s,\"max_rel_err\":%.3g}\n",
               r->name, r->shape, r->variant, o->device, o->threads, r->median_s, r->min_s,
               r->flops > 0 ? r->flops / r->median_s * 1e-9 : 0.0, r->bytes > 0 ? r->bytes / r->median_s * 1e-9 : 0.0,
               r->ratio, r->ratio_of, r->checked ? "true" : "false", r->max_rel_err);
    } else {
        char ratio[16] = "";
        if (r->ratio > 0) snprintf(ratio, sizeof ratio, "%.2fx", r->ratio);
        printf("%-26s %-34s %-14s %10.3f %10.3f %12s %9s  %s\n", r->name, r->shape, r->variant, r->median_s * 1e3,
               r->min_s * 1e3, rate, ratio, r->ratio_of);
    }
    fflush(stdout);
}

void bench_print_footer(const struct bench_options *o) {
    if (!o->json) printf("(every row was checked against the reference kernel before timing)\n");
}

bool bench_parse_common(int argc, char **argv, int first, struct bench_options *o) {
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
        if (!strcmp(a, "--json")) o->json = true;
        else if (!strcmp(a, "--device") && v) o->device = argv[++i];
        else if (!strcmp(a, "--threads")) {
            if (!cli_parse_int(a, v, 1, 1024, &n)) return false;
            o->threads = (int)n;
            i++;
        } else if (!strcmp(a, "--seconds")) {
            if (!cli_parse_float(a, v, 0.0, 3600.0, &d)) return false;
            o->min_seconds = d;
            i++;
        } else if (!strcmp(a, "--only") && v) o->only = argv[++i];
        else {
            fprintf(stderr, "latentsync: bench: unknown option '%s'\n", a);
            return false;
        }
    }
    return true;
}

static void bench_usage(FILE *f) {
    fprintf(f, "usage: latentsync bench ops [--device cpu|cuda] [--threads N] [--json] [--seconds S] [--only NAME]\n"
               "  ops   GFLOP/s and GB/s of the kernels at the real UNet shapes, each beside OpenBLAS sgemm\n"
               "        (2048^3, same run) or the naive reference, as a ratio\n"
               "  unet  one stage2 UNet evaluation (full and DeepCache step) with random weights; --torch compares\n"
               "        with the original PyTorch code in the same run (latentsync bench unet --help)\n"
               "  vae   VAE encode and decode per frame at --size 256|512; whisper  one 30 s window\n");
}

int cmd_bench(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "ops")) return bench_ops(argc, argv);
    if (!strcmp(argv[1], "unet") || !strcmp(argv[1], "vae") || !strcmp(argv[1], "whisper")) return bench_models(argc, argv);
    fprintf(stderr, "latentsync: bench: unknown target '%s'\n", argv[1]);
    bench_usage(stderr);
    return EXIT_USAGE;
}
