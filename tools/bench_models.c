// bench_models.c — `latentsync bench unet|vae|whisper`: one model at its real size with random weights
// (no checkpoint needed), timed per evaluation, with FLOPs from the counting backend, the activation arena
// from the model's plan, peak RSS, the same-run OpenBLAS sgemm figure on the CPU, and optionally the
// original PyTorch code on the same shapes in the same run (`--torch`, via tools/torch_ref.py).
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backends.h"
#include "bench.h"
#include "commands.h"
#include "models.h"

struct model_opts {
    struct bench_options o;
    long frames, latent, batch, repeat, size, seconds_audio;
    dtype wdt;
    bool torch;
    const char *trace;
};

static double peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static double sgemm_peak(int threads) {
    int n = 2048;
    float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4);
    double best = 0;
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
        openblas_set_num_threads(threads);
        for (int r = 0; r < 4; r++) {
            double t0 = time_now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
            double g = 2.0 * n * (double)n * n / (time_now_s() - t0) * 1e-9;
            best = g > best ? g : best;
        }
        openblas_set_num_threads(1);
    }
    free(a), free(b), free(c);
    return best;
}

static ls_status fill_random(const tensor *t, uint64_t seed, float scale) {
    size_t n = (size_t)tensor_n_elems(t);
    float *h = malloc(n * 4 + 4);
    if (!h) return ls_fail(LS_ERR_OOM, "bench: input buffer");
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        h[i] = scale * ((float)((seed >> 40) * (1.0 / 8388608.0)) - 1.0f);
    }
    ls_status s = tensor_upload(t, h);
    free(h);
    return s;
}

// Runs `cmd` (the PyTorch reference) and returns the seconds it printed on its last line, or < 0.
static double run_torch(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[512], last[512] = "";
    while (fgets(line, sizeof line, p)) {
        fputs(line, stderr);
        memcpy(last, line, sizeof last);
    }
    int rc = pclose(p);
    const char *key = strstr(last, "\"seconds\":");
    return rc == 0 && key ? atof(key + 10) : -1;
}

static void print_line(const struct bench_options *o, const char *what, const char *shape, double seconds, double flops,
                       double sgemm, double arena_mib, double weights_mib, double torch_s) {
    double gflops = flops / seconds * 1e-9;
    if (o->json) {
        printf("{\"bench\":\"%s\",\"shape\":\"%s\",\"device\":\"%s\",\"threads\":%d,\"seconds\":%.4f,\"gflop\":%.2f,"
               "\"gflops\":%.2f,\"sgemm_gflops\":%.2f,\"share_of_sgemm\":%.3f,\"arena_mib\":%.1f,\"weights_mib\":%.1f,"
               "\"peak_rss_mib\":%.1f,\"torch_seconds\":%.4f,\"speedup_vs_torch\":%.3f}\n",
               what, shape, o->device, o->threads, seconds, flops * 1e-9, gflops, sgemm, sgemm > 0 ? gflops / sgemm : 0,
               arena_mib, weights_mib, peak_rss_mib(), torch_s, torch_s > 0 ? torch_s / seconds : 0);
    } else {
        printf("%-22s %-26s %9.3f s  %8.1f GFLOP  %7.1f GFLOP/s", what, shape, seconds, flops * 1e-9, gflops);
        if (sgemm > 0) printf("  %4.0f%% of sgemm (%.0f)", 100.0 * gflops / sgemm, sgemm);
        printf("  arena %.0f MiB, weights %.0f MiB, peak RSS %.0f MiB", arena_mib, weights_mib, peak_rss_mib());
        if (torch_s > 0) printf("  | PyTorch %.3f s: %.2fx", torch_s, torch_s / seconds);
        printf("\n");
    }
    fflush(stdout);
}

static bool batch_given(int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--batch")) return true;
    return false;
}

static bool parse(int argc, char **argv, struct model_opts *m) {
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--frames") || !strcmp(a, "--latent") || !strcmp(a, "--batch") || !strcmp(a, "--repeat") ||
            !strcmp(a, "--size") || !strcmp(a, "--audio-seconds")) {
            if (!cli_parse_int(a, v, 1, 4096, &n)) return false;
            if (!strcmp(a, "--frames")) m->frames = n;
            else if (!strcmp(a, "--latent")) m->latent = n;
            else if (!strcmp(a, "--batch")) m->batch = n;
            else if (!strcmp(a, "--repeat")) m->repeat = n;
            else if (!strcmp(a, "--size")) m->size = n;
            else m->seconds_audio = n;
            i++;
        } else if (!strcmp(a, "--dtype") && v) {
            if (!strcmp(v, "f32")) m->wdt = DTYPE_F32;
            else if (!strcmp(v, "f16")) m->wdt = DTYPE_F16;
            else if (!strcmp(v, "bf16")) m->wdt = DTYPE_BF16;
            else {
                fprintf(stderr, "latentsync: --dtype '%s': expected f32, f16 or bf16\n", v);
                return false;
            }
            i++;
        } else if (!strcmp(a, "--torch")) {
            m->torch = true;
        } else if (!strcmp(a, "--trace") && v) {
            m->trace = argv[++i];
        } else if (!strcmp(a, "--json") || !strcmp(a, "--device") || !strcmp(a, "--threads") ||
                   !strcmp(a, "--seconds") || !strcmp(a, "--only")) {
            const char *pair[3] = {"x", a, v};
            int used = !strcmp(a, "--json") ? 2 : 3;
            if (!bench_parse_common(used, (char **)pair, 1, &m->o)) return false;
            i += used - 2;
        } else {
            fprintf(stderr, "latentsync: bench: unknown option '%s'\n", a);
            return false;
        }
    }
    return true;
}

static int bench_unet(struct model_opts *m) {
    struct backend *be = NULL, *count = NULL;
    struct unet u = {0};
    arena act = {0};
    tensor sample = {0}, audio = {0}, out = {0}, feats = {0};
    void *io = NULL;
    struct op_counts counts;
    int64_t b = m->batch, f = m->frames, s = m->latent;
    char shape[64];
    snprintf(shape, sizeof shape, "B%lld F%lld %lldx%lld", (long long)b, (long long)f, (long long)s, (long long)s);
    ls_status st = backend_init_by_name(m->o.device, m->o.threads, &be);
    double sgemm = 0;
    if (!st && !strcmp(m->o.device, "cpu")) sgemm = sgemm_peak(m->o.threads);
    if (!st) {
        struct unet_config cfg = unet_config_stage2();
        double t0 = time_now_s();
        st = unet_init_random(&u, &cfg, be, m->wdt, 1247);
        if (!st && !m->o.json)
            printf("# UNet stage2, %zu tensors, %.3f B parameters (%s), random weights made in %.1f s\n", u.store.n_tensors,
                   (double)u.store.n_params * 1e-9, dtype_name(m->wdt), time_now_s() - t0);
    }
    size_t peak = 0;
    if (!st) st = unet_plan(&u, b, f, s, s, &peak);
    if (!st) st = backend_count_init(&count, &counts);
    double flops_full = 0, flops_cached = 0;
    if (!st) { // FLOPs of a full and of a cached (DeepCache) evaluation
        arena ca;
        st = arena_init(&ca, count, 0);
        tensor cs, caud, co, cg;
        if (!st) st = arena_tensor(&ca, &cs, DTYPE_F32, 5, (int64_t[]){b, 13, f, s, s});
        if (!st) st = arena_tensor(&ca, &caud, DTYPE_F32, 3, (int64_t[]){b * f, 50, u.config.cross_dim});
        if (!st) st = arena_tensor(&ca, &co, DTYPE_F32, 5, (int64_t[]){b, 4, f, s, s});
        if (!st) st = arena_tensor(&ca, &cg, DTYPE_F32, 4, (int64_t[]){b * f, u.config.channels[0], s, s});
        struct unet_cache cc = {cg, false};
        struct unet_inputs in = {&cs, 951.0f, &caud, 0, UNET_FULL_STORE, &cc};
        if (!st) st = unet_forward(&u, &ca, &in, &co);
        flops_full = op_counts_total_flops(&counts);
        cc.valid = true;
        in.mode = UNET_CACHED;
        if (!st) st = unet_forward(&u, &ca, &in, &co);
        flops_cached = op_counts_total_flops(&counts) - flops_full;
    }
    size_t io_bytes = (size_t)(b * 13 * f * s * s + b * f * 50 * u.config.cross_dim + b * 4 * f * s * s +
                               b * f * u.config.channels[0] * s * s) * 4 + 4096;
    if (!st) st = arena_init(&act, be, peak);
    if (!st) st = backend_alloc(be, io_bytes, &io);
    if (!st) {
        char *p = io;
        tensor_wrap(&sample, be, DTYPE_F32, 5, (int64_t[]){b, 13, f, s, s}, p);
        p += (tensor_n_bytes(&sample) + 255) & ~(size_t)255;
        tensor_wrap(&audio, be, DTYPE_F32, 3, (int64_t[]){b * f, 50, u.config.cross_dim}, p);
        p += (tensor_n_bytes(&audio) + 255) & ~(size_t)255;
        tensor_wrap(&out, be, DTYPE_F32, 5, (int64_t[]){b, 4, f, s, s}, p);
        p += (tensor_n_bytes(&out) + 255) & ~(size_t)255;
        tensor_wrap(&feats, be, DTYPE_F32, 4, (int64_t[]){b * f, u.config.channels[0], s, s}, p);
        st = fill_random(&sample, 1, 1.0f);
    }
    if (!st) st = fill_random(&audio, 2, 1.0f);
    double t_full = 1e30, t_cached = 1e30;
    struct unet_cache cache = {feats, false};
    if (!st && m->trace) st = trace_start(m->trace);
    for (long r = 0; !st && r < m->repeat; r++) {
        struct unet_inputs in = {&sample, 951.0f, &audio, b > 1 ? 1 : 0, UNET_FULL_STORE, &cache};
        double t0 = time_now_s();
        st = unet_forward(&u, &act, &in, &out);
        if (!st) st = be->ops->sync(be->ctx);
        double t = time_now_s() - t0;
        t_full = t < t_full ? t : t_full;
        in.mode = UNET_CACHED;
        t0 = time_now_s();
        if (!st) st = unet_forward(&u, &act, &in, &out);
        if (!st) st = be->ops->sync(be->ctx);
        t = time_now_s() - t0;
        t_cached = t < t_cached ? t : t_cached;
    }
    if (m->trace) {
        ls_status ts = trace_stop();
        st = st ? st : ts;
    }
    double torch_s = -1;
    if (!st && m->torch) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tools/torch_ref.py unet --frames %lld --latent %lld --batch %lld "
                 "--threads %d --device %s", LS_SOURCE_DIR, (long long)f, (long long)s, (long long)b, m->o.threads,
                 m->o.device);
        torch_s = run_torch(cmd);
        if (torch_s < 0) fprintf(stderr, "latentsync: bench: the PyTorch reference did not run (see above)\n");
    }
    if (!st) {
        double wmib = (double)u.store.n_bytes / (1 << 20), amib = (double)peak / (1 << 20);
        print_line(&m->o, "unet full step", shape, t_full, flops_full, sgemm, amib, wmib, torch_s);
        print_line(&m->o, "unet DeepCache step", shape, t_cached, flops_cached, sgemm, amib, wmib, -1);
    }
    backend_release(be, io);
    arena_free(&act);
    unet_free(&u);
    backend_free(count);
    backend_free(be);
    return st ? cli_fail(st) : EXIT_OK;
}

// One model call timed best-of-repeat; fn runs it once.
typedef ls_status (*model_call)(void *arg);
static ls_status time_call(model_call fn, void *arg, struct backend *be, long repeat, double *best) {
    *best = 1e30;
    for (long r = 0; r < repeat; r++) {
        double t0 = time_now_s();
        LS_TRY(fn(arg));
        LS_TRY(be->ops->sync(be->ctx));
        double t = time_now_s() - t0;
        *best = t < *best ? t : *best;
    }
    return LS_OK;
}

struct vae_call {
    const struct vae *v;
    arena *act;
    tensor in, out;
    bool encode;
};

static ls_status vae_run(void *arg) {
    struct vae_call *c = arg;
    return c->encode ? vae_encode(c->v, c->act, &c->in, &c->out) : vae_decode(c->v, c->act, &c->in, &c->out);
}

// The VAE at one frame of `size` px: encode (to moments) and decode, seconds per frame.
static int bench_vae(struct model_opts *m) {
    struct backend *be = NULL, *count = NULL;
    struct vae v = {0};
    struct op_counts counts;
    ls_status st = backend_init_by_name(m->o.device, m->o.threads, &be);
    double sgemm = 0;
    if (!st && !strcmp(m->o.device, "cpu")) sgemm = sgemm_peak(m->o.threads);
    struct vae_config cfg = vae_config_sd();
    if (!st) st = vae_init_random(&v, &cfg, be, m->wdt, 7);
    if (!st) st = backend_count_init(&count, &counts);
    int64_t n = m->batch, s = m->size, l = s / 8;
    char shape[64];
    snprintf(shape, sizeof shape, "N%lld %lldx%lld", (long long)n, (long long)s, (long long)s);
    for (int encode = 1; encode >= 0 && !st; encode--) {
        size_t peak = 0;
        st = encode ? vae_plan_encode(&v, n, s, s, &peak) : vae_plan_decode(&v, n, l, l, &peak);
        arena act = {0};
        struct vae_call c = {&v, &act, {0}, {0}, encode};
        size_t io = (size_t)(n * 3 * s * s + n * 8 * l * l) * 4 + 4096;
        if (!st) st = arena_init(&act, be, peak + io);
        if (!st) st = arena_tensor(&act, &c.in, DTYPE_F32, 4, encode ? (int64_t[]){n, 3, s, s} : (int64_t[]){n, 4, l, l});
        if (!st) st = arena_tensor(&act, &c.out, DTYPE_F32, 4, encode ? (int64_t[]){n, 8, l, l} : (int64_t[]){n, 3, s, s});
        if (!st) st = fill_random(&c.in, 3, 1.0f);
        // FLOPs on the counting backend (plan-sized arena over it)
        arena ca;
        double flops = 0;
        if (!st) st = arena_init(&ca, count, 0);
        if (!st) {
            struct vae_call cc = c;
            cc.act = &ca;
            tensor_wrap(&cc.in, count, DTYPE_F32, 4, c.in.shape, NULL);
            tensor_wrap(&cc.out, count, DTYPE_F32, 4, c.out.shape, NULL);
            double before = op_counts_total_flops(&counts);
            st = vae_run(&cc);
            flops = op_counts_total_flops(&counts) - before;
        }
        double best = 0, torch_s = -1;
        if (!st) st = time_call(vae_run, &c, be, m->repeat, &best);
        if (!st && m->torch) {
            char cmd[512];
            snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tools/torch_ref.py %s --batch %lld --size %lld --threads %d "
                     "--device %s", LS_SOURCE_DIR, encode ? "vae-encode" : "vae-decode", (long long)n, (long long)s,
                     m->o.threads, m->o.device);
            torch_s = run_torch(cmd);
        }
        if (!st) print_line(&m->o, encode ? "vae encode" : "vae decode", shape, best, flops, sgemm,
                            (double)peak / (1 << 20), (double)v.store.n_bytes / (1 << 20), torch_s);
        arena_free(&act);
    }
    vae_free(&v);
    backend_free(count);
    backend_free(be);
    return st ? cli_fail(st) : EXIT_OK;
}

struct whisper_call {
    const struct whisper *w;
    arena *act;
    tensor mel, out;
};

static ls_status whisper_run(void *arg) {
    struct whisper_call *c = arg;
    return whisper_forward(c->w, c->act, &c->mel, &c->out);
}

// Whisper tiny on one 30 s window (1 x 80 x 3000 -> 1500 x 5 x 384).
static int bench_whisper(struct model_opts *m) {
    struct backend *be = NULL, *count = NULL;
    struct whisper w = {0};
    struct op_counts counts;
    ls_status st = backend_init_by_name(m->o.device, m->o.threads, &be);
    double sgemm = 0;
    if (!st && !strcmp(m->o.device, "cpu")) sgemm = sgemm_peak(m->o.threads);
    struct whisper_config cfg = whisper_config_tiny();
    if (!st) st = whisper_init_random(&w, &cfg, be, m->wdt, 9);
    if (!st) st = backend_count_init(&count, &counts);
    size_t peak = 0;
    if (!st) st = whisper_plan(&w, 1, &peak);
    arena act = {0};
    struct whisper_call c = {&w, &act, {0}, {0}};
    int64_t ms[3] = {1, cfg.n_mels, 2 * cfg.n_ctx}, os[4] = {1, cfg.n_ctx, cfg.n_layer + 1, cfg.n_state};
    if (!st) st = arena_init(&act, be, peak + (size_t)(ms[1] * ms[2] + os[1] * os[2] * os[3]) * 4 + 4096);
    if (!st) st = arena_tensor(&act, &c.mel, DTYPE_F32, 3, ms);
    if (!st) st = arena_tensor(&act, &c.out, DTYPE_F32, 4, os);
    if (!st) st = fill_random(&c.mel, 5, 1.0f);
    double flops = 0, best = 0, torch_s = -1;
    arena ca;
    if (!st) st = arena_init(&ca, count, 0);
    if (!st) {
        struct whisper_call cc = {&w, &ca, {0}, {0}};
        tensor_wrap(&cc.mel, count, DTYPE_F32, 3, ms, NULL);
        tensor_wrap(&cc.out, count, DTYPE_F32, 4, os, NULL);
        st = whisper_run(&cc);
        flops = op_counts_total_flops(&counts);
    }
    if (!st) st = time_call(whisper_run, &c, be, m->repeat, &best);
    if (!st && m->torch) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tools/torch_ref.py whisper --threads %d --device %s", LS_SOURCE_DIR,
                 m->o.threads, m->o.device);
        torch_s = run_torch(cmd);
    }
    if (!st) print_line(&m->o, "whisper 30 s window", "1x80x3000", best, flops, sgemm, (double)peak / (1 << 20),
                        (double)w.store.n_bytes / (1 << 20), torch_s);
    arena_free(&act);
    whisper_free(&w);
    backend_free(count);
    backend_free(be);
    return st ? cli_fail(st) : EXIT_OK;
}

int bench_models(int argc, char **argv) {
    struct model_opts m = {.o = {.device = "cpu", .threads = cpu_count(), .min_seconds = 1.0}, .frames = 16,
                           .latent = 32, .batch = 2, .repeat = 2, .size = 256, .seconds_audio = 30, .wdt = DTYPE_F32};
    if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        printf("usage: latentsync bench unet [--frames 16] [--latent 32] [--batch 2] [--dtype f32|f16|bf16]\n"
               "                             [--repeat 2] [--device cpu|cuda] [--threads N] [--json] [--torch] [--trace FILE]\n"
               "  full and DeepCache-cached UNet evaluations of the stage2 architecture with random weights (best of\n"
               "  --repeat runs); --torch also times the original PyTorch UNet on the same shapes after a warm-up\n"
               "  (tools/torch_ref.py; needs Debian python3-torch and the sources named in tests/reference/env.sh)\n"
               "       latentsync bench vae [--size 256|512] [--batch 1] [...]   encode and decode, seconds per call\n"
               "       latentsync bench whisper [...]                           one 30 s window of Whisper tiny\n");
        return EXIT_OK;
    }
    if (!parse(argc, argv, &m)) return EXIT_USAGE;
    openblas_set_num_threads(1);
    if (!strcmp(argv[1], "unet")) return bench_unet(&m);
    if (!strcmp(argv[1], "vae")) {
        if (m.batch == 2 && !batch_given(argc, argv)) m.batch = 1;
        return bench_vae(&m);
    }
    if (!strcmp(argv[1], "whisper")) return bench_whisper(&m);
    fprintf(stderr, "latentsync: bench: unknown target '%s'\n", argv[1]);
    return EXIT_USAGE;
}
