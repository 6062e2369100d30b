// audio.h — the audio side of the job: any audio or video file decoded to 16 kHz mono with libav, the
// log-mel spectrogram exactly as LatentSync's Whisper copy computes it, and the per-video-frame audio
// tokens (spec/pipeline.md §1).
//
//     struct audio_reader *r;
//     LS_TRY(audio_reader_open(&r, "speech.wav"));       // or the audio track of an mp4/mov/mkv
//     float buf[4096]; size_t got;
//     while (audio_reader_read(r, buf, 4096, &got) == LS_OK && got) ...
//     audio_reader_close(r);
#ifndef LS_AUDIO_H
#define LS_AUDIO_H

#include "runtime.h"

#define AUDIO_RATE 16000
#define MEL_N_FFT 400
#define MEL_HOP 160
#define MEL_BANDS 80
#define MEL_BINS (MEL_N_FFT / 2 + 1)
#define MEL_WINDOW_FRAMES 3000 // one Whisper window: 30 s

// --- decoding (libavformat/libavcodec/libswresample) ------------------------------------------------------

struct audio_reader;
// Opens the best audio stream of any file ffmpeg reads. Samples come out as the original's
// `ffmpeg -ac 1 -ar 16000 -f s16le` gives them, as floats s / 32768. Errors name the file: missing, not a
// media file, no audio stream, undecodable.
ls_status audio_reader_open(struct audio_reader **out, const char *path);
// Up to max samples; *got = 0 at the end. Corrupt packets are skipped as ffmpeg does (counted, warned once).
ls_status audio_reader_read(struct audio_reader *r, float *samples, size_t max, size_t *got);
double audio_reader_duration_s(const struct audio_reader *r); // container estimate, 0 if unknown
void audio_reader_close(struct audio_reader *r);              // NULL is a no-op
// The whole file into a malloc'd buffer (caller frees), refusing more than max_seconds.
ls_status audio_load(const char *path, double max_seconds, float **samples, size_t *n_samples);

// --- log-mel (latentsync/whisper/whisper/audio.py log_mel_spectrogram) ------------------------------------

// The 80 x 201 Slaney mel filterbank of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80), computed as
// the shipped mel_filters.npz holds it (float32, row-major).
void mel_filters(float filters[MEL_BANDS * MEL_BINS]);
// Power-spectrum mel energies (before the log) of STFT frames [first, first + count) of a signal of n
// samples: frame t covers samples t*160 - 200 ... t*160 + 199, reflect-padded at both ends, periodic Hann.
// Output (count x 80), frame-major. Frames t < floor(n / 160) exist (the last STFT frame is dropped).
struct mel_plan; // the DFT basis and filters, built once
ls_status mel_plan_init(struct mel_plan **out);
void mel_plan_free(struct mel_plan *p);
ls_status mel_energies(const struct mel_plan *p, const float *x, size_t n, int64_t first, int64_t count, float *out);
int64_t mel_frames(size_t n_samples); // floor(n / 160)
// Mel energies of one 400-sample frame (not yet windowed: the plan applies the Hann window).
void mel_frame_energies(const struct mel_plan *p, const float frame[MEL_N_FFT], float out[MEL_BANDS]);
// log10(max(e, 1e-10)) in place.
void mel_log10(float *e, size_t n);
// max(L, max_all - 8), then (L + 4) / 4, in place.
void mel_normalise(float *l, size_t n, float max_all);

// --- audio tokens per video frame (latentsync/whisper/audio2feature.py) ------------------------------------

// Rows of Whisper features kept for a clip of n_mel_frames: the sum over 30 s windows of floor(n_w / 2).
int64_t audio_feature_rows(int64_t n_mel_frames);
// Video frames (chunks) the original makes from `rows` feature rows: floor(rows / 2) + 2 (quirk, see .c).
int64_t audio_chunk_count(int64_t rows);
// The 10 feature-row indices of video frame i (25 fps), clamped to [0, rows - 1].
void audio_chunk_rows(int64_t frame, int64_t rows, int64_t idx[10]);

#endif
