// cmd_eval.c — `latentsync eval <component> --model M --in X.safetensors --out Y.safetensors`: runs one
// component on named input tensors and writes named outputs, so any component can be audited against any
// reference (the golden fixtures in tests/data/models are such pairs).
//   whisper     in: mel (B, n_mels, 2*n_ctx)                 out: features (B, n_ctx, layers+1, dim)
//               or --audio FILE: out mel (80, T), features (rows, layers+1, dim), chunks (frames, 50, dim)
//   vae-encode  in: images (N, 3, H, W) in [-1, 1]           out: mean, logvar (N, 4, H/8, W/8), logvar clamped
//   vae-decode  in: latents (N, 4, h, w), as diffusers' AutoencoderKL.decode takes them (already / 0.18215)
//               out: images (N, 3, 8h, 8w)
//   unet        in: sample (B, 13, F, H, W), timestep (1), encoder_hidden_states (B, F, T, D) or (B*F, T, D)
//               out: out (B, 4, F, H, W)
//   denoise     in: noise (1, 4, F, h, w), mask (1, 1, F, h, w), masked (1, 4, F, h, w), ref (1, 4, F, h, w),
//               audio (F, T, D); flags --steps --guidance --deepcache     out: latents (1, 4, F, h, w)
// --model is a model file of the component's kind (.safetensors or the original .pt) or a folder holding
// whisper/unet/vae files (converted names or LatentSync's checkpoints/ layout).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends.h"
#include "commands.h"
#include "audio_features.h"
#include "model_files.h"
#include "models.h"

struct eval_opts {
    const char *component, *model, *in, *out, *device, *audio;
    int threads, heads, steps, deepcache;
    float guidance;
};

static void usage(FILE *f) {
    fprintf(f, "usage: latentsync eval whisper|vae-encode|vae-decode|unet|denoise --model M --in X.safetensors\n"
               "                      --out Y.safetensors [--device cpu|cuda] [--threads N] [--heads 8]\n"
               "       latentsync eval whisper --model M --audio FILE --out Y.safetensors   (mel, features, chunks)\n"
               "                      [--steps 20 --guidance 1.5 --deepcache 0]   (denoise)\n");
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

// The component's file: --model itself, or a known name inside the --model folder.
static ls_status component_file(const char *model, const char *kind, char *path, size_t n) {
    if (!is_dir(model)) {
        if (!exists(model)) return ls_fail(LS_ERR_IO, "%s: no such model file or folder", model);
        snprintf(path, n, "%s", model);
        return LS_OK;
    }
    static const char *const unet[] = {"unet.safetensors", "latentsync_unet.pt", NULL};
    static const char *const whisper[] = {"whisper.safetensors", "whisper/tiny.pt", "tiny.pt", NULL};
    static const char *const vae[] = {"vae.safetensors", "diffusion_pytorch_model.safetensors",
                                      "diffusion_pytorch_model.bin", "vae/diffusion_pytorch_model.safetensors",
                                      "sd-vae-ft-mse/diffusion_pytorch_model.safetensors",
                                      "vae/diffusion_pytorch_model.bin", "sd-vae-ft-mse/diffusion_pytorch_model.bin",
                                      NULL};
    const char *const *names = !strcmp(kind, "unet") ? unet : !strcmp(kind, "whisper") ? whisper : vae;
    for (int i = 0; names[i]; i++) {
        snprintf(path, n, "%s/%s", model, names[i]);
        if (exists(path)) return LS_OK;
    }
    return ls_fail(LS_ERR_INPUT, "%s: no %s model in this folder (looked for %s, ...)", model, kind, names[0]);
}

// A backend copy of a named f32 input tensor (allocated from the arena).
static ls_status input(st_file *f, const char *name, arena *act, tensor *out) {
    tensor view;
    if (!st_find(f, name)) return ls_fail(LS_ERR_INPUT, "%s: input tensor '%s' missing", st_label(f), name);
    LS_TRY(st_tensor(f, name, &view));
    if (view.dtype != DTYPE_F32)
        return ls_fail(LS_ERR_DTYPE, "%s: input '%s' is %s, expected F32", st_label(f), name, dtype_name(view.dtype));
    LS_TRY(arena_tensor(act, out, DTYPE_F32, view.n_dims, view.shape));
    return tensor_upload(out, view.data);
}

static ls_status input_shape(st_file *f, const char *name, tensor *view) {
    if (!st_find(f, name)) return ls_fail(LS_ERR_INPUT, "%s: input tensor '%s' missing", st_label(f), name);
    return st_tensor(f, name, view);
}

// Downloads named backend tensors and writes them with metadata naming the component.
static ls_status save(const char *path, const char *component, int n, const char *const *names, const tensor *const *ts) {
    tensor host[8];
    const tensor *hp[8];
    ls_status s = LS_OK;
    int made = 0;
    for (int i = 0; i < n && !s; i++, made++) {
        host[i] = *ts[i];
        host[i].data = malloc(tensor_n_bytes(ts[i]) + 1);
        if (!host[i].data) s = ls_fail(LS_ERR_OOM, "eval: out of memory");
        else s = tensor_download(ts[i], host[i].data);
        hp[i] = &host[i];
    }
    if (!s)
        s = st_save(path, n, names, hp, 2, (const char *[]){"generator", "component"},
                    (const char *[]){"latentsync eval " LS_VERSION, component});
    for (int i = 0; i < made; i++) free(host[i].data);
    return s;
}

// eval whisper --audio FILE: the whole audio path. mel (80, T) normalised; features (rows, levels, dim)
// from 30 s windows; chunks (video frames, 10 * levels, dim) through the job's streaming path.
static ls_status run_whisper_audio(const struct eval_opts *o, struct backend *be, const struct whisper *w) {
    float *x = NULL, *mel = NULL, *feats = NULL, *chunks = NULL, *win = NULL, *wout = NULL;
    size_t n = 0;
    struct mel_plan *plan = NULL;
    struct audio_features *af = NULL;
    arena act = {0};
    const struct whisper_config *c = &w->config;
    int64_t levels = c->n_layer + 1, dim = c->n_state, T = 0, rows = 0, nch = 0;
    ls_status s = 2 * c->n_ctx == MEL_WINDOW_FRAMES ? LS_OK
                  : ls_fail(LS_ERR_INPUT, "%s: a %d-position Whisper; the audio path needs 1500 (30 s windows)",
                            o->model, c->n_ctx);
    if (!s) s = audio_load(o->audio, 4 * 3600, &x, &n);
    if (!s) s = mel_plan_init(&plan);
    if (!s) {
        T = mel_frames(n);
        if (T < 2) s = ls_fail(LS_ERR_INPUT, "%s: too short to lip-sync", o->audio);
    }
    if (!s) {
        rows = audio_feature_rows(T);
        mel = malloc((size_t)T * MEL_BANDS * 4), feats = malloc((size_t)(rows + 1) * levels * dim * 4);
        win = malloc((size_t)MEL_BANDS * MEL_WINDOW_FRAMES * 4), wout = malloc((size_t)c->n_ctx * levels * dim * 4);
        if (!mel || !feats || !win || !wout) s = ls_fail(LS_ERR_OOM, "eval: out of memory");
    }
    if (!s) s = mel_log_spectrogram(plan, x, (int64_t)n, mel); // (80, T), as the original's log_mel_spectrogram
    size_t peak = 0;
    if (!s) s = whisper_plan(w, 1, &peak);
    if (!s) s = arena_init(&act, be, peak + ((size_t)MEL_BANDS * MEL_WINDOW_FRAMES + (size_t)c->n_ctx * levels * dim) * 4 + 1024);
    tensor tm, tf;
    if (!s) s = arena_tensor(&act, &tm, DTYPE_F32, 3, (int64_t[]){1, MEL_BANDS, MEL_WINDOW_FRAMES});
    if (!s) s = arena_tensor(&act, &tf, DTYPE_F32, 4, (int64_t[]){1, c->n_ctx, levels, dim});
    for (int64_t seek = 0, r = 0; !s && seek < T; seek += MEL_WINDOW_FRAMES) {
        int64_t real = T - seek < MEL_WINDOW_FRAMES ? T - seek : MEL_WINDOW_FRAMES;
        memset(win, 0, (size_t)MEL_BANDS * MEL_WINDOW_FRAMES * 4);
        for (int64_t t = 0; t < real; t++)
            for (int b = 0; b < MEL_BANDS; b++) win[(size_t)b * MEL_WINDOW_FRAMES + t] = mel[b * T + seek + t];
        s = tensor_upload(&tm, win);
        if (!s) s = whisper_forward(w, &act, &tm, &tf);
        if (!s) s = tensor_download(&tf, wout);
        if (!s) memcpy(feats + (size_t)r * levels * dim, wout, (size_t)(real / 2) * levels * dim * 4);
        r += real / 2;
    }
    if (!s) s = audio_features_open(&af, o->audio, w, be);
    if (!s) {
        nch = audio_features_chunks(af);
        chunks = malloc((size_t)nch * 10 * levels * dim * 4);
        if (!chunks) s = ls_fail(LS_ERR_OOM, "eval: out of memory");
    }
    for (int64_t i = 0; !s && i < nch; i++) s = audio_features_chunk(af, i, chunks + (size_t)i * 10 * levels * dim);
    if (!s) {
        tensor a, b2, c2;
        if (!s) {
            tensor_wrap(&a, NULL, DTYPE_F32, 2, (int64_t[]){MEL_BANDS, T}, mel);
            tensor_wrap(&b2, NULL, DTYPE_F32, 3, (int64_t[]){rows, levels, dim}, feats);
            tensor_wrap(&c2, NULL, DTYPE_F32, 3, (int64_t[]){nch, 10 * levels, dim}, chunks);
            s = st_save(o->out, 3, (const char *[]){"mel", "features", "chunks"}, (const tensor *[]){&a, &b2, &c2}, 2,
                        (const char *[]){"generator", "component"}, (const char *[]){"latentsync eval " LS_VERSION, "whisper"});
        }
    }
    audio_features_close(af);
    arena_free(&act);
    mel_plan_free(plan);
    free(x), free(mel), free(feats), free(chunks), free(win), free(wout);
    return s;
}

static ls_status run_whisper(const struct eval_opts *o, struct backend *be, st_file *in) {
    char path[1024];
    LS_TRY(component_file(o->model, "whisper", path, sizeof path));
    struct model_file mf;
    LS_TRY(model_file_open(&mf, path, (const char *[]){"model_state_dict.", "", NULL}));
    struct whisper w;
    ls_status s = whisper_load(&w, &mf.src, be);
    if (!s && o->audio) {
        s = run_whisper_audio(o, be, &w);
        whisper_free(&w);
        model_file_close(&mf);
        return s;
    }
    tensor mel_view;
    if (!s) s = input_shape(in, "mel", &mel_view);
    size_t peak = 0;
    if (!s && (mel_view.n_dims != 3 || mel_view.shape[0] < 1))
        s = ls_fail(LS_ERR_SHAPE, "%s: 'mel' must be (B, %d, %d)", st_label(in), w.config.n_mels, 2 * w.config.n_ctx);
    if (!s) s = whisper_plan(&w, mel_view.shape[0], &peak);
    arena act = {0};
    tensor mel, feats;
    if (!s) s = arena_init(&act, be, peak + tensor_n_bytes(&mel_view) * 4 + (size_t)mel_view.shape[0] *
                           (size_t)(w.config.n_ctx * (w.config.n_layer + 1) * w.config.n_state) * 4 + 4096);
    if (!s) s = input(in, "mel", &act, &mel);
    if (!s) s = arena_tensor(&act, &feats, DTYPE_F32, 4, (int64_t[]){mel.shape[0], w.config.n_ctx, w.config.n_layer + 1, w.config.n_state});
    if (!s) s = whisper_forward(&w, &act, &mel, &feats);
    if (!s) s = save(o->out, "whisper", 1, (const char *[]){"features"}, (const tensor *[]){&feats});
    arena_free(&act);
    whisper_free(&w);
    model_file_close(&mf);
    return s;
}

static ls_status run_vae(const struct eval_opts *o, struct backend *be, st_file *in, bool encode) {
    char path[1024];
    LS_TRY(component_file(o->model, "vae", path, sizeof path));
    struct model_file mf;
    LS_TRY(model_file_open(&mf, path, (const char *[]){"", NULL}));
    struct vae v;
    ls_status s = vae_load(&v, &mf.src, be);
    tensor view;
    if (!s) s = input_shape(in, encode ? "images" : "latents", &view);
    if (!s && view.n_dims != 4) s = ls_fail(LS_ERR_SHAPE, "%s: input must be 4-D (N, C, H, W)", st_label(in));
    int64_t f = 1 << (v.config.n_levels - 1), n = view.shape[0];
    size_t peak = 0;
    if (!s) s = encode ? vae_plan_encode(&v, n, view.shape[2], view.shape[3], &peak)
                       : vae_plan_decode(&v, n, view.shape[2], view.shape[3], &peak);
    arena act = {0};
    tensor x, y;
    int64_t L = v.config.latent_channels;
    size_t out_bytes = (size_t)(encode ? n * 2 * L * (view.shape[2] / f) * (view.shape[3] / f)
                                       : n * 3 * view.shape[2] * f * view.shape[3] * f) * 4;
    if (!s) s = arena_init(&act, be, peak + tensor_n_bytes(&view) + out_bytes + 8192);
    if (!s) s = input(in, encode ? "images" : "latents", &act, &x);
    if (encode) {
        if (!s) s = arena_tensor(&act, &y, DTYPE_F32, 4, (int64_t[]){n, 2 * L, view.shape[2] / f, view.shape[3] / f});
        if (!s) s = vae_encode(&v, &act, &x, &y);
        float *m = NULL, *mean = NULL, *logvar = NULL;
        int64_t h = view.shape[2] / f, w = view.shape[3] / f;
        if (!s) {
            m = malloc(tensor_n_bytes(&y)), mean = malloc(tensor_n_bytes(&y) / 2), logvar = malloc(tensor_n_bytes(&y) / 2);
            if (!m || !mean || !logvar) s = ls_fail(LS_ERR_OOM, "eval: out of memory");
        }
        if (!s) s = tensor_download(&y, m);
        if (!s) {
            vae_posterior(&v.config, m, n, h, w, NULL, NULL, mean, logvar);
            tensor tm, tl;
            tensor_wrap(&tm, NULL, DTYPE_F32, 4, (int64_t[]){n, L, h, w}, mean);
            tensor_wrap(&tl, NULL, DTYPE_F32, 4, (int64_t[]){n, L, h, w}, logvar);
            s = st_save(o->out, 2, (const char *[]){"mean", "logvar"}, (const tensor *[]){&tm, &tl}, 2,
                        (const char *[]){"generator", "component"}, (const char *[]){"latentsync eval " LS_VERSION, "vae-encode"});
        }
        free(m), free(mean), free(logvar);
    } else {
        if (!s) s = arena_tensor(&act, &y, DTYPE_F32, 4, (int64_t[]){n, 3, view.shape[2] * f, view.shape[3] * f});
        if (!s) s = vae_decode(&v, &act, &x, &y);
        if (!s) s = save(o->out, "vae-decode", 1, (const char *[]){"images"}, (const tensor *[]){&y});
    }
    arena_free(&act);
    vae_free(&v);
    model_file_close(&mf);
    return s;
}

static ls_status run_unet(const struct eval_opts *o, struct backend *be, st_file *in, bool loop) {
    char path[1024];
    LS_TRY(component_file(o->model, "unet", path, sizeof path));
    struct model_file mf;
    LS_TRY(model_file_open(&mf, path, (const char *[]){"state_dict.", "", NULL}));
    struct unet u;
    ls_status s = unet_load(&u, &mf.src, be, o->heads);
    arena act = {0};
    size_t peak = 0, io = 0;
    tensor views[6];
    const char *names[6] = {"sample", "encoder_hidden_states", "timestep"};
    int n_in = 3;
    if (loop) {
        const char *ln[5] = {"noise", "mask", "masked", "ref", "audio"};
        memcpy(names, ln, sizeof ln);
        n_in = 5;
    }
    for (int i = 0; i < n_in && !s; i++) {
        s = input_shape(in, names[i], &views[i]);
        io += tensor_n_bytes(&views[i]) + 512;
    }
    if (!s && (views[0].n_dims != 5 || views[0].shape[2] < 1))
        s = ls_fail(LS_ERR_SHAPE, "%s: '%s' must be 5-D (B, C, F, H, W)", st_label(in), names[0]);
    if (!s && !loop && views[1].n_dims != 3 && views[1].n_dims != 4)
        s = ls_fail(LS_ERR_SHAPE, "%s: 'encoder_hidden_states' must be (B, F, T, D) or (B*F, T, D)", st_label(in));
    if (!s && !loop && tensor_n_elems(&views[2]) != 1)
        s = ls_fail(LS_ERR_SHAPE, "%s: 'timestep' must hold one value", st_label(in));
    int64_t b = s ? 0 : views[0].shape[0], f = s ? 0 : views[0].shape[2], h = s ? 0 : views[0].shape[3];
    int64_t w = s ? 0 : views[0].shape[4];
    if (!s) s = loop ? denoise_plan(&u, f, h, w, views[4].n_dims == 3 ? views[4].shape[1] : 50, o->guidance, o->deepcache, &peak)
                     : unet_plan(&u, b, f, h, w, &peak);
    if (!s) s = arena_init(&act, be, peak + io + (size_t)(b * 4 * f * h * w) * 4 + 8192);
    tensor t[6], out;
    for (int i = 0; i < n_in && !s; i++) s = input(in, names[i], &act, &t[i]);
    if (!s && !loop) {
        tensor audio = t[1];
        if (audio.n_dims == 4) s = tensor_reshape(&audio, &t[1], 3, (int64_t[]){audio.shape[0] * audio.shape[1], audio.shape[2], audio.shape[3]});
        float ts;
        if (!s) ts = *(const float *)views[2].data;
        if (!s) s = arena_tensor(&act, &out, DTYPE_F32, 5, (int64_t[]){b, u.config.out_channels, f, h, w});
        struct unet_inputs ui = {&t[0], s ? 0.0f : ts, &audio, 0, UNET_FULL, NULL};
        if (!s) s = unet_forward(&u, &act, &ui, &out);
        if (!s) s = save(o->out, "unet", 1, (const char *[]){"out"}, (const tensor *[]){&out});
    } else if (!s) {
        s = arena_tensor(&act, &out, DTYPE_F32, 5, t[0].shape);
        struct denoise_inputs di = {&t[0], &t[1], &t[2], &t[3], &t[4], o->steps, o->guidance, o->deepcache};
        if (!s) s = denoise(&u, &act, &di, &out);
        if (!s) s = save(o->out, "denoise", 1, (const char *[]){"latents"}, (const tensor *[]){&out});
    }
    arena_free(&act);
    unet_free(&u);
    model_file_close(&mf);
    return s;
}

int cmd_eval(int argc, char **argv) {
    struct eval_opts o = {.device = "cpu", .threads = 0, .heads = 8, .steps = 20, .guidance = 1.5f, .deepcache = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if (a[0] != '-') {
            if (o.component) {
                fprintf(stderr, "latentsync: eval: unexpected argument '%s'\n", a);
                return EXIT_USAGE;
            }
            o.component = a;
        } else if (!v) {
            fprintf(stderr, "latentsync: eval: %s needs a value\n", a);
            return EXIT_USAGE;
        } else if (!strcmp(a, "--model")) o.model = argv[++i];
        else if (!strcmp(a, "--in")) o.in = argv[++i];
        else if (!strcmp(a, "--audio")) o.audio = argv[++i];
        else if (!strcmp(a, "--out")) o.out = argv[++i];
        else if (!strcmp(a, "--device")) o.device = argv[++i];
        else if (!strcmp(a, "--threads")) {
            if (!cli_parse_int(a, v, 1, 1024, &n)) return EXIT_USAGE;
            o.threads = (int)n, i++;
        } else if (!strcmp(a, "--heads")) {
            if (!cli_parse_int(a, v, 1, 64, &n)) return EXIT_USAGE;
            o.heads = (int)n, i++;
        } else if (!strcmp(a, "--steps")) {
            if (!cli_parse_int(a, v, 1, 1000, &n)) return EXIT_USAGE;
            o.steps = (int)n, i++;
        } else if (!strcmp(a, "--deepcache")) {
            if (!cli_parse_int(a, v, 0, 1000, &n)) return EXIT_USAGE;
            o.deepcache = (int)n, i++;
        } else if (!strcmp(a, "--guidance")) {
            if (!cli_parse_float(a, v, 0.0, 100.0, &d)) return EXIT_USAGE;
            o.guidance = (float)d, i++;
        } else {
            fprintf(stderr, "latentsync: eval: unknown option '%s'\n", a);
            return EXIT_USAGE;
        }
    }
    static const char *const components[] = {"whisper", "vae-encode", "vae-decode", "unet", "denoise"};
    bool known = false;
    for (int i = 0; o.component && i < 5; i++) known = known || !strcmp(o.component, components[i]);
    bool audio_ok = o.audio && o.component && !strcmp(o.component, "whisper");
    if (!known || !o.model || !(o.in || audio_ok) || !o.out || (o.audio && !audio_ok)) {
        if (o.component && !known) fprintf(stderr, "latentsync: eval: unknown component '%s'\n", o.component);
        usage(stderr);
        return EXIT_USAGE;
    }
    struct backend *be;
    ls_status s = backend_init_by_name(o.device, o.threads, &be);
    if (s) return cli_fail(s);
    st_file *in = NULL;
    if (o.in) s = st_open(&in, o.in);
    if (!s) {
        if (!strcmp(o.component, "whisper")) s = run_whisper(&o, be, in);
        else if (!strcmp(o.component, "vae-encode")) s = run_vae(&o, be, in, true);
        else if (!strcmp(o.component, "vae-decode")) s = run_vae(&o, be, in, false);
        else s = run_unet(&o, be, in, !strcmp(o.component, "denoise"));
        st_close(in);
    }
    backend_free(be);
    return s ? cli_fail(s) : EXIT_OK;
}
