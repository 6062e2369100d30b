// test_mel.c — the log-mel and its 30 s windows against LatentSync's original code
// (tests/reference/make_audio_fixtures.py -> tests/data/audio/mel.safetensors): the Slaney filterbank bit-equal
// to mel_filters.npz; log_mel_spectrogram of an integer test signal (with a silent stretch, so the max - 8
// floor bites) and of demo1's first 2 s; the windows the original's transcribe loop feeds the encoder for a
// 65 s signal (3 windows: 3000, 3000, 501 real frames), from memory and from a WAV file (two decoding
// passes); silence, too-short and empty clips; bounded memory on a 10-minute generated stream; the FFT
// against a direct DFT; the time per 30 s window. Golden tolerance: max abs error <= 1e-4 x max |reference|.
// Usage: test_mel DATA_DIR ASSETS_DIR
#include "audio_fixture.h"
#include "weights_convert.h"

static const char *assets;
static st_file *fx;
static struct mel_plan *plan;

static void filterbank(void) {
    float f[MEL_BANDS * MEL_BINS];
    mel_filters(f);
    int64_t n;
    const float *ref = fixture_data(fx, "filters", DTYPE_F32, &n);
    int bad = 0;
    for (int i = 0; i < MEL_BANDS * MEL_BINS; i++)
        bad += f[i] != ref[i];
    CHECK(n == MEL_BANDS * MEL_BINS && bad == 0, "%d of %d filterbank values differ from mel_filters.npz", bad,
          MEL_BANDS * MEL_BINS);
    float max = 0;
    for (int i = 0; i < MEL_BANDS * MEL_BINS; i++)
        max = f[i] > max ? f[i] : max;
    CHECK(fabsf(max - 0.0258807f) < 1e-7f && f[0] == 0 && f[MEL_BINS - 1] == 0, "largest entry %.7f", max);
    printf("pass filterbank: 16080 values bit-equal to mel_80\n");
    char path[1024];
    snprintf(path, sizeof path, "%s/mel_filters.npz", assets);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        printf("note: %s absent; filterbank checked against the committed copy only\n", path);
        return;
    }
    struct sha256 s;
    char hex[65], buf[4096];
    sha256_init(&s);
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0)
        sha256_update(&s, buf, got);
    fclose(fp);
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, st_metadata(fx, "mel_filters_npz_sha256")), "the committed filterbank is not the asset's");
}

// Our FFT against a direct DFT in double on a few frames (the plan's accuracy, independent of torch).
static void fft_vs_dft(void) {
    int64_t n = 4000;
    int16_t *s = malloc((size_t)n * sizeof *s);
    synth_signal(s, n, 99, 0, 0);
    float *x = s16_to_float(s, n), fil[MEL_BANDS * MEL_BINS], e[MEL_BANDS];
    mel_filters(fil);
    double worst = 0;
    const int64_t frames[] = {0, 1, 12, 23, 24};
    for (int fi = 0; fi < 5; fi++) {
        int64_t t = frames[fi];
        CHECK_OK(mel_energies(plan, x, 0, n, n, t, 1, e));
        double power[MEL_BINS];
        for (int k = 0; k < MEL_BINS; k++) {
            double re = 0, im = 0;
            for (int i = 0; i < MEL_N_FFT; i++) {
                int64_t j = t * MEL_HOP - MEL_N_FFT / 2 + i;
                j = j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
                double w = cosf((float)i * (float)(2.0 * M_PI / MEL_N_FFT)) * -0.5f + 0.5f;
                re += w * x[j] * cos(2.0 * M_PI * k * i / MEL_N_FFT);
                im -= w * x[j] * sin(2.0 * M_PI * k * i / MEL_N_FFT);
            }
            power[k] = re * re + im * im;
        }
        for (int b = 0; b < MEL_BANDS; b++) {
            double ref = 0;
            for (int k = 0; k < MEL_BINS; k++)
                ref += fil[b * MEL_BINS + k] * power[k];
            double r = fabs(e[b] - ref) / ref;
            worst = r > worst ? r : worst;
        }
    }
    CHECK(worst < 1e-6, "FFT energies vs direct DFT: relative error %g", worst);
    printf("pass FFT vs direct double DFT: max relative error %.2e\n", worst);
    free(x);
    free(s);
}

static void golden_clip(const char *label, const float *x, int64_t n, const char *ref_name) {
    int64_t n_ref, T = mel_frames(n);
    const float *ref = fixture_data(fx, ref_name, DTYPE_F32, &n_ref);
    CHECK(n_ref == T * MEL_BANDS, "%s: %lld frames, the original has %lld values", label, (long long)T,
          (long long)n_ref);
    if (n_ref != T * MEL_BANDS) return;
    float *m = malloc((size_t)n_ref * sizeof *m);
    CHECK_OK(mel_log_spectrogram(plan, x, n, m));
    double max_ref, err = rel_max_err(m, ref, n_ref, &max_ref);
    CHECK(err <= 1e-4, "%s: log-mel max |diff| %.3g x max |ref| (bound 1e-4)", label, err);
    printf("pass log-mel %-20s (80, %lld) max |diff| %.2e x max |ref| %.3f (%.1f%% of bound)\n", label, (long long)T,
           err, max_ref, 100 * err / 1e-4);
    // one window through the streaming path: the same numbers, then zeros (pad_or_trim)
    struct audio_memory mem = {x, (size_t)n, 0};
    struct mel_windows *w;
    CHECK_OK(mel_windows_init(&w, plan, audio_memory_source(&mem, label)));
    if (!w) {
        free(m);
        return;
    }
    float *win = malloc(sizeof(float) * MEL_BANDS * MEL_WINDOW_FRAMES);
    int64_t n_real;
    CHECK_OK(mel_windows_next(w, win, &n_real));
    int bad = 0;
    for (int b = 0; b < MEL_BANDS; b++)
        for (int64_t t = 0; t < MEL_WINDOW_FRAMES; t++)
            bad += win[b * MEL_WINDOW_FRAMES + t] != (t < T ? m[b * T + t] : 0.0f);
    CHECK(n_real == T && bad == 0, "%s: window has %lld real frames, %d values differ from the whole-clip log-mel",
          label, (long long)n_real, bad);
    CHECK_OK(mel_windows_next(w, win, &n_real));
    CHECK(n_real == 0, "%s: a second window of %lld frames", label, (long long)n_real);
    mel_windows_free(w);
    free(win);
    free(m);
}

// All windows of a source, compared with the original's at the fixture's columns; returns them
// (n_windows x 80 x 3000) for bitwise comparisons between sources.
static float *long_windows(struct audio_source src, const char *label) {
    int64_t n_cols, n_win;
    const float *ref = fixture_data(fx, "long_windows", DTYPE_F32, NULL);
    const int32_t *cols = fixture_data(fx, "long_cols", DTYPE_I32, &n_cols);
    const int32_t *n_real_ref = fixture_data(fx, "long_n_real", DTYPE_I32, &n_win);
    struct mel_windows *w;
    CHECK_OK(mel_windows_init(&w, plan, src));
    if (!w) return NULL;
    const struct mel_info *in = mel_windows_info(w);
    CHECK(in->n_frames == fixture_meta_int(fx, "long_T") && in->n_windows == n_win,
          "%s: %lld frames in %lld windows, the original has %lld in %lld", label, (long long)in->n_frames,
          (long long)in->n_windows, fixture_meta_int(fx, "long_T"), (long long)n_win);
    double log_max_ref = atof(st_metadata(fx, "long_log_max"));
    CHECK(fabs(in->log_max - log_max_ref) <= 1e-4 * fabs(log_max_ref), "%s: clip maximum %.7f, original %.7f", label,
          in->log_max, log_max_ref);
    size_t win_elems = (size_t)MEL_BANDS * MEL_WINDOW_FRAMES;
    float *all = malloc((size_t)n_win * win_elems * sizeof *all),
          *got = malloc((size_t)MEL_BANDS * n_cols * sizeof *got);
    double worst = 0;
    for (int64_t i = 0; i < n_win; i++) {
        int64_t n_real;
        float *win = all + i * win_elems;
        CHECK_OK(mel_windows_next(w, win, &n_real));
        CHECK(n_real == n_real_ref[i], "%s window %lld: %lld real frames, original %d", label, (long long)i,
              (long long)n_real, n_real_ref[i]);
        for (int b = 0; b < MEL_BANDS; b++)
            for (int64_t c = 0; c < n_cols; c++)
                got[b * n_cols + c] = win[b * MEL_WINDOW_FRAMES + cols[c]];
        double err = rel_max_err(got, ref + i * MEL_BANDS * n_cols, MEL_BANDS * n_cols, NULL);
        worst = err > worst ? err : worst;
        int nonzero_pad = 0;
        for (int b = 0; b < MEL_BANDS; b++)
            for (int64_t t = n_real; t < MEL_WINDOW_FRAMES; t++)
                nonzero_pad += win[b * MEL_WINDOW_FRAMES + t] != 0.0f;
        CHECK(nonzero_pad == 0, "%s window %lld: %d padded values are not 0.0", label, (long long)i, nonzero_pad);
    }
    int64_t n_real;
    CHECK_OK(mel_windows_next(w, all, &n_real));
    CHECK(n_real == 0, "%s: an extra window", label);
    CHECK(worst <= 1e-4, "%s: windows max |diff| %.3g x max |ref| (bound 1e-4)", label, worst);
    printf("pass windows %-20s %lld windows, %lld frames, max |diff| %.2e x max |ref|, %.1f MiB held\n", label,
           (long long)n_win, (long long)in->n_frames, worst, mel_windows_bytes(w) / 1048576.0);
    mel_windows_free(w);
    free(got);
    return all;
}

static void long_clip(void) {
    int64_t n = fixture_meta_int(fx, "long_n");
    int16_t *s = malloc((size_t)n * sizeof *s);
    synth_signal(s, n, (uint32_t)fixture_meta_int(fx, "long_seed"), 20 * AUDIO_RATE, 22 * AUDIO_RATE);
    float *x = s16_to_float(s, n);
    struct audio_memory mem = {x, (size_t)n, 0};
    float *from_memory = long_windows(audio_memory_source(&mem, "65 s signal"), "65 s signal");
    char path[64];
    struct audio_reader *r = NULL;
    if (!write_temp_wav(path, s, n)) {
        CHECK(0, "cannot write a temporary WAV");
    } else if (audio_reader_open(&r, path) == LS_ERR_UNSUPPORTED) {
        printf("note: built without media: the two-pass windows from a file are not tested\n");
    } else {
        CHECK(r != NULL, "%s", ls_error());
        float *from_file = r ? long_windows(audio_reader_source(r), "65 s WAV file") : NULL;
        size_t bytes = 3 * sizeof(float) * MEL_BANDS * MEL_WINDOW_FRAMES;
        CHECK(from_memory && from_file && !memcmp(from_memory, from_file, bytes),
              "windows from the WAV file differ from those from memory");
        free(from_file);
    }
    audio_reader_close(r);
    remove(path);
    free(from_memory);
    free(x);
    free(s);
}

// A generated stream of `seconds` of the test signal: nothing is held but the generator's state.
struct gen {
    int64_t n, at;
    uint32_t seed;
};
static ls_status gen_read(void *ctx, float *out, size_t max, size_t *got) {
    struct gen *g = ctx;
    int16_t buf[4096];
    *got = 0;
    while (*got < max && g->at < g->n) {
        int64_t k = g->n - g->at < 4096 ? g->n - g->at : 4096;
        k = (int64_t)(max - *got) < k ? (int64_t)(max - *got) : k;
        // blocks of the test signal, each restarted with a seed from its position: deterministic, so the
        // second pass reads what the first did
        synth_signal(buf, k, g->seed + (uint32_t)g->at, 0, 0);
        for (int64_t i = 0; i < k; i++)
            out[*got + i] = (float)buf[i] / 32768.0f;
        *got += (size_t)k, g->at += k;
    }
    return LS_OK;
}
static ls_status gen_rewind(void *ctx) {
    ((struct gen *)ctx)->at = 0;
    return LS_OK;
}

static void bounded_memory(void) {
    struct gen g = {600 * AUDIO_RATE, 0, 5};
    struct mel_windows *w;
    double t0 = time_now_s();
    CHECK_OK(mel_windows_init(&w, plan, (struct audio_source){gen_read, gen_rewind, &g, "10 min stream"}));
    if (!w) return;
    const struct mel_info *in = mel_windows_info(w);
    float *win = malloc(sizeof(float) * MEL_BANDS * MEL_WINDOW_FRAMES);
    int64_t n_real, n_win = 0, frames = 0;
    while (mel_windows_next(w, win, &n_real) == LS_OK && n_real > 0)
        n_win++, frames += n_real;
    double dt = time_now_s() - t0;
    CHECK(in->n_frames == 60000 && n_win == 20 && frames == 60000 && in->feature_rows == 30000 &&
              in->video_frames == 15002,
          "10 min: %lld frames, %lld windows, %lld rows, %lld video frames", (long long)in->n_frames, (long long)n_win,
          (long long)in->feature_rows, (long long)in->video_frames);
    size_t bytes = mel_windows_bytes(w);
    CHECK(bytes < 4u << 20, "mel windows hold %zu bytes", bytes);
    printf("pass 10 min stream: 20 windows, %.2f MiB held (the same for any length), %.2f s for both passes\n",
           bytes / 1048576.0, dt);
    free(win);
    mel_windows_free(w);
}

static void edge_cases(void) {
    // silence: every energy is 0 -> log10(1e-10) = -10 everywhere, max - 8 = -18 does not bite -> -1.5
    float *zeros = calloc(2 * AUDIO_RATE, sizeof *zeros), *win = malloc(sizeof(float) * MEL_BANDS * MEL_WINDOW_FRAMES);
    struct audio_memory mem = {zeros, 2 * AUDIO_RATE, 0};
    struct mel_windows *w;
    int64_t n_real;
    CHECK_OK(mel_windows_init(&w, plan, audio_memory_source(&mem, "silence")));
    if (w) {
        CHECK_OK(mel_windows_next(w, win, &n_real));
        int bad = 0;
        for (int b = 0; b < MEL_BANDS; b++)
            for (int t = 0; t < MEL_WINDOW_FRAMES; t++)
                bad += win[b * MEL_WINDOW_FRAMES + t] != (t < 200 ? -1.5f : 0.0f);
        CHECK(n_real == 200 && bad == 0 && mel_windows_info(w)->log_max == -10.0f,
              "silence: %lld frames, %d values not -1.5 / 0", (long long)n_real, bad);
        CHECK(mel_windows_info(w)->video_frames == 52, "2 s: %lld video frames",
              (long long)mel_windows_info(w)->video_frames);
        mel_windows_free(w);
    }
    // the shortest clip the original can use: 320 samples -> 2 frames -> 1 feature row -> 2 video frames
    mem = (struct audio_memory){zeros, AUDIO_MIN_SAMPLES, 0};
    CHECK_OK(mel_windows_init(&w, plan, audio_memory_source(&mem, "20 ms")));
    if (w) {
        const struct mel_info *in = mel_windows_info(w);
        CHECK(in->n_frames == 2 && in->feature_rows == 1 && in->video_frames == 2, "20 ms: %lld frames, %lld rows",
              (long long)in->n_frames, (long long)in->feature_rows);
        mel_windows_free(w);
    }
    mem = (struct audio_memory){zeros, AUDIO_MIN_SAMPLES - 1, 0};
    CHECK_FAILS(mel_windows_init(&w, plan, audio_memory_source(&mem, "short.wav")), LS_ERR_INPUT,
                "short.wav: 319 samples (19.9 ms) of audio is too short");
    mem = (struct audio_memory){zeros, 0, 0};
    CHECK_FAILS(mel_windows_init(&w, plan, audio_memory_source(&mem, "none.wav")), LS_ERR_INPUT,
                "none.wav: the audio stream is empty (0 samples)");
    // misuse of the low-level entry point: clear errors, no reads outside the segment
    float e[MEL_BANDS];
    CHECK_FAILS(mel_energies(plan, zeros, 0, 200, 200, 0, 1, e), LS_ERR_INPUT, "200 samples are too few");
    CHECK_FAILS(mel_energies(plan, zeros, 1000, 400, 4000, 10, 2, e), LS_ERR_INPUT, "need samples [1400, 1959]");
    CHECK_FAILS(mel_energies(plan, zeros, 0, 4000, 4000, 20, 6, e), LS_ERR_INPUT, "frames [20, 26)");
    free(win);
    free(zeros);
}

static void timing(void) {
    int64_t n = (int64_t)MEL_WINDOW_FRAMES * MEL_HOP;
    int16_t *s = malloc((size_t)n * sizeof *s);
    synth_signal(s, n, 3, 0, 0);
    float *x = s16_to_float(s, n), *e = malloc(sizeof(float) * MEL_WINDOW_FRAMES * MEL_BANDS);
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = time_now_s();
        CHECK_OK(mel_energies(plan, x, 0, n, n, 0, MEL_WINDOW_FRAMES, e));
        double dt = time_now_s() - t0;
        best = dt < best ? dt : best;
    }
    float *m = malloc(sizeof(float) * MEL_WINDOW_FRAMES * MEL_BANDS);
    double best_log = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = time_now_s();
        CHECK_OK(mel_log_spectrogram(plan, x, n, m));
        double dt = time_now_s() - t0;
        best_log = dt < best_log ? dt : best_log;
    }
    printf("time: one 30 s window (3000 frames), one core: mel energies %.1f ms, normalised log-mel %.1f ms\n",
           best * 1e3, best_log * 1e3);
    free(m);
    free(e);
    free(x);
    free(s);
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_mel DATA_DIR ASSETS_DIR\n"), 2;
    assets = argv[2];
    if (!(fx = fixture_open(argv[1], "mel.safetensors"))) return 1;
    CHECK_OK(mel_plan_init(&plan));
    filterbank();
    fft_vs_dft();
    int64_t n = fixture_meta_int(fx, "short_n");
    int16_t *s = malloc((size_t)n * sizeof *s);
    synth_signal(s, n, (uint32_t)fixture_meta_int(fx, "short_seed"), AUDIO_RATE, AUDIO_RATE + AUDIO_RATE / 4);
    float *x = s16_to_float(s, n);
    golden_clip("2.5 s signal", x, n, "short_mel");
    free(x);
    free(s);
    int64_t n_head;
    const float *head = fixture_data(fx, "demo1_head", DTYPE_F32, &n_head);
    golden_clip("demo1 first 2 s", head, n_head, "demo1_head_mel");
    long_clip();
    bounded_memory();
    edge_cases();
    timing();
    mel_plan_free(plan);
    st_close(fx);
    return harness_exit();
}
