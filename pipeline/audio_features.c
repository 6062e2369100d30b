// audio_features.c — per-video-frame audio tokens from an audio file with bounded memory, as LatentSync's
// Audio2Feature does it (audio2feature.py: audio2feat -> transcribe's 30 s windows -> feature2chunks):
//   pass 1 streams the decoded samples through the STFT to find the clip's global log-mel maximum (the
//          dynamic-range floor is max - 8 over the WHOLE clip, not per window: spec/pipeline.md §1.2);
//   pass 2 streams them again, normalises, cuts 3000-frame windows (zero-padded in the normalised domain),
//          runs Whisper per window on demand and keeps only the feature rows the next chunks need.
// So a three-hour file costs two decodes and a few windows of memory, never the whole spectrogram.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio_features.h"

#define READ_BLOCK 32768

struct mel_stream {
    struct audio_reader *r;
    float *buf; // samples [base, base + n)
    size_t cap, n;
    int64_t base, total; // total known once eof
    bool eof;
    int64_t next_frame;
};

struct audio_features {
    char *path;
    const struct whisper *whisper;
    arena act; // Whisper's activations for one window
    tensor mel_in, feat_out;
    struct mel_plan *plan;
    struct mel_stream ms;
    int64_t n_samples, mel_frames, rows, chunks;
    float max_log;
    int levels, dim;         // Whisper: layers + 1, width
    float *rows_buf;         // feature rows [rows_base, rows_base + rows_have), each levels * dim floats
    int64_t rows_base, rows_have, rows_cap;
    int64_t next_window;
    float *window, *features; // one mel window (80 x 3000) and one Whisper output (1500 x levels x dim)
};

static ls_status stream_open(struct mel_stream *ms, const char *path) {
    memset(ms, 0, sizeof *ms);
    ms->cap = 4 * READ_BLOCK;
    ms->buf = malloc(ms->cap * sizeof *ms->buf);
    if (!ms->buf) return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    return audio_reader_open(&ms->r, path);
}

static void stream_close(struct mel_stream *ms) {
    audio_reader_close(ms->r);
    free(ms->buf);
    memset(ms, 0, sizeof *ms);
}

// Makes samples up to `upto` (exclusive) available, or reaches the end of the file.
static ls_status stream_fill(struct mel_stream *ms, int64_t upto, int64_t keep_from) {
    while (!ms->eof && ms->base + (int64_t)ms->n < upto) {
        if (keep_from > ms->base) { // drop samples no frame needs any more
            size_t drop = (size_t)(keep_from - ms->base) < ms->n ? (size_t)(keep_from - ms->base) : ms->n;
            memmove(ms->buf, ms->buf + drop, (ms->n - drop) * sizeof *ms->buf);
            ms->n -= drop, ms->base += (int64_t)drop;
        }
        if (ms->cap - ms->n < READ_BLOCK) {
            size_t cap = ms->cap * 2;
            float *p = realloc(ms->buf, cap * sizeof *p);
            if (!p) return ls_fail(LS_ERR_OOM, "audio: out of memory");
            ms->buf = p, ms->cap = cap;
        }
        size_t got;
        LS_TRY(audio_reader_read(ms->r, ms->buf + ms->n, READ_BLOCK, &got));
        ms->n += got;
        if (got == 0) ms->eof = true, ms->total = ms->base + (int64_t)ms->n;
    }
    return LS_OK;
}

// log10 mel energies of the next frame; *done at the end (frames t < floor(total / 160)).
static ls_status stream_next(struct mel_stream *ms, const struct mel_plan *plan, float out[MEL_BANDS], bool *done) {
    int64_t t = ms->next_frame, start = t * MEL_HOP - MEL_N_FFT / 2;
    LS_TRY(stream_fill(ms, start + MEL_N_FFT, start > 0 ? start : 0));
    *done = ms->eof && t >= ms->total / MEL_HOP;
    if (*done) return LS_OK;
    int64_t n = ms->eof ? ms->total : INT64_MAX;
    float frame[MEL_N_FFT];
    for (int i = 0; i < MEL_N_FFT; i++) {
        int64_t idx = start + i;
        if (idx < 0) idx = -idx;                // reflection without repeating the edge sample
        if (idx >= n) idx = 2 * (n - 1) - idx;
        if (idx < ms->base || idx >= ms->base + (int64_t)ms->n)
            return ls_fail(LS_ERR_INPUT, "audio: %lld samples are too few for a 400-sample window", (long long)n);
        frame[i] = ms->buf[idx - ms->base];
    }
    mel_frame_energies(plan, frame, out);
    mel_log10(out, MEL_BANDS);
    ms->next_frame++;
    return LS_OK;
}

void audio_features_close(struct audio_features *af) {
    if (!af) return;
    stream_close(&af->ms);
    mel_plan_free(af->plan);
    arena_free(&af->act);
    free(af->rows_buf);
    free(af->window);
    free(af->features);
    free(af->path);
    free(af);
}

ls_status audio_features_open(struct audio_features **out, const char *path, const struct whisper *w,
                              struct backend *be) {
    *out = NULL;
    struct audio_features *af = calloc(1, sizeof *af);
    if (!af || !(af->path = strdup(path))) {
        free(af);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    af->whisper = w;
    const struct whisper_config *wc = &w->config;
    af->levels = wc->n_layer + 1, af->dim = wc->n_state;
    ls_status st = mel_plan_init(&af->plan);
    if (!st && (wc->n_mels != MEL_BANDS || 2 * wc->n_ctx != MEL_WINDOW_FRAMES))
        st = ls_fail(LS_ERR_INPUT, "whisper takes %d mels x %d frames, the audio path makes %d x %d", wc->n_mels,
                     2 * wc->n_ctx, MEL_BANDS, MEL_WINDOW_FRAMES);
    // pass 1: the global maximum of the log-mel spectrogram
    if (!st) st = stream_open(&af->ms, path);
    af->max_log = -INFINITY;
    float frame[MEL_BANDS];
    bool done = false;
    while (!st && !done) {
        st = stream_next(&af->ms, af->plan, frame, &done);
        for (int b = 0; !st && !done && b < MEL_BANDS; b++) af->max_log = frame[b] > af->max_log ? frame[b] : af->max_log;
    }
    if (!st) {
        af->n_samples = af->ms.total;
        af->mel_frames = af->ms.total / MEL_HOP;
        if (af->mel_frames < 2)
            st = ls_fail(LS_ERR_INPUT, "%s: %.3f s of audio: too short to lip-sync (at least 20 ms)", path,
                         (double)af->n_samples / AUDIO_RATE);
    }
    stream_close(&af->ms);
    if (!st) {
        af->rows = audio_feature_rows(af->mel_frames);
        af->chunks = audio_chunk_count(af->rows);
        af->rows_cap = 2 * (MEL_WINDOW_FRAMES / 2) + 16;
        af->rows_buf = malloc((size_t)af->rows_cap * af->levels * af->dim * sizeof(float));
        af->window = malloc((size_t)MEL_BANDS * MEL_WINDOW_FRAMES * sizeof(float));
        af->features = malloc((size_t)(MEL_WINDOW_FRAMES / 2) * af->levels * af->dim * sizeof(float));
        if (!af->rows_buf || !af->window || !af->features) st = ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    size_t peak = 0;
    if (!st) st = whisper_plan(w, 1, &peak);
    if (!st) st = arena_init(&af->act, be, peak + ((size_t)MEL_BANDS * MEL_WINDOW_FRAMES +
                                                   (size_t)wc->n_ctx * af->levels * af->dim) * 4 + 1024);
    if (!st) st = arena_tensor(&af->act, &af->mel_in, DTYPE_F32, 3, (int64_t[]){1, MEL_BANDS, MEL_WINDOW_FRAMES});
    if (!st) st = arena_tensor(&af->act, &af->feat_out, DTYPE_F32, 4, (int64_t[]){1, wc->n_ctx, af->levels, af->dim});
    if (!st) st = stream_open(&af->ms, path); // pass 2 reads the file again, window by window
    if (st) {
        audio_features_close(af);
        return st;
    }
    *out = af;
    return LS_OK;
}

int64_t audio_features_chunks(const struct audio_features *af) { return af->chunks; }
int64_t audio_features_samples(const struct audio_features *af) { return af->n_samples; }
int64_t audio_features_rows(const struct audio_features *af) { return af->rows; }
int64_t audio_features_mel_frames(const struct audio_features *af) { return af->mel_frames; }
float audio_features_max_log(const struct audio_features *af) { return af->max_log; }

// Runs Whisper on the next window and appends its kept rows, dropping rows before `keep_from`.
static ls_status next_window(struct audio_features *af, int64_t keep_from) {
    int64_t w = af->next_window, first = w * MEL_WINDOW_FRAMES;
    int64_t real = af->mel_frames - first < MEL_WINDOW_FRAMES ? af->mel_frames - first : MEL_WINDOW_FRAMES;
    // (80, 3000) window, zero-padded after the real frames (0 in the normalised domain, not silence)
    memset(af->window, 0, (size_t)MEL_BANDS * MEL_WINDOW_FRAMES * sizeof(float));
    float frame[MEL_BANDS];
    for (int64_t t = 0; t < real; t++) {
        bool done;
        LS_TRY(stream_next(&af->ms, af->plan, frame, &done));
        if (done) return ls_fail(LS_ERR_INPUT, "%s: the audio changed between the two passes", af->path);
        mel_normalise(frame, MEL_BANDS, af->max_log);
        for (int b = 0; b < MEL_BANDS; b++) af->window[(size_t)b * MEL_WINDOW_FRAMES + t] = frame[b];
    }
    LS_TRY(tensor_upload(&af->mel_in, af->window));
    LS_TRY(whisper_forward(af->whisper, &af->act, &af->mel_in, &af->feat_out));
    LS_TRY(tensor_download(&af->feat_out, af->features));
    int64_t kept = real / 2; // encoder row k covers mel frames 2k, 2k + 1
    size_t row_floats = (size_t)af->levels * af->dim;
    if (keep_from > af->rows_base) { // drop rows no later chunk reads
        int64_t drop = keep_from - af->rows_base < af->rows_have ? keep_from - af->rows_base : af->rows_have;
        memmove(af->rows_buf, af->rows_buf + (size_t)drop * row_floats, (size_t)(af->rows_have - drop) * row_floats * sizeof(float));
        af->rows_base += drop, af->rows_have -= drop;
    }
    if (af->rows_have + kept > af->rows_cap) return ls_fail(LS_ERR_INPUT, "audio: feature buffer overflow (internal)");
    memcpy(af->rows_buf + (size_t)af->rows_have * row_floats, af->features, (size_t)kept * row_floats * sizeof(float));
    af->rows_have += kept;
    af->next_window++;
    return LS_OK;
}

ls_status audio_features_chunk(struct audio_features *af, int64_t frame, float *chunk) {
    if (frame < 0 || frame >= af->chunks)
        return ls_fail(LS_ERR_INPUT, "audio: chunk %lld of %lld", (long long)frame, (long long)af->chunks);
    int64_t idx[10];
    audio_chunk_rows(frame, af->rows, idx);
    if (idx[0] < af->rows_base)
        return ls_fail(LS_ERR_INPUT, "audio: chunks must be requested in increasing frame order (internal)");
    while (af->rows_base + af->rows_have <= idx[9]) LS_TRY(next_window(af, idx[0]));
    size_t row_floats = (size_t)af->levels * af->dim;
    // token order: 5 levels of row idx[0], then of idx[1], ... (concatenate, reshape to (50, dim))
    for (int j = 0; j < 10; j++)
        memcpy(chunk + j * row_floats, af->rows_buf + (size_t)(idx[j] - af->rows_base) * row_floats, row_floats * sizeof(float));
    return LS_OK;
}
