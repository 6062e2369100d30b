// audio_features.c — per-video-frame audio tokens from an audio file with bounded memory, as LatentSync's
// Audio2Feature does it (audio2feature.py: audio2feat -> transcribe's 30 s windows -> feature2chunks):
// mel_windows (pass 1 over the file: the clip's log-mel maximum and the counts; pass 2: the normalised,
// zero-padded 3000-frame windows), Whisper per window on demand, and only the feature rows the next chunks
// read kept (audio_chunk_build). A three-hour file costs two decodes and about two windows of memory.
#include <stdlib.h>
#include <string.h>

#include "audio_features.h"

struct audio_features {
    char *path;
    const struct whisper *whisper;
    arena act; // Whisper's activations for one window
    tensor mel_in, feat_out;
    struct mel_plan *plan;
    struct audio_reader *reader;
    struct mel_windows *windows;
    const struct mel_info *info;
    int levels, dim;         // Whisper: layers + 1, width
    float *rows_buf;         // feature rows [rows_base, rows_base + rows_have), each levels * dim floats
    int64_t rows_base, rows_have, rows_cap;
    float *window, *features; // one mel window (80, 3000) and one Whisper output (1500, levels, dim)
};

void audio_features_close(struct audio_features *af) {
    if (!af) return;
    mel_windows_free(af->windows);
    audio_reader_close(af->reader);
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
    ls_status st = LS_OK;
    if (wc->n_mels != MEL_BANDS || 2 * wc->n_ctx != MEL_WINDOW_FRAMES)
        st = ls_fail(LS_ERR_INPUT, "whisper takes %d mels x %d frames, the audio path makes %d x %d", wc->n_mels,
                     2 * wc->n_ctx, MEL_BANDS, MEL_WINDOW_FRAMES);
    if (!st) st = mel_plan_init(&af->plan);
    if (!st) st = audio_reader_open(&af->reader, path);
    if (!st) st = mel_windows_init(&af->windows, af->plan, audio_reader_source(af->reader)); // pass 1
    if (!st) {
        af->info = mel_windows_info(af->windows);
        af->rows_cap = 2 * (MEL_WINDOW_FRAMES / 2) + 2 * AUDIO_CHUNK_ROWS;
        af->rows_buf = malloc((size_t)af->rows_cap * af->levels * af->dim * sizeof(float));
        af->window = malloc((size_t)MEL_BANDS * MEL_WINDOW_FRAMES * sizeof(float));
        af->features = malloc((size_t)(MEL_WINDOW_FRAMES / 2) * af->levels * af->dim * sizeof(float));
        if (!af->rows_buf || !af->window || !af->features) st = ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    size_t peak = 0;
    if (!st) st = whisper_plan(w, 1, &peak);
    if (!st)
        st = arena_init(&af->act, be,
                        peak + ((size_t)MEL_BANDS * MEL_WINDOW_FRAMES + (size_t)wc->n_ctx * af->levels * af->dim) * 4 +
                            1024);
    if (!st) st = arena_tensor(&af->act, &af->mel_in, DTYPE_F32, 3, (int64_t[]){1, MEL_BANDS, MEL_WINDOW_FRAMES});
    if (!st) st = arena_tensor(&af->act, &af->feat_out, DTYPE_F32, 4, (int64_t[]){1, wc->n_ctx, af->levels, af->dim});
    if (st) {
        audio_features_close(af);
        return st;
    }
    *out = af;
    return LS_OK;
}

int64_t audio_features_chunks(const struct audio_features *af) { return af->info->video_frames; }
int64_t audio_features_samples(const struct audio_features *af) { return af->info->n_samples; }
int64_t audio_features_rows(const struct audio_features *af) { return af->info->feature_rows; }
int64_t audio_features_mel_frames(const struct audio_features *af) { return af->info->n_frames; }
float audio_features_max_log(const struct audio_features *af) { return af->info->log_max; }

// Runs Whisper on the next window and appends its kept rows, dropping rows before `keep_from`.
static ls_status next_window(struct audio_features *af, int64_t keep_from) {
    int64_t n_real;
    LS_TRY(mel_windows_next(af->windows, af->window, &n_real));
    if (n_real == 0) return ls_fail(LS_ERR_INPUT, "%s: no window left for feature row %lld", af->path,
                                    (long long)(af->rows_base + af->rows_have));
    LS_TRY(tensor_upload(&af->mel_in, af->window));
    LS_TRY(whisper_forward(af->whisper, &af->act, &af->mel_in, &af->feat_out));
    LS_TRY(tensor_download(&af->feat_out, af->features));
    int64_t kept = n_real / 2; // encoder row k covers mel frames 2k, 2k + 1
    size_t row_floats = (size_t)af->levels * af->dim;
    if (keep_from > af->rows_base) { // drop rows no later chunk reads
        int64_t drop = keep_from - af->rows_base < af->rows_have ? keep_from - af->rows_base : af->rows_have;
        memmove(af->rows_buf, af->rows_buf + (size_t)drop * row_floats,
                (size_t)(af->rows_have - drop) * row_floats * sizeof(float));
        af->rows_base += drop, af->rows_have -= drop;
    }
    LS_ASSERT(af->rows_have + kept <= af->rows_cap); // a chunk spans 10 rows, a window adds at most 1500
    memcpy(af->rows_buf + (size_t)af->rows_have * row_floats, af->features, (size_t)kept * row_floats * sizeof(float));
    af->rows_have += kept;
    return LS_OK;
}

ls_status audio_features_chunk(struct audio_features *af, int64_t frame, float *chunk) {
    int64_t rows = af->info->feature_rows, lo, hi;
    if (frame < 0 || frame >= af->info->video_frames)
        return ls_fail(LS_ERR_INPUT, "%s: audio chunk %lld of %lld", af->path, (long long)frame,
                       (long long)af->info->video_frames);
    audio_chunk_span(frame, rows, &lo, &hi);
    if (lo < af->rows_base)
        return ls_fail(LS_ERR_INPUT, "%s: audio chunk %lld asked after a later one (chunks stream in frame order)",
                       af->path, (long long)frame);
    while (af->rows_base + af->rows_have <= hi) LS_TRY(next_window(af, lo));
    return audio_chunk_build(af->rows_buf, af->rows_base, af->rows_have, rows, af->levels, af->dim, frame, chunk);
}
