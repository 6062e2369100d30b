// audio_features.h — per-video-frame audio tokens (frame i: 10 Whisper rows x (layers + 1) levels =
// 50 tokens of the Whisper width) streamed from an audio file with bounded memory (audio_features.c).
#ifndef LS_AUDIO_FEATURES_H
#define LS_AUDIO_FEATURES_H

#include "pipeline.h"
#include "models.h"

struct audio_features;
// Pass 1 over the file (decode + STFT: the global log-mel maximum, sample and chunk counts). Whisper runs
// on `be` (borrowed, as is w) from the object's own small arena.
ls_status audio_features_open(struct audio_features **out, const char *path, const struct whisper *w,
                              struct backend *be);
int64_t audio_features_rows(const struct audio_features *af);       // Whisper feature rows (50 per second)
int64_t audio_features_mel_frames(const struct audio_features *af); // floor(samples / 160)
float audio_features_max_log(const struct audio_features *af);      // the clip's log10 mel maximum
int64_t audio_features_chunks(const struct audio_features *af); // output video frames: floor(rows / 2) + 2
int64_t audio_features_samples(const struct audio_features *af);
// The tokens of video frame `frame` (non-decreasing across calls): chunk (10 * levels, width) floats.
ls_status audio_features_chunk(struct audio_features *af, int64_t frame, float *chunk);
void audio_features_close(struct audio_features *af); // NULL is a no-op

#endif
