// mel_windows.c — the 30 s windows LatentSync's Whisper sees (latentsync/whisper/whisper/transcribe.py, its
// replacement transcribe loop; spec/pipeline.md §1.3), streamed so that memory does not grow with the clip.
//
// The original computes the normalised log-mel of the whole clip, then takes windows seek = 0, 3000, ...
// of mel[:, seek:seek+3000], right-padded with 0.0 to 3000 columns (pad_or_trim). The dynamic-range floor
// is the maximum over the WHOLE clip, so a window cannot be finished before the clip has been read once.
// Here: pass 1 (mel_windows_init) decodes the whole source and computes every frame's mel energies only to
// find that maximum and the length; pass 2 (mel_windows_next) rewinds the source and recomputes the
// energies window by window. Both passes hold one window of samples (480,400 floats) and one of energies
// (3000 x 80): about 3 MB for any length. A clip of one window (<= 30 s, the common case) keeps pass 1's
// energies and never rewinds. The price for long clips is decoding and the STFT twice (both are small next
// to the Whisper encoder: see tests/test_mel.c's timing). A cache of the log-mel instead would cost
// 32 KB per second of audio (345 MB for 3 hours).
#include <stdlib.h>
#include <string.h>

#include "audio-impl.h"

#define READ_SAMPLES 16384

struct mel_windows {
    const struct mel_plan *plan;
    struct audio_source src;
    struct mel_info info;
    // resident samples [buf_first, buf_first + buf_len) of the current pass
    float *buf;
    int64_t buf_first, buf_len, buf_cap;
    int64_t n_read; // samples read in this pass
    bool eof;
    float *energies;          // (MEL_WINDOW_FRAMES, MEL_BANDS), frame-major
    bool first_window_cached; // pass 1 left window 0's energies in `energies`
    int64_t seek;             // pass 2: first frame of the next window
    int pass;
};

static ls_status memory_read(void *ctx, float *samples, size_t max, size_t *got) {
    struct audio_memory *m = ctx;
    size_t take = m->n_samples - m->at < max ? m->n_samples - m->at : max;
    memcpy(samples, m->samples + m->at, take * sizeof *samples);
    m->at += take;
    *got = take;
    return LS_OK;
}

static ls_status memory_rewind(void *ctx) {
    ((struct audio_memory *)ctx)->at = 0;
    return LS_OK;
}

struct audio_source audio_memory_source(struct audio_memory *m, const char *name) {
    m->at = 0;
    return (struct audio_source){memory_read, memory_rewind, m, name ? name : "audio"};
}

// Makes samples up to index `need_hi` resident (or all of them at the end of the stream), first dropping
// those before `keep_from`.
static ls_status fill(struct mel_windows *w, int64_t keep_from, int64_t need_hi) {
    if (keep_from > w->buf_first) {
        int64_t drop = keep_from - w->buf_first < w->buf_len ? keep_from - w->buf_first : w->buf_len;
        memmove(w->buf, w->buf + drop, (size_t)(w->buf_len - drop) * sizeof *w->buf);
        w->buf_first += drop, w->buf_len -= drop;
    }
    while (!w->eof && w->buf_first + w->buf_len <= need_hi) {
        size_t room = (size_t)(w->buf_cap - w->buf_len), got = 0;
        LS_ASSERT(room > 0); // buf_cap covers one block of frames plus a read
        LS_TRY(w->src.read(w->src.ctx, w->buf + w->buf_len, room < READ_SAMPLES ? room : READ_SAMPLES, &got));
        if (got == 0) w->eof = true;
        w->buf_len += (int64_t)got, w->n_read += (int64_t)got;
    }
    return LS_OK;
}

// Energies of up to MEL_WINDOW_FRAMES frames from `first` into w->energies; *count = 0 past the last
// frame. Before the end of the stream only frames whose samples are all read are computed (they need no
// reflection at the right end); at the end the length is known and the last frames are reflected.
static ls_status block(struct mel_windows *w, int64_t first, int64_t *count) {
    int64_t want = MEL_WINDOW_FRAMES;
    if (w->pass == 2) {
        int64_t left = w->info.n_frames - first;
        want = left < want ? left : want;
    }
    int64_t keep_from = first <= 1 ? 0 : first * MEL_HOP - MEL_N_FFT / 2;
    LS_TRY(fill(w, keep_from, (first + want - 1) * MEL_HOP + MEL_N_FFT / 2 - 1));
    int64_t n_samples = w->n_read, n_frames;
    if (w->eof) {
        if (w->pass == 2 && n_samples != w->info.n_samples)
            return ls_fail(LS_ERR_INPUT, "%s: changed between the two decoding passes (%lld, then %lld samples)",
                           w->src.name, (long long)w->info.n_samples, (long long)n_samples);
        if (n_samples == 0) return ls_fail(LS_ERR_INPUT, "%s: the audio stream is empty (0 samples)", w->src.name);
        if (n_samples < AUDIO_MIN_SAMPLES)
            return ls_fail(LS_ERR_INPUT,
                           "%s: %lld samples (%.1f ms) of audio is too short: at least %d (20 ms) are needed for one "
                           "Whisper feature row",
                           w->src.name, (long long)n_samples, 1000.0 * (double)n_samples / AUDIO_RATE,
                           AUDIO_MIN_SAMPLES);
        n_frames = mel_frames(n_samples);
    } else {
        n_frames = first + want;                   // every sample of these frames is read, and more follow
        n_samples = w->buf_first + w->buf_len + 1; // a lower bound on the length: reflection never needed
    }
    *count = n_frames - first < want ? n_frames - first : want;
    if (*count <= 0) return *count = 0, LS_OK;
    return mel_energies(w->plan, w->buf, w->buf_first, w->buf_len, n_samples, first, *count, w->energies);
}

static void restart(struct mel_windows *w) {
    w->buf_first = w->buf_len = w->n_read = 0;
    w->eof = false;
}

ls_status mel_windows_init(struct mel_windows **out, const struct mel_plan *p, struct audio_source src) {
    *out = NULL;
    struct mel_windows *w = calloc(1, sizeof *w);
    if (!w) return ls_fail(LS_ERR_OOM, "%s: out of memory", src.name);
    w->plan = p, w->src = src, w->pass = 1;
    w->buf_cap = (int64_t)(MEL_WINDOW_FRAMES - 1) * MEL_HOP + MEL_N_FFT + READ_SAMPLES;
    w->buf = malloc((size_t)w->buf_cap * sizeof *w->buf);
    w->energies = malloc((size_t)MEL_WINDOW_FRAMES * MEL_BANDS * sizeof *w->energies);
    if (!w->buf || !w->energies) {
        mel_windows_free(w);
        return ls_fail(LS_ERR_OOM, "%s: out of memory for the mel window buffers", src.name);
    }
    ls_status st = src.rewind(src.ctx);
    float e_max = 0.0f;
    for (int64_t first = 0; !st;) {
        int64_t count;
        st = block(w, first, &count);
        if (st || count == 0) break;
        for (int64_t i = 0; i < count * MEL_BANDS; i++)
            e_max = w->energies[i] > e_max ? w->energies[i] : e_max;
        first += count;
    }
    if (st) {
        mel_windows_free(w);
        return st;
    }
    struct mel_info *in = &w->info;
    in->n_samples = w->n_read;
    in->n_frames = mel_frames(in->n_samples);
    in->n_windows = (in->n_frames + MEL_WINDOW_FRAMES - 1) / MEL_WINDOW_FRAMES;
    in->feature_rows = audio_feature_rows(in->n_frames);
    in->video_frames = audio_chunk_count(in->feature_rows);
    in->log_max = mel_log(e_max); // log10 is monotonic: the max of the logs is the log of the max
    w->first_window_cached = in->n_frames <= MEL_WINDOW_FRAMES;
    w->pass = 2;
    *out = w;
    return LS_OK;
}

const struct mel_info *mel_windows_info(const struct mel_windows *w) { return &w->info; }

ls_status mel_windows_next(struct mel_windows *w, float *window, int64_t *n_real) {
    *n_real = 0;
    if (w->seek >= w->info.n_frames) return LS_OK;
    int64_t count;
    if (w->seek == 0 && w->first_window_cached) {
        count = w->info.n_frames;
    } else {
        if (w->seek == 0) {
            LS_TRY(w->src.rewind(w->src.ctx));
            restart(w);
        }
        LS_TRY(block(w, w->seek, &count));
        int64_t expect =
            w->info.n_frames - w->seek < MEL_WINDOW_FRAMES ? w->info.n_frames - w->seek : MEL_WINDOW_FRAMES;
        if (count != expect)
            return ls_fail(LS_ERR_INPUT,
                           "%s: changed between the two decoding passes (window at frame %lld: %lld "
                           "frames, expected %lld)",
                           w->src.name, (long long)w->seek, (long long)count, (long long)expect);
    }
    for (int b = 0; b < MEL_BANDS; b++) {
        float *row = window + (size_t)b * MEL_WINDOW_FRAMES;
        for (int64_t t = 0; t < count; t++)
            row[t] = mel_normalise(mel_log(w->energies[t * MEL_BANDS + b]), w->info.log_max);
        for (int64_t t = count; t < MEL_WINDOW_FRAMES; t++)
            row[t] = 0.0f; // pad_or_trim: 0.0 after normalising
    }
    w->seek += MEL_WINDOW_FRAMES;
    *n_real = count;
    return LS_OK;
}

size_t mel_windows_bytes(const struct mel_windows *w) {
    return sizeof *w + (size_t)w->buf_cap * sizeof *w->buf + (size_t)MEL_WINDOW_FRAMES * MEL_BANDS * sizeof(float);
}

void mel_windows_free(struct mel_windows *w) {
    if (!w) return;
    free(w->buf);
    free(w->energies);
    free(w);
}
