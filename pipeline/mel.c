// mel.c — the log-mel spectrogram of LatentSync's Whisper copy (latentsync/whisper/whisper/audio.py
// log_mel_spectrogram): STFT with n_fft 400, hop 160, periodic Hann window, centre padding by reflection,
// power |X|^2, the last frame dropped, the 80-band Slaney mel filterbank (librosa's, as mel_filters.npz
// ships it — computed here by the same recipe and checked against the file in tests/test_mel.c),
// log10 with a 1e-10 floor, the global max - 8 floor, (x + 4) / 4.
// The DFT is a direct sum against a precomputed windowed basis (201 bins x 400 taps, float32
// accumulation): ~0.65 MFLOP per frame, about 0.1 s per 30 s of audio on one core.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

struct mel_plan {
    float cos_basis[MEL_BINS][MEL_N_FFT]; // hann[n] cos(2 pi k n / N)
    float sin_basis[MEL_BINS][MEL_N_FFT];
    float filters[MEL_BANDS * MEL_BINS];
};

static double hz_to_mel(double f) { return f < 1000.0 ? 3.0 * f / 200.0 : 15.0 + 27.0 * log(f / 1000.0) / log(6.4); }
static double mel_to_hz(double m) { return m < 15.0 ? 200.0 * m / 3.0 : 1000.0 * exp((m - 15.0) * log(6.4) / 27.0); }

void mel_filters(float filters[MEL_BANDS * MEL_BINS]) {
    double edges[MEL_BANDS + 2], top = hz_to_mel(8000.0);
    for (int i = 0; i < MEL_BANDS + 2; i++) edges[i] = mel_to_hz(top * i / (MEL_BANDS + 1));
    for (int i = 0; i < MEL_BANDS; i++) {
        double enorm = 2.0 / (edges[i + 2] - edges[i]);
        for (int k = 0; k < MEL_BINS; k++) {
            double f = 40.0 * k; // bin frequencies: 0 .. 8000 Hz in 201 steps
            double lower = (f - edges[i]) / (edges[i + 1] - edges[i]);
            double upper = (edges[i + 2] - f) / (edges[i + 2] - edges[i + 1]);
            double w = lower < upper ? lower : upper;
            float w32 = (float)(w > 0 ? w : 0.0);           // librosa stores the ramp in float32 ...
            filters[i * MEL_BINS + k] = (float)(w32 * enorm); // ... then scales it in double
        }
    }
}

ls_status mel_plan_init(struct mel_plan **out) {
    struct mel_plan *p = malloc(sizeof *p);
    *out = NULL;
    if (!p) return ls_fail(LS_ERR_OOM, "mel: out of memory");
    for (int k = 0; k < MEL_BINS; k++)
        for (int n = 0; n < MEL_N_FFT; n++) {
            double hann = 0.5 - 0.5 * cos(2.0 * M_PI * n / MEL_N_FFT); // periodic (torch.hann_window default)
            double a = 2.0 * M_PI * (double)((k * n) % MEL_N_FFT) / MEL_N_FFT;
            p->cos_basis[k][n] = (float)(hann * cos(a));
            p->sin_basis[k][n] = (float)(hann * sin(a));
        }
    mel_filters(p->filters);
    *out = p;
    return LS_OK;
}

void mel_plan_free(struct mel_plan *p) { free(p); }

int64_t mel_frames(size_t n_samples) { return (int64_t)(n_samples / MEL_HOP); }

// sample i of the centre-padded signal: reflection without repeating the edge (x[-k] = x[k])
static float reflect(const float *x, int64_t n, int64_t i) {
    while (i < 0 || i >= n) {
        if (i < 0) i = -i;
        if (i >= n) i = 2 * (n - 1) - i;
        if (n == 1) return x[0];
    }
    return x[i];
}

void mel_frame_energies(const struct mel_plan *p, const float frame[MEL_N_FFT], float out[MEL_BANDS]) {
    float power[MEL_BINS];
    for (int k = 0; k < MEL_BINS; k++) {
        float re = 0, im = 0;
        for (int i = 0; i < MEL_N_FFT; i++) re += p->cos_basis[k][i] * frame[i], im += p->sin_basis[k][i] * frame[i];
        power[k] = re * re + im * im;
    }
    for (int b = 0; b < MEL_BANDS; b++) {
        const float *f = p->filters + b * MEL_BINS;
        float acc = 0;
        for (int k = 0; k < MEL_BINS; k++) acc += f[k] * power[k];
        out[b] = acc;
    }
}

ls_status mel_energies(const struct mel_plan *p, const float *x, size_t n, int64_t first, int64_t count, float *out) {
    if (first < 0 || count < 0 || first + count > mel_frames(n))
        return ls_fail(LS_ERR_INPUT, "mel: frames [%lld, %lld) of a %lld-frame signal", (long long)first,
                       (long long)(first + count), (long long)mel_frames(n));
    if (n < MEL_N_FFT / 2 + 1 && count > 0)
        return ls_fail(LS_ERR_INPUT, "mel: %zu samples are too few to reflect-pad a 400-sample window", n);
    float frame[MEL_N_FFT];
    for (int64_t t = 0; t < count; t++) {
        int64_t start = (first + t) * MEL_HOP - MEL_N_FFT / 2;
        if (start >= 0 && start + MEL_N_FFT <= (int64_t)n) memcpy(frame, x + start, sizeof frame);
        else
            for (int i = 0; i < MEL_N_FFT; i++) frame[i] = reflect(x, (int64_t)n, start + i);
        mel_frame_energies(p, frame, out + t * MEL_BANDS);
    }
    return LS_OK;
}

void mel_log10(float *e, size_t n) {
    for (size_t i = 0; i < n; i++) e[i] = log10f(e[i] > 1e-10f ? e[i] : 1e-10f);
}

void mel_normalise(float *l, size_t n, float max_all) {
    float floor_ = max_all - 8.0f;
    for (size_t i = 0; i < n; i++) l[i] = ((l[i] > floor_ ? l[i] : floor_) + 4.0f) / 4.0f;
}

// --- audio tokens per video frame ---------------------------------------------------------------------

int64_t audio_feature_rows(int64_t n_mel_frames) {
    // transcribe(): 30 s windows from seek = 0, 3000, ...; each keeps floor(real frames / 2) encoder rows
    int64_t full = n_mel_frames / MEL_WINDOW_FRAMES, rest = n_mel_frames % MEL_WINDOW_FRAMES;
    return full * (MEL_WINDOW_FRAMES / 2) + rest / 2;
}

int64_t audio_chunk_count(int64_t rows) {
    // quirk (spec/pipeline.md §1.4): feature2chunks appends chunk i, then stops once int(2i) > rows, so it
    // makes floor(rows / 2) + 2 chunks — two more video frames than the audio's 25 fps length
    return rows / 2 + 2;
}

void audio_chunk_rows(int64_t frame, int64_t rows, int64_t idx[10]) {
    // get_sliced_feature: centre = int(i * 50 / 25) = 2i; indices 2i - 4 ... 2i + 5 (audio_feat_length
    // [2, 2]: two frames before, three after at 2 rows per frame), each clamped to [0, rows - 1]
    int64_t c = 2 * frame;
    for (int j = 0; j < 10; j++) {
        int64_t r = c - 4 + j;
        idx[j] = r < 0 ? 0 : r > rows - 1 ? rows - 1 : r;
    }
}
