// audio_chunks.c — the audio tokens of each video frame: Audio2Feature.feature2chunks and
// get_sliced_feature (latentsync/whisper/audio2feature.py; spec/pipeline.md §1.4), and the feature-row count
// of the transcribe loop (latentsync/whisper/audio2feature.py _audio2feat). Pure index arithmetic.
#include <string.h>

#include "pipeline.h"

int64_t audio_feature_rows(int64_t n_mel_frames) {
    // _audio2feat keeps int((end - start) / 2) encoder rows of each 30 s window (row k covers mel frames
    // 2k, 2k + 1); a full window gives 1500, the last one floor(real frames / 2) — an odd last frame is lost
    if (n_mel_frames <= 0) return 0;
    int64_t full = n_mel_frames / MEL_WINDOW_FRAMES, rest = n_mel_frames % MEL_WINDOW_FRAMES;
    return full * (MEL_WINDOW_FRAMES / 2) + rest / 2;
}

int64_t audio_chunk_count(int64_t rows) {
    // quirk (spec/pipeline.md §1.4): feature2chunks appends chunk i and only then tests
    // `int(i * 50 / 25) > len(features)`, so it stops after i = floor(rows / 2) + 1: floor(rows / 2) + 2
    // chunks, two more than the audio's length at 25 fps (the last ones are clamped copies of the tail).
    // This count is the number of output video frames.
    return rows > 0 ? rows / 2 + 2 : 0;
}

void audio_chunk_span(int64_t frame, int64_t rows, int64_t *first_row, int64_t *last_row) {
    int64_t lo = 2 * frame - 4, hi = 2 * frame + 5;
    *first_row = lo < 0 ? 0 : lo > rows - 1 ? rows - 1 : lo;
    *last_row = hi < 0 ? 0 : hi > rows - 1 ? rows - 1 : hi;
}

void audio_chunk_rows(int64_t frame, int64_t rows, int64_t idx[AUDIO_CHUNK_ROWS]) {
    // get_sliced_feature: centre = int(i * 50 / fps) = 2i at 25 fps (50 feature rows per second); rows
    // centre - 2*2 up to, not including, centre + (2+1)*2 — two video frames before and three after at two
    // rows each, so the window is not centred: rows 2i-4 ... 2i+5. Each row is clamped to [0, rows - 1]
    // (edge replication at both ends: frames 0 and 1 repeat row 0, the two extra frames repeat the last).
    for (int j = 0; j < AUDIO_CHUNK_ROWS; j++) {
        int64_t r = 2 * frame - 4 + j;
        idx[j] = r < 0 ? 0 : r > rows - 1 ? rows - 1 : r;
    }
}

ls_status audio_chunk_build(const float *features, int64_t first_row, int64_t n_rows, int64_t rows, int levels, int dim,
                            int64_t frame, float *out) {
    if (rows <= 0 || levels <= 0 || dim <= 0)
        return ls_fail(LS_ERR_SHAPE, "audio chunk: features (%lld, %d, %d) are empty", (long long)rows, levels, dim);
    if (frame < 0 || frame >= audio_chunk_count(rows))
        return ls_fail(LS_ERR_INPUT, "audio chunk: video frame %lld outside [0, %lld) for %lld feature rows",
                       (long long)frame, (long long)audio_chunk_count(rows), (long long)rows);
    int64_t lo, hi;
    audio_chunk_span(frame, rows, &lo, &hi);
    if (lo < first_row || hi >= first_row + n_rows)
        return ls_fail(LS_ERR_INPUT, "audio chunk: video frame %lld reads feature rows [%lld, %lld], %lld..%lld held",
                       (long long)frame, (long long)lo, (long long)hi, (long long)first_row,
                       (long long)(first_row + n_rows - 1));
    // torch.cat of the 10 rows (levels, dim) then reshape(-1, dim): token 5p + e = row p, level e (tiny)
    int64_t idx[AUDIO_CHUNK_ROWS];
    audio_chunk_rows(frame, rows, idx);
    size_t row_elems = (size_t)levels * (size_t)dim;
    for (int j = 0; j < AUDIO_CHUNK_ROWS; j++)
        memcpy(out + j * row_elems, features + (size_t)(idx[j] - first_row) * row_elems, row_elems * sizeof *out);
    return LS_OK;
}
