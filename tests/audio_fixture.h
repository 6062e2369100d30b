// audio_fixture.h — shared by the audio tests: opening the fixtures of tests/reference/make_audio_fixtures.py
// (with the stale-fixture check), reading their tensors, the integer test signal the script also makes, and a
// temporary WAV writer. Header-only, like harness.h.
#ifndef LS_TEST_AUDIO_FIXTURE_H
#define LS_TEST_AUDIO_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "loader.h"
#include "pipeline.h"

#define AUDIO_FIXTURE_VERSION "2"

// tests/data/audio/<name>, checked to come from the current generator; NULL (message printed) otherwise.
static inline st_file *fixture_open(const char *data_dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/audio/%s", data_dir, name);
    st_file *f;
    if (st_open(&f, path) != LS_OK) {
        fprintf(stderr, "FAIL: %s\n", ls_error());
        return NULL;
    }
    const char *v = st_metadata(f, "format_version");
    if (!v || strcmp(v, AUDIO_FIXTURE_VERSION) != 0) {
        fprintf(stderr,
                "FAIL: %s: fixture format_version %s, expected %s; hint: regenerate it with "
                "tests/reference/make_audio_fixtures.py\n",
                path, v ? v : "(none)", AUDIO_FIXTURE_VERSION);
        st_close(f);
        return NULL;
    }
    return f;
}

// A tensor the fixture must have (a missing one is a stale fixture: our bug, so assert).
static inline const void *fixture_data(const st_file *f, const char *name, dtype dt, int64_t *n_elems) {
    tensor t;
    ls_status s = st_tensor(f, name, &t);
    if (s != LS_OK || t.dtype != dt) {
        fprintf(stderr, "FAIL: %s (rerun tests/reference/make_audio_fixtures.py)\n", s ? ls_error() : "wrong dtype");
        LS_ASSERT(0);
    }
    if (n_elems) *n_elems = tensor_n_elems(&t);
    return t.data;
}

static inline long long fixture_meta_int(const st_file *f, const char *key) {
    const char *v = st_metadata(f, key);
    LS_ASSERT(v);
    return atoll(v);
}

// The script's synth_signal(): a triangle wave (period 40..89 samples, changing every second; amplitude
// stepping every 0.25 s) plus LCG noise, silent in [sil_from, sil_to). Same integers on both sides.
static inline void synth_signal(int16_t *out, int64_t n, uint32_t seed, int64_t sil_from, int64_t sil_to) {
    uint32_t state = seed;
    for (int64_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        int64_t noise = (int64_t)((state >> 16) & 0x7FF) - 1024;
        int64_t period = 40 + ((i / 16000) * 7) % 50, amp = 2000 * ((i / 4000) % 4 + 1);
        int64_t u = (4 * amp * (i % period)) / period;
        int64_t s = (u <= 2 * amp ? u - amp : 3 * amp - u) + noise;
        if (i >= sil_from && i < sil_to) s = 0;
        out[i] = (int16_t)(s < -32768 ? -32768 : s > 32767 ? 32767 : s);
    }
}

static inline float *s16_to_float(const int16_t *x, int64_t n) {
    float *y = malloc((size_t)n * sizeof *y);
    LS_ASSERT(y);
    for (int64_t i = 0; i < n; i++)
        y[i] = (float)x[i] / 32768.0f;
    return y;
}

// Writes a 16 kHz mono s16 WAV to a new temporary file; fills `path` (remove it afterwards).
static inline bool write_temp_wav(char path[64], const int16_t *x, int64_t n) {
    strcpy(path, "/tmp/ls_test_audio_XXXXXX.wav");
    int fd = mkstemps(path, 4);
    if (fd < 0) return false;
    FILE *f = fdopen(fd, "wb");
    if (!f) return close(fd), false;
    uint32_t data_bytes = (uint32_t)(n * 2), v32;
    uint16_t v16;
    fwrite("RIFF", 1, 4, f), v32 = 36 + data_bytes, fwrite(&v32, 4, 1, f), fwrite("WAVEfmt ", 1, 8, f);
    v32 = 16, fwrite(&v32, 4, 1, f), v16 = 1, fwrite(&v16, 2, 1, f), v16 = 1, fwrite(&v16, 2, 1, f);
    v32 = AUDIO_RATE, fwrite(&v32, 4, 1, f), v32 = AUDIO_RATE * 2, fwrite(&v32, 4, 1, f);
    v16 = 2, fwrite(&v16, 2, 1, f), v16 = 16, fwrite(&v16, 2, 1, f);
    fwrite("data", 1, 4, f), fwrite(&data_bytes, 4, 1, f);
    bool ok = fwrite(x, 2, (size_t)n, f) == (size_t)n; // little-endian host
    return fclose(f) == 0 && ok;
}

// max |got - ref| over max |ref|; the golden tolerance is 1e-4 of it.
static inline double rel_max_err(const float *got, const float *ref, int64_t n, double *max_ref_out) {
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        max_diff = d > max_diff || d != d ? d : max_diff;
        max_ref = fabs(ref[i]) > max_ref ? fabs(ref[i]) : max_ref;
    }
    if (max_ref_out) *max_ref_out = max_ref;
    return max_diff / max_ref;
}

#endif
