// test_audio_chunks.c — the per-video-frame audio tokens against LatentSync's Audio2Feature
// (tests/reference/make_audio_fixtures.py -> tests/data/audio/chunks.safetensors): get_sliced_feature's row
// indices and feature2chunks' chunk count (the floor(La/2) + 2 quirk) for La from 1 to 3001; whole chunks
// built from random features (La 7 and 31, 5 levels of width 4) equal to the original's, value for value;
// feature rows and chunk counts of demo1, demo2 and a 65 s signal as the original's _audio2feat made them;
// building from a sliding buffer of rows, and the errors.
// Usage: test_audio_chunks DATA_DIR
#include "audio_fixture.h"

static st_file *fx;

static void indices(void) {
    int64_t n_cases, n_counts;
    const int32_t *cases = fixture_data(fx, "chunk_cases", DTYPE_I32, &n_cases);
    const int32_t *rows = fixture_data(fx, "chunk_rows", DTYPE_I32, NULL);
    const int32_t *counts = fixture_data(fx, "chunk_counts", DTYPE_I32, &n_counts);
    int bad = 0;
    for (int64_t i = 0; i < n_cases / 2; i++) {
        int64_t idx[AUDIO_CHUNK_ROWS], lo, hi;
        audio_chunk_rows(cases[2 * i + 1], cases[2 * i], idx);
        audio_chunk_span(cases[2 * i + 1], cases[2 * i], &lo, &hi);
        for (int j = 0; j < AUDIO_CHUNK_ROWS; j++) {
            if (idx[j] != rows[i * AUDIO_CHUNK_ROWS + j] && bad++ < 5)
                fprintf(stderr, "  La %d frame %d: row %d is %lld, original %d\n", cases[2 * i], cases[2 * i + 1], j,
                        (long long)idx[j], rows[i * AUDIO_CHUNK_ROWS + j]);
            bad += idx[j] < lo || idx[j] > hi;
        }
    }
    CHECK(bad == 0, "%d chunk row indices differ from get_sliced_feature's", bad);
    for (int64_t i = 0; i < n_counts / 2; i++)
        CHECK(audio_chunk_count(counts[2 * i]) == counts[2 * i + 1], "La %d: %lld chunks, feature2chunks makes %d",
              counts[2 * i], (long long)audio_chunk_count(counts[2 * i]), counts[2 * i + 1]);
    printf("pass indices of %lld (La, frame) cases and chunk counts for %lld La values\n", (long long)(n_cases / 2),
           (long long)(n_counts / 2));
}

static void whole_chunks(const char *feat_name, const char *chunks_name) {
    int64_t n_feat, n_ref;
    const float *feat = fixture_data(fx, feat_name, DTYPE_F32, &n_feat);
    const float *ref = fixture_data(fx, chunks_name, DTYPE_F32, &n_ref);
    const int levels = 5, dim = 4, chunk_elems = AUDIO_CHUNK_ROWS * levels * dim;
    int64_t rows = n_feat / (levels * dim), n_chunks = audio_chunk_count(rows);
    CHECK(n_chunks * chunk_elems == n_ref, "%s: %lld chunks, the original made %lld", feat_name, (long long)n_chunks,
          (long long)(n_ref / chunk_elems));
    if (n_chunks * chunk_elems != n_ref) return;
    float out[AUDIO_CHUNK_ROWS * 5 * 4];
    int bad = 0;
    for (int64_t i = 0; i < n_chunks; i++) {
        CHECK_OK(audio_chunk_build(feat, 0, rows, rows, levels, dim, i, out));
        bad += memcmp(out, ref + i * chunk_elems, sizeof out) != 0;
    }
    CHECK(bad == 0, "%s: %d of %lld chunks differ from feature2chunks'", feat_name, bad, (long long)n_chunks);
    printf("pass chunks of %-7s %lld rows -> %lld chunks (50 x 4), equal to feature2chunks'\n", feat_name,
           (long long)rows, (long long)n_chunks);
}

static void demo_counts(void) {
    const int32_t *c = fixture_data(fx, "demo_counts", DTYPE_I32, NULL);
    const char *names[] = {"demo1_audio.wav", "demo2_video.mp4", "65 s signal"};
    for (int i = 0; i < 3; i++, c += 4) {
        int64_t T = mel_frames(c[0]), rows = audio_feature_rows(T), n = audio_chunk_count(rows);
        CHECK(T == c[1] && rows == c[2] && n == c[3], "%s: %lld frames, %lld rows, %lld chunks; original %d, %d, %d",
              names[i], (long long)T, (long long)rows, (long long)n, c[1], c[2], c[3]);
        printf("pass counts %-16s %d samples -> %lld frames -> %lld rows -> %lld video frames\n", names[i], c[0],
               (long long)T, (long long)rows, (long long)n);
    }
    CHECK(audio_chunk_count(480) == 242, "demo1 (spec/pipeline.md §11): 242 video frames");
    CHECK(audio_feature_rows(3000) == 1500 && audio_feature_rows(3001) == 1500 && audio_feature_rows(3002) == 1501 &&
              audio_feature_rows(0) == 0 && audio_chunk_count(0) == 0,
          "rows across window edges");
}

// A consumer holding rows [first, first + held) of a long clip, as the streaming pipeline will.
static void sliding(void) {
    const int levels = 2, dim = 3, rows = 100;
    float feat[100 * 2 * 3], out[AUDIO_CHUNK_ROWS * 2 * 3], ref[AUDIO_CHUNK_ROWS * 2 * 3];
    for (int i = 0; i < rows * levels * dim; i++)
        feat[i] = (float)i;
    int bad = 0;
    for (int64_t frame = 0; frame < audio_chunk_count(rows); frame++) {
        int64_t lo, hi;
        audio_chunk_span(frame, rows, &lo, &hi);
        CHECK_OK(audio_chunk_build(feat, 0, rows, rows, levels, dim, frame, ref));
        CHECK_OK(audio_chunk_build(feat + lo * levels * dim, lo, hi - lo + 1, rows, levels, dim, frame, out));
        bad += memcmp(out, ref, sizeof out) != 0;
    }
    CHECK(bad == 0, "%d chunks differ when built from just the rows they read", bad);
    CHECK_FAILS(audio_chunk_build(feat + 20 * 6, 20, 10, rows, levels, dim, 14, out), LS_ERR_INPUT,
                "video frame 14 reads feature rows [24, 33], 20..29 held");
    CHECK_FAILS(audio_chunk_build(feat, 0, rows, rows, levels, dim, 52, out), LS_ERR_INPUT,
                "video frame 52 outside [0, 52) for 100 feature rows");
    CHECK_FAILS(audio_chunk_build(feat, 0, rows, rows, levels, dim, -1, out), LS_ERR_INPUT, "video frame -1 outside");
    CHECK_FAILS(audio_chunk_build(feat, 0, 0, 0, levels, dim, 0, out), LS_ERR_SHAPE, "features (0, 2, 3) are empty");
    // the last two frames read only clamped copies of the last row (and row 98 for the first of them)
    int64_t idx[AUDIO_CHUNK_ROWS];
    audio_chunk_rows(51, rows, idx);
    CHECK(idx[0] == 98 && idx[1] == 99 && idx[9] == 99, "frame 51 reads rows %lld, %lld ... %lld", (long long)idx[0],
          (long long)idx[1], (long long)idx[9]);
    printf("pass sliding row buffer and errors\n");
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_audio_chunks DATA_DIR\n"), 2;
    if (!(fx = fixture_open(argv[1], "chunks.safetensors"))) return 1;
    indices();
    whole_chunks("feat7", "chunks7");
    whole_chunks("feat31", "chunks31");
    demo_counts();
    sliding();
    st_close(fx);
    return harness_exit();
}
