// mel_filters.c — the 80-band Slaney mel filterbank Whisper uses, computed as librosa.filters.mel(sr=16000,
// n_fft=400, n_mels=80) computes it (the array the original ships as mel_80 in
// latentsync/whisper/whisper/assets/mel_filters.npz; spec/pipeline.md §1.2). The roundings are librosa's:
// the triangular ramps are stored in float32, then scaled by the area normaliser in double and rounded
// again. tests/test_mel.c checks every value for bit equality with the shipped array.
#include <math.h>

#include "pipeline.h"

// Slaney's mel scale: linear below 1 kHz (3 mel per 200 Hz), logarithmic above (27 mel per factor 6.4).
static double hz_to_mel(double f) { return f < 1000.0 ? 3.0 * f / 200.0 : 15.0 + 27.0 * log(f / 1000.0) / log(6.4); }
static double mel_to_hz(double m) { return m < 15.0 ? 200.0 * m / 3.0 : 1000.0 * exp((m - 15.0) * log(6.4) / 27.0); }

void mel_filters(float filters[MEL_BANDS * MEL_BINS]) {
    // 82 band edges equally spaced in mel from 0 to mel(8000 Hz) = 45.2456...
    double edges[MEL_BANDS + 2], top = hz_to_mel(AUDIO_RATE / 2.0);
    for (int i = 0; i < MEL_BANDS + 2; i++)
        edges[i] = mel_to_hz(top * i / (MEL_BANDS + 1));
    for (int i = 0; i < MEL_BANDS; i++) {
        double enorm = 2.0 / (edges[i + 2] - edges[i]); // Slaney area normalisation
        for (int k = 0; k < MEL_BINS; k++) {
            double f = 40.0 * k; // bin k of a 400-point FFT at 16 kHz
            double lower = (f - edges[i]) / (edges[i + 1] - edges[i]);
            double upper = (edges[i + 2] - f) / (edges[i + 2] - edges[i + 1]);
            double w = lower < upper ? lower : upper;
            float w32 = (float)(w > 0 ? w : 0.0);
            filters[i * MEL_BINS + k] = (float)(w32 * enorm);
        }
    }
}
