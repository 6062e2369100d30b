// mel.c — the mel energies and the normalised log-mel spectrogram of LatentSync's Whisper copy
// (latentsync/whisper/whisper/audio.py log_mel_spectrogram; spec/pipeline.md §1.2): torch.stft with
// n_fft 400, hop 160, periodic Hann window, centre padding by reflection, |X|^2, the last frame dropped,
// the Slaney filterbank (mel_filters.c), log10 with a 1e-10 floor, the clip's maximum - 8 floor, (x + 4) / 4.
//
// The 400-point real DFT is a 200-point complex FFT of the even/odd samples packed as re/im, split into
// the real transform afterwards; the 200-point FFT is mixed radix (4 x 5 x 5 x 2, decimation in time) and
// runs on 8 frames at once, one per vector lane. Everything after the window is double: more accurate than
// torch's float32 pocketfft, whose own rounding is what the golden test's error measures. The filterbank
// product skips each filter's zero bins.
// Variants (one 30 s window = 3000 frames, one core of the shared 2-core dev VM, AVX-512, -O3 -march=native;
// torch 1.13 log_mel_spectrogram on the same VM, 1 thread: 5.1 ms per window):
//   1. direct DFT against a 201 x 400 windowed float32 basis: 221 ms
//   2. FFT, one frame at a time, generic radix-r butterflies (r^2 complex products per group): 16.5 ms
//   3. closed-form radix-2/4/5 butterflies: 15-24 ms (noise of the loaded VM: no clear gain alone)
//   4. this: variant 3 on 8 frames per call, each operation vectorised across the frames: 3.1-4.3 ms
// Test: meson test -C build mel
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "audio-impl.h"

#define FFT_N     (MEL_N_FFT / 2) // complex points
#define MAX_RADIX 5

typedef struct cpx {
    double re, im;
} cpx;

struct mel_plan {
    double window[MEL_N_FFT]; // periodic Hann, float32 values as torch.hann_window makes them
    cpx tw[FFT_N];            // exp(-2 pi i k / 200)
    cpx split[FFT_N + 1];     // exp(-2 pi i k / 400), k = 0 .. 200
    int factors[4];
    float filters[MEL_BANDS * MEL_BINS];
    int band_lo[MEL_BANDS], band_hi[MEL_BANDS]; // non-zero bins of each filter: [lo, hi)
};

static const int fft_factors[4] = {4, 5, 5, 2};

ls_status mel_plan_init(struct mel_plan **out) {
    *out = NULL;
    struct mel_plan *p = calloc(1, sizeof *p);
    if (!p) return ls_fail(LS_ERR_OOM, "mel: out of memory for the plan (%zu bytes)", sizeof *p);
    // torch.hann_window(400): arange(401) * float32(2 pi / 400), cos, * -0.5 + 0.5, all in float32, first 400
    for (int n = 0; n < MEL_N_FFT; n++) {
        float a = (float)n * (float)(2.0 * M_PI / MEL_N_FFT);
        p->window[n] = cosf(a) * -0.5f + 0.5f;
    }
    for (int k = 0; k < FFT_N; k++)
        p->tw[k] = (cpx){cos(2.0 * M_PI * k / FFT_N), -sin(2.0 * M_PI * k / FFT_N)};
    for (int k = 0; k <= FFT_N; k++)
        p->split[k] = (cpx){cos(2.0 * M_PI * k / MEL_N_FFT), -sin(2.0 * M_PI * k / MEL_N_FFT)};
    memcpy(p->factors, fft_factors, sizeof p->factors);
    mel_filters(p->filters);
    for (int b = 0; b < MEL_BANDS; b++) {
        const float *f = p->filters + b * MEL_BINS;
        int lo = 0, hi = MEL_BINS;
        while (lo < MEL_BINS && f[lo] == 0.0f)
            lo++;
        while (hi > lo && f[hi - 1] == 0.0f)
            hi--;
        p->band_lo[b] = lo, p->band_hi[b] = hi;
    }
    *out = p;
    return LS_OK;
}

void mel_plan_free(struct mel_plan *p) { free(p); }

int64_t mel_frames(int64_t n_samples) { return n_samples > 0 ? n_samples / MEL_HOP : 0; }

static inline cpx cmul(cpx a, cpx b) { return (cpx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

// One complex value for LANES frames at once: the FFT runs on a batch of frames with the same operations
// in every lane, so the compiler vectorises each operation across frames (the frames are independent).
#define LANES 8
typedef struct cvec {
    double re[LANES], im[LANES];
} cvec;

#define FOR_LANES for (int l = 0; l < LANES; l++)
static inline void vadd(cvec *r, const cvec *a, const cvec *b) {
    FOR_LANES r->re[l] = a->re[l] + b->re[l], r->im[l] = a->im[l] + b->im[l];
}
static inline void vsub(cvec *r, const cvec *a, const cvec *b) {
    FOR_LANES r->re[l] = a->re[l] - b->re[l], r->im[l] = a->im[l] - b->im[l];
}
static inline void vmul_minus_i(cvec *r, const cvec *a) { // -i * a (r may be a)
    FOR_LANES {
        double re = a->im[l], im = -a->re[l];
        r->re[l] = re, r->im[l] = im;
    }
}
static inline void vmul(cvec *r, const cvec *a, cpx w) { // a * w (r may be a)
    FOR_LANES {
        double re = a->re[l] * w.re - a->im[l] * w.im, im = a->re[l] * w.im + a->im[l] * w.re;
        r->re[l] = re, r->im[l] = im;
    }
}
// r = a + s1 * b + s2 * c
static inline void vaxpy2(cvec *r, const cvec *a, double s1, const cvec *b, double s2, const cvec *c) {
    FOR_LANES r->re[l] = a->re[l] + s1 * b->re[l] + s2 * c->re[l], r->im[l] = a->im[l] + s1 * b->im[l] + s2 * c->im[l];
}
// r = -i * (s1 * a + s2 * b)
static inline void vrot2(cvec *r, double s1, const cvec *a, double s2, const cvec *b) {
    FOR_LANES {
        double re = s1 * a->im[l] + s2 * b->im[l], im = -(s1 * a->re[l] + s2 * b->re[l]);
        r->re[l] = re, r->im[l] = im;
    }
}

// The forward DFT of a[0..radix) in place, for the radices 2, 4 and 5.
static inline void butterfly(cvec *a, int radix) {
    cvec t1, t2, t3, t4;
    if (radix == 2) {
        t1 = a[0];
        vadd(&a[0], &t1, &a[1]), vsub(&a[1], &t1, &a[1]);
    } else if (radix == 4) {
        vadd(&t1, &a[0], &a[2]), vsub(&t2, &a[0], &a[2]), vadd(&t3, &a[1], &a[3]), vsub(&t4, &a[1], &a[3]);
        vmul_minus_i(&t4, &t4);
        vadd(&a[0], &t1, &t3), vadd(&a[1], &t2, &t4), vsub(&a[2], &t1, &t3), vsub(&a[3], &t2, &t4);
    } else { // 5: X1, X4 = b1 +- d1; X2, X3 = b2 +- d2 (c, s: cos and sin of 2 pi / 5 and 4 pi / 5)
        const double c1 = 0.30901699437494745, c2 = -0.8090169943749473, s1 = 0.9510565162951535,
                     s2 = 0.5877852522924732;
        cvec b1, b2, d1, d2;
        vadd(&t1, &a[1], &a[4]), vadd(&t2, &a[2], &a[3]), vsub(&t3, &a[1], &a[4]), vsub(&t4, &a[2], &a[3]);
        vaxpy2(&b1, &a[0], c1, &t1, c2, &t2), vaxpy2(&b2, &a[0], c2, &t1, c1, &t2);
        vrot2(&d1, s1, &t3, s2, &t4), vrot2(&d2, s2, &t3, -s1, &t4);
        vaxpy2(&a[0], &a[0], 1.0, &t1, 1.0, &t2);
        vadd(&a[1], &b1, &d1), vsub(&a[4], &b1, &d1), vadd(&a[2], &b2, &d2), vsub(&a[3], &b2, &d2);
    }
}

// One decimation-in-time level: `out` (n points) = DFT of in[0], in[stride], ... Sub-transform j (of the
// inputs j mod radix) goes to out[j*m ...]; each k then combines out[j*m + k] * W_n^(jk) over j.
static void fft_level(const struct mel_plan *p, cvec *out, const cvec *in, int n, int stride, int level) {
    int radix = p->factors[level], m = n / radix;
    if (m == 1)
        for (int j = 0; j < radix; j++)
            out[j] = in[j * stride];
    else
        for (int j = 0; j < radix; j++)
            fft_level(p, out + j * m, in + j * stride, m, stride * radix, level + 1);
    int step = FFT_N / n;
    for (int k = 0; k < m; k++) {
        cvec t[MAX_RADIX];
        t[0] = out[k];
        for (int j = 1; j < radix; j++)
            vmul(&t[j], &out[j * m + k], p->tw[j * k * step]);
        butterfly(t, radix);
        for (int q = 0; q < radix; q++)
            out[q * m + k] = t[q];
    }
}

// Mel energies of LANES frames of 400 raw samples each (frames[l] points at frame l's samples).
static void mel_batch(const struct mel_plan *p, const float *const frames[LANES], float *out[LANES]) {
    cvec z[FFT_N], Z[FFT_N];
    for (int n = 0; n < FFT_N; n++)
        FOR_LANES z[n].re[l] = p->window[2 * n] * frames[l][2 * n],
                  z[n].im[l] = p->window[2 * n + 1] * frames[l][2 * n + 1];
    fft_level(p, Z, z, FFT_N, 1, 0);
    static_assert(sizeof(cvec) * FFT_N >= sizeof(double) * LANES * MEL_BINS, "power fits in z");
    double(*power)[LANES] = (double(*)[LANES])(void *)z; // z is free again
    for (int k = 0; k <= FFT_N; k++) {
        // X[k] = E[k] + exp(-2 pi i k / 400) O[k], with E, O the DFTs of the even and odd samples:
        // E = (Z[k] + conj Z[200-k]) / 2, O = (Z[k] - conj Z[200-k]) / 2i
        const cvec *a = &Z[k % FFT_N], *b = &Z[(FFT_N - k) % FFT_N];
        cpx w = p->split[k];
        FOR_LANES {
            double e_re = 0.5 * (a->re[l] + b->re[l]), e_im = 0.5 * (a->im[l] - b->im[l]);
            double o_re = 0.5 * (a->im[l] + b->im[l]), o_im = -0.5 * (a->re[l] - b->re[l]);
            double x_re = e_re + o_re * w.re - o_im * w.im, x_im = e_im + o_re * w.im + o_im * w.re;
            power[k][l] = x_re * x_re + x_im * x_im;
        }
    }
    for (int b = 0; b < MEL_BANDS; b++) {
        const float *f = p->filters + b * MEL_BINS;
        double acc[LANES] = {0};
        for (int k = p->band_lo[b]; k < p->band_hi[b]; k++)
            FOR_LANES acc[l] += (double)f[k] * power[k][l];
        FOR_LANES out[l][b] = (float)acc[l];
    }
}

ls_status mel_energies(const struct mel_plan *p, const float *seg, int64_t seg_first, int64_t seg_len,
                       int64_t n_samples, int64_t first, int64_t count, float *out) {
    int64_t n_frames = mel_frames(n_samples);
    if (first < 0 || count < 0 || first + count > n_frames)
        return ls_fail(LS_ERR_INPUT, "mel: frames [%lld, %lld) of a signal of %lld frames", (long long)first,
                       (long long)(first + count), (long long)n_frames);
    if (count == 0) return LS_OK;
    if (n_samples <= MEL_N_FFT / 2)
        return ls_fail(LS_ERR_INPUT, "mel: %lld samples are too few to reflect-pad a 400-sample window (need %d)",
                       (long long)n_samples, MEL_N_FFT / 2 + 1);
    // samples the frames read after reflection: frames 0 and 1 reach back to x[200], the last ones forward
    // to x[n - 1] and, reflected, back to x[2(n - 1) - (last start + 399)]
    int64_t lo = first * MEL_HOP - MEL_N_FFT / 2, hi = (first + count - 1) * MEL_HOP + MEL_N_FFT / 2 - 1;
    int64_t need_lo = lo < 0 ? 0 : lo, need_hi = hi < n_samples ? hi : n_samples - 1;
    if (lo < 0 && need_hi < MEL_N_FFT / 2) need_hi = MEL_N_FFT / 2;
    if (hi >= n_samples && 2 * (n_samples - 1) - hi < need_lo) need_lo = 2 * (n_samples - 1) - hi;
    if (need_lo < seg_first || need_hi >= seg_first + seg_len)
        return ls_fail(LS_ERR_INPUT, "mel: frames [%lld, %lld) need samples [%lld, %lld], segment holds [%lld, %lld)",
                       (long long)first, (long long)(first + count), (long long)need_lo, (long long)need_hi,
                       (long long)seg_first, (long long)(seg_first + seg_len));
    float frames[LANES][MEL_N_FFT], spare[LANES][MEL_BANDS];
    for (int64_t t0 = 0; t0 < count; t0 += LANES) {
        const float *in[LANES];
        float *res[LANES];
        for (int l = 0; l < LANES; l++) {
            int64_t t = t0 + l;
            if (t >= count) { // a partial last batch: zeros in, results dropped
                memset(frames[l], 0, sizeof frames[l]);
                in[l] = frames[l], res[l] = spare[l];
                continue;
            }
            res[l] = out + t * MEL_BANDS;
            int64_t start = (first + t) * MEL_HOP - MEL_N_FFT / 2;
            if (start >= 0 && start + MEL_N_FFT <= n_samples) {
                in[l] = seg + (start - seg_first);
                continue;
            }
            for (int i = 0; i < MEL_N_FFT; i++) { // reflect without repeating the edge: x[-k] = x[k]
                int64_t j = start + i;
                if (j < 0)
                    j = -j;
                else if (j >= n_samples)
                    j = 2 * (n_samples - 1) - j;
                frames[l][i] = seg[j - seg_first];
            }
            in[l] = frames[l];
        }
        mel_batch(p, in, res);
    }
    return LS_OK;
}

ls_status mel_log_spectrogram(const struct mel_plan *p, const float *x, int64_t n, float *out) {
    enum { BLOCK = 64 };
    int64_t n_frames = mel_frames(n);
    float e[BLOCK * MEL_BANDS], log_max = -INFINITY;
    for (int64_t t0 = 0; t0 < n_frames; t0 += BLOCK) {
        int64_t count = n_frames - t0 < BLOCK ? n_frames - t0 : BLOCK;
        LS_TRY(mel_energies(p, x, 0, n, n, t0, count, e));
        for (int64_t t = 0; t < count; t++)
            for (int b = 0; b < MEL_BANDS; b++) {
                float l = mel_log(e[t * MEL_BANDS + b]);
                out[b * n_frames + t0 + t] = l;
                log_max = l > log_max ? l : log_max;
            }
    }
    for (int64_t i = 0; i < n_frames * MEL_BANDS; i++)
        out[i] = mel_normalise(out[i], log_max);
    return LS_OK;
}
