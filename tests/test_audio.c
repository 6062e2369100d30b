// test_audio.c — the audio path against the original (tests/reference/make_audio_fixtures.py): the Slaney
// filterbank bit-exact against mel_filters.npz's values, log-mel of a synthetic signal and of demo1's
// first 3 s (tolerance: max abs error <= 1e-4 x max |ref|), the per-frame token indices and chunk count
// (quirks included), and decoding: demo1_audio.wav and demo2_video.mp4's 44.1 kHz stereo AAC track against
// ffmpeg's s16le output, plus bad inputs (missing, garbage, video without audio, empty).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "harness.h"
#include "loader.h"
#include "weights_convert.h"

static const char *data, *assets;
static st_file *io;

static const float *fx(const char *name, int64_t *n) {
    tensor t;
    LS_ASSERT(st_tensor(io, name, &t) == LS_OK);
    *n = tensor_n_elems(&t);
    return t.data;
}

static void filters(void) {
    float f[MEL_BANDS * MEL_BINS];
    mel_filters(f);
    int64_t n;
    const float *ref = fx("filters", &n);
    int bad = 0;
    for (int i = 0; i < MEL_BANDS * MEL_BINS; i++) bad += f[i] != ref[i];
    CHECK(n == MEL_BANDS * MEL_BINS && bad == 0, "%d filterbank values differ from mel_filters.npz", bad);
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
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) sha256_update(&s, buf, got);
    fclose(fp);
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, st_metadata(io, "mel_filters_npz_sha256")), "the committed filterbank is the asset's");
}

static void log_mel(const char *signal, const char *ref_name) {
    int64_t n, nref;
    const float *x = fx(signal, &n), *ref = fx(ref_name, &nref);
    int64_t frames = mel_frames((size_t)n);
    struct mel_plan *p;
    CHECK_OK(mel_plan_init(&p));
    float *m = malloc((size_t)(frames * MEL_BANDS) * sizeof *m);
    CHECK_OK(mel_energies(p, x, (size_t)n, 0, frames, m));
    mel_log10(m, (size_t)(frames * MEL_BANDS));
    float mx = -1e30f;
    for (int64_t i = 0; i < frames * MEL_BANDS; i++) mx = m[i] > mx ? m[i] : mx;
    mel_normalise(m, (size_t)(frames * MEL_BANDS), mx);
    double max_ref = 0, max_diff = 0;
    CHECK(nref == frames * MEL_BANDS, "%s: %lld frames, reference has %lld values", signal, (long long)frames, (long long)nref);
    for (int64_t b = 0; b < MEL_BANDS && nref == frames * MEL_BANDS; b++)
        for (int64_t t = 0; t < frames; t++) { // reference is (80, T), ours (T, 80)
            double r = ref[b * frames + t], d = fabs(m[t * MEL_BANDS + b] - r);
            max_ref = fabs(r) > max_ref ? fabs(r) : max_ref;
            max_diff = d > max_diff ? d : max_diff;
        }
    CHECK(max_diff <= 1e-4 * max_ref, "%s mel: max diff %g > 1e-4 x %g", signal, max_diff, max_ref);
    printf("pass log-mel %-12s %lld frames, max |diff| %.2e x max |ref|\n", signal, (long long)frames, max_diff / max_ref);
    free(m);
    mel_plan_free(p);
}

static void chunks(void) {
    int64_t n, nr, nc;
    const int32_t *cases = (const int32_t *)fx("chunk_cases", &n), *rows = (const int32_t *)fx("chunk_rows", &nr);
    const int32_t *counts = (const int32_t *)fx("chunk_counts", &nc);
    int bad = 0;
    for (int64_t i = 0; i < n / 2; i++) {
        int64_t idx[10];
        audio_chunk_rows(cases[2 * i + 1], cases[2 * i], idx);
        for (int j = 0; j < 10; j++) bad += idx[j] != rows[i * 10 + j];
    }
    CHECK(bad == 0, "%d chunk row indices differ from get_sliced_feature", bad);
    for (int64_t i = 0; i < nc / 2; i++)
        CHECK(audio_chunk_count(counts[2 * i]) == counts[2 * i + 1], "La %d: %lld chunks, feature2chunks makes %d",
              counts[2 * i], (long long)audio_chunk_count(counts[2 * i]), counts[2 * i + 1]);
    CHECK(audio_feature_rows(960) == 480 && audio_chunk_count(480) == 242, "demo1: 960 mel frames -> 242 video frames");
    CHECK(audio_feature_rows(3000) == 1500 && audio_feature_rows(3001) == 1500 && audio_feature_rows(6002) == 3001,
          "rows across windows");
}

static void decode(const char *file, const char *head_name, const char *count_key) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", assets, file);
    float *x;
    size_t n;
    ls_status s = audio_load(path, 600, &x, &n);
    CHECK_OK(s);
    if (s) return;
    int64_t nh;
    const float *head = fx(head_name, &nh);
    size_t expect = (size_t)atol(st_metadata(io, count_key));
    CHECK(n == expect, "%s: %zu samples, ffmpeg gives %zu", file, n, expect);
    double max_diff = 0;
    for (int64_t i = 0; i < nh && (size_t)i < n; i++) max_diff = fabs(x[i] - head[i]) > max_diff ? fabs(x[i] - head[i]) : max_diff;
    CHECK(max_diff <= 1.0 / 32768, "%s: samples differ from ffmpeg's by %g", file, max_diff);
    printf("pass decode %-18s %zu samples, max |diff| vs ffmpeg %g\n", file, n, max_diff);
    free(x);
}

static void bad_inputs(void) {
    char path[1024];
    float *x;
    size_t n;
    snprintf(path, sizeof path, "%s/audio/video_only.mp4", data);
    CHECK_FAILS(audio_load(path, 60, &x, &n), LS_ERR_INPUT, "no audio stream");
    snprintf(path, sizeof path, "%s/audio/garbage.mp3", data);
    ls_error_clear();
    ls_status s = audio_load(path, 60, &x, &n);
    CHECK(s != LS_OK && strstr(ls_error(), "garbage.mp3"), "garbage: %s", ls_error());
    CHECK_FAILS(audio_load("/nonexistent/a.wav", 60, &x, &n), LS_ERR_IO, "no such file");
    snprintf(path, sizeof path, "%s/audio/empty.wav", data);
    CHECK_OK(audio_load(path, 60, &x, &n));
    CHECK(n == 0, "empty wav: %zu samples", n);
    free(x);
    struct mel_plan *p;
    CHECK_OK(mel_plan_init(&p));
    float e[6 * MEL_BANDS], sil[1000] = {0};
    CHECK_FAILS(mel_energies(p, sil, 100, 0, 1, e), LS_ERR_INPUT, "frames");
    CHECK_OK(mel_energies(p, sil, 1000, 0, 6, e)); // silence: a defined result (all energies 0 -> log floor)
    mel_log10(e, 6 * MEL_BANDS);
    CHECK(e[0] == -10.0f && e[6 * MEL_BANDS - 1] == -10.0f, "silence floors at log10(1e-10)");
    mel_plan_free(p);
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_audio DATA_DIR ASSETS_DIR\n"), 2;
    data = argv[1], assets = argv[2];
    char path[1024];
    snprintf(path, sizeof path, "%s/audio/audio_io.safetensors", data);
    if (st_open(&io, path) != LS_OK) return fprintf(stderr, "FAIL: %s\n", ls_error()), 1;
    filters();
    log_mel("synth", "synth_mel");
    log_mel("demo1_head", "demo1_head_mel");
    chunks();
    snprintf(path, sizeof path, "%s/demo1_audio.wav", assets);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        decode("demo1_audio.wav", "demo1_head", "demo1_samples");
        decode("demo2_video.mp4", "demo2_head", "demo2_samples");
    } else {
        printf("note: %s absent: decoding of the demo assets not tested\n", assets);
    }
    bad_inputs();
    st_close(io);
    return harness_exit();
}
