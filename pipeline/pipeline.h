// pipeline.h — the pipeline layer's public header. So far: the audio side of the job (spec/pipeline.md §1):
// any audio or video file decoded to 16 kHz mono with libav as LatentSync's load_audio gets it from the
// ffmpeg CLI, the log-mel spectrogram of its Whisper copy, the 30 s windows of its transcribe loop, and the
// per-video-frame audio tokens of Audio2Feature. (face_track.h, lipsync_engine.h and noise.h are to be
// folded in here.)
//
// Usage sketch (a whole clip, streamed: memory does not grow with the clip's length):
//     struct audio_reader *r;
//     LS_TRY(audio_reader_open(&r, "speech.mp4"));           // wav, mp3, aac, m4a, the audio of mp4/mov/mkv
//     struct mel_plan *plan;
//     LS_TRY(mel_plan_init(&plan));
//     struct mel_windows *mw;
//     LS_TRY(mel_windows_init(&mw, plan, audio_reader_source(r)));  // pass 1: decode all, find the global max
//     const struct mel_info *info = mel_windows_info(mw);   // frames, windows, feature rows, video frames
//     float *win = malloc(sizeof(float) * MEL_BANDS * MEL_WINDOW_FRAMES);   // (80, 3000)
//     int64_t n_real;
//     while (mel_windows_next(mw, win, &n_real) == LS_OK && n_real > 0)   // pass 2 (re-decodes if > 30 s)
//         ... Whisper on win; keep its first n_real / 2 feature rows ...
//     ... for each video frame i < info->video_frames: audio_chunk_build(features, ..., i, chunk) ...
//     mel_windows_free(mw); mel_plan_free(plan); audio_reader_close(r); free(win);
// Every function returns an ls_status and leaves a one-line message naming the file in ls_error().
#ifndef LS_PIPELINE_H
#define LS_PIPELINE_H

#include "runtime.h"

#define AUDIO_RATE        16000               // Hz, mono
#define AUDIO_MIN_SAMPLES 320                 // 20 ms: fewer make no Whisper feature row (see mel_windows_init)
#define MEL_N_FFT         400                 // STFT size and Hann window length
#define MEL_HOP           160                 // 10 ms
#define MEL_BANDS         80                  // mel filters
#define MEL_BINS          (MEL_N_FFT / 2 + 1) // 201 one-sided STFT bins
#define MEL_WINDOW_FRAMES 3000                // one Whisper window: 30 s of mel frames
#define AUDIO_CHUNK_ROWS  10                  // feature rows per video frame (audio_feat_length [2, 2])

// --- a source of 16 kHz mono samples ----------------------------------------------------------------------
// The log-mel needs two passes over a clip longer than one window (the dynamic-range floor is the maximum
// of the whole clip), so a source can start again from its first sample.
struct audio_source {
    ls_status (*read)(void *ctx, float *samples, size_t max, size_t *got); // *got == 0 only at the end
    ls_status (*rewind)(void *ctx);                                        // back to the first sample
    void *ctx;
    const char *name; // for messages: the file name
};

// In-memory samples as a source. `m` and `samples` are borrowed and must outlive the source.
struct audio_memory {
    const float *samples;
    size_t n_samples, at;
};
struct audio_source audio_memory_source(struct audio_memory *m, const char *name);

// --- decoding (libavformat/libavcodec/libswresample; LS_ERR_UNSUPPORTED when built without -Dmedia) -----

struct audio_reader;
// Opens the best audio stream of any file libavformat reads. Samples come out as the original's
// `ffmpeg -ac 1 -ar 16000 -f s16le` gives them (same libraries, default downmix and resampler), as
// float s / 32768. Errors name the file: no such file, empty file, not a media file, no audio stream, no
// decoder. Close with audio_reader_close.
ls_status audio_reader_open(struct audio_reader **out, const char *path);
// Up to `max` samples into `samples`; *got = 0 at the end of the stream (a zero-length stream ends at
// once). Undecodable packets are skipped as the ffmpeg CLI skips them (one warning); a stream that is
// mostly undecodable fails ("corrupt audio").
ls_status audio_reader_read(struct audio_reader *r, float *samples, size_t max, size_t *got);
// Starts again from the first sample by reopening the file: the second pass gets the same samples.
ls_status audio_reader_rewind(struct audio_reader *r);
double audio_reader_duration_s(const struct audio_reader *r); // the container's estimate, 0 if unknown
void audio_reader_close(struct audio_reader *r);              // NULL is a no-op
// The reader as a source (borrowed: close the reader after the last use of the source).
struct audio_source audio_reader_source(struct audio_reader *r);
// The whole file into a malloc'd buffer (caller frees). Fails on zero samples and on more than
// max_seconds of audio (the streaming reader has no such cap).
ls_status audio_load(const char *path, double max_seconds, float **samples, size_t *n_samples);

// --- log-mel (latentsync/whisper/whisper/audio.py log_mel_spectrogram) -------------------------------------

// The 80 x 201 Slaney mel filterbank of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80), bit-equal to
// the mel_80 array of the original's mel_filters.npz (float32, row-major (band, bin)).
void mel_filters(float filters[MEL_BANDS * MEL_BINS]);

// The window, FFT tables and filterbank, built once; read-only afterwards (threads may share it).
struct mel_plan;
ls_status mel_plan_init(struct mel_plan **out);
void mel_plan_free(struct mel_plan *p); // NULL is a no-op
// STFT frames LatentSync keeps for n samples: floor(n / 160) (torch.stft's last frame is dropped).
int64_t mel_frames(int64_t n_samples);
// Mel energies (before the log) of frames [first, first + count) of an n_samples-long signal, of which
// samples [seg_first, seg_first + seg_len) are in `seg`. Frame t is the periodic-Hann-windowed samples
// t*160 - 200 ... t*160 + 199, reflected at both ends of the signal (x[-k] = x[k]). Output (count, 80),
// frame-major. Fails when a needed sample is not in the segment or n_samples <= 200.
ls_status mel_energies(const struct mel_plan *p, const float *seg, int64_t seg_first, int64_t seg_len,
                       int64_t n_samples, int64_t first, int64_t count, float *out);
// The normalised log-mel of a whole in-memory clip, as log_mel_spectrogram returns it: (80, T) band-major,
// T = mel_frames(n): log10(max(e, 1e-10)), floor at the clip's maximum - 8, then (x + 4) / 4.
ls_status mel_log_spectrogram(const struct mel_plan *p, const float *x, int64_t n, float *out);

// --- 30 s windows (latentsync/whisper/whisper/transcribe.py) ---------------------------------------------

struct mel_info {
    int64_t n_samples;    // N
    int64_t n_frames;     // T = floor(N / 160)
    int64_t n_windows;    // ceil(T / 3000)
    int64_t feature_rows; // La = sum over windows of floor(real frames / 2)
    int64_t video_frames; // chunks the original makes: floor(La / 2) + 2 (audio_chunk_count)
    float log_max;        // max over the clip of log10(max(mel energy, 1e-10)), before normalisation
};

struct mel_windows;
// Pass 1: reads the whole source once to count its samples and find the clip's maximum, keeping only one
// window of samples and energies (about 3 MB, whatever the length). Fails on fewer than
// AUDIO_MIN_SAMPLES samples. `p` and `src` are borrowed for the iterator's life. Free with mel_windows_free.
ls_status mel_windows_init(struct mel_windows **out, const struct mel_plan *p, struct audio_source src);
const struct mel_info *mel_windows_info(const struct mel_windows *w);
// Pass 2: the next window, (80, 3000) band-major: real frames normalised, then 0.0 to 3000 columns (zero in
// the normalised domain, as pad_or_trim pads). *n_real = real frames in it; 0 when all windows are done.
// A clip of one window is served from pass 1's energies; longer ones rewind the source once.
ls_status mel_windows_next(struct mel_windows *w, float *window, int64_t *n_real);
size_t mel_windows_bytes(const struct mel_windows *w); // memory held, for the bounded-memory claim
void mel_windows_free(struct mel_windows *w);          // NULL is a no-op

// --- audio tokens per video frame (latentsync/whisper/audio2feature.py) ------------------------------------
// Features Fa: (rows, levels, dim) row-major: rows at 50 per second, levels = encoder layers + 1 (5 for
// Whisper tiny), dim = width (384). A video frame's chunk is (AUDIO_CHUNK_ROWS * levels, dim) = (50, 384).

// Feature rows for a clip of n_mel_frames: the sum over 30 s windows of floor(real frames / 2).
int64_t audio_feature_rows(int64_t n_mel_frames);
// Video frames (chunks) the original makes from `rows` feature rows: floor(rows / 2) + 2 (quirk, see .c).
int64_t audio_chunk_count(int64_t rows);
// The 10 feature rows video frame `frame` (25 fps) reads, clamped to [0, rows - 1], in token order.
void audio_chunk_rows(int64_t frame, int64_t rows, int64_t idx[AUDIO_CHUNK_ROWS]);
// The first and last row that frame reads (for a caller keeping a sliding window of rows).
void audio_chunk_span(int64_t frame, int64_t rows, int64_t *first_row, int64_t *last_row);
// Builds frame's chunk (AUDIO_CHUNK_ROWS * levels, dim) from feature rows [first_row, first_row + n_rows)
// held in `features` ((n_rows, levels, dim)) of a clip of `rows` rows. Fails when frame is outside
// [0, audio_chunk_count(rows)) or a needed row is not held.
ls_status audio_chunk_build(const float *features, int64_t first_row, int64_t n_rows, int64_t rows, int levels, int dim,
                            int64_t frame, float *out);

#endif
