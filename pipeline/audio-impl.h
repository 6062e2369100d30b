// audio-impl.h — helpers shared by the audio files of pipeline/ (not part of the public header).
#ifndef LS_AUDIO_IMPL_H
#define LS_AUDIO_IMPL_H

#include <math.h>

#include "pipeline.h"

// log_mel_spectrogram's element-wise steps, in float32 as torch does them:
// clamp(min=1e-10).log10(), then maximum(L, L.max() - 8.0), then (L + 4.0) / 4.0.
static inline float mel_log(float e) { return log10f(e > 1e-10f ? e : 1e-10f); }
static inline float mel_normalise(float l, float log_max) {
    float floor_ = log_max - 8.0f;
    return ((l > floor_ ? l : floor_) + 4.0f) / 4.0f;
}

#endif
