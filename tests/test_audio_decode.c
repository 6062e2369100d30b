// test_audio_decode.c — libav decoding to 16 kHz mono against the ffmpeg CLI command of LatentSync's load_audio
// (tests/reference/make_audio_fixtures.py -> tests/data/audio/decode.safetensors): demo1_audio.wav and the
// 44.1 kHz stereo AAC track of demo2_video.mp4, whole files, sample for sample (count and FNV-1a of the s16
// stream); an ADTS stream with noise over its middle (skipped frames must match the CLI's); streaming in
// odd-sized pieces and rewinding; the chunk counts of the demos through the whole audio path; and bad input:
// missing, empty (0 bytes), a directory, garbage, a video without audio, a truncated m4a, a 0-sample WAV,
// more than the whole-file cap. Exits 77 (after the checks that need no assets) when ../shared is absent.
// Usage: test_audio_decode DATA_DIR ASSETS_DIR
#include <sys/stat.h>

#include "audio_fixture.h"

static const char *data_dir, *assets;
static st_file *dec, *chunks;

static uint64_t fnv1a64_s16(const float *x, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        int v = (int)lrintf(x[i] * 32768.0f);
        uint16_t u = (uint16_t)(int16_t)v;
        h = (h ^ (u & 0xff)) * 0x100000001b3ull;
        h = (h ^ (u >> 8)) * 0x100000001b3ull;
    }
    return h;
}

// Decodes `path` whole and compares it with the CLI's output described by `key`_samples/_fnv1a64.
static void against_cli(const char *path, const char *label, const char *key, const char *head_name) {
    float *x;
    size_t n;
    ls_status s = audio_load(path, 600, &x, &n);
    CHECK_OK(s);
    if (s) return;
    char k[64];
    snprintf(k, sizeof k, "%s_samples", key);
    size_t expect = (size_t)fixture_meta_int(dec, k);
    snprintf(k, sizeof k, "%s_fnv1a64", key);
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a64_s16(x, n));
    bool same = n == expect && !strcmp(hash, st_metadata(dec, k));
    double max_diff = 0;
    if (head_name) {
        int64_t nh;
        const float *head = fixture_data(dec, head_name, DTYPE_F32, &nh);
        for (int64_t i = 0; i < nh && (size_t)i < n; i++)
            max_diff = fmax(max_diff, fabs(x[i] - head[i]));
    }
    CHECK(same, "%s: %zu samples (s16 FNV-1a %s), the ffmpeg CLI gives %zu (%s); first second max |diff| %g", label, n,
          hash, expect, st_metadata(dec, k), max_diff);
    if (same) printf("pass decode %-22s %zu samples, identical to the ffmpeg CLI's s16 output\n", label, n);
    free(x);
}

// The same file read in 997-sample pieces, rewound after a partial read, then read again: same samples.
static void streaming(const char *path, const char *label) {
    struct audio_reader *r;
    CHECK_OK(audio_reader_open(&r, path));
    if (!r) return;
    float buf[997];
    size_t got, total = 0;
    CHECK_OK(audio_reader_read(r, buf, 997, &got));
    CHECK_OK(audio_reader_rewind(r));
    uint64_t h = 0xcbf29ce484222325ull;
    for (;;) {
        ls_status s = audio_reader_read(r, buf, 997, &got);
        CHECK_OK(s);
        if (s || got == 0) break;
        for (size_t i = 0; i < got; i++) {
            uint16_t u = (uint16_t)(int16_t)lrintf(buf[i] * 32768.0f);
            h = (h ^ (u & 0xff)) * 0x100000001b3ull;
            h = (h ^ (u >> 8)) * 0x100000001b3ull;
        }
        total += got;
    }
    CHECK_OK(audio_reader_read(r, buf, 997, &got)); // reading past the end stays at the end
    CHECK(got == 0, "%s: %zu samples after the end", label, got);
    char hash[17], key[64];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)h);
    snprintf(key, sizeof key, "%s_fnv1a64", label);
    CHECK(!strcmp(hash, st_metadata(dec, key)), "%s: streamed samples differ (%zu, %s)", label, total, hash);
    printf("pass stream %-22s 997-sample reads after a rewind: the same %zu samples\n", label, total);
    audio_reader_close(r);
}

// demo_counts row: (samples, mel frames, La, chunks) from the original's _audio2feat + feature2chunks.
static void chunk_count(const char *path, const char *label, int row) {
    const int32_t *ref = fixture_data(chunks, "demo_counts", DTYPE_I32, NULL);
    struct audio_reader *r;
    struct mel_plan *p;
    struct mel_windows *w = NULL;
    CHECK_OK(audio_reader_open(&r, path));
    CHECK_OK(mel_plan_init(&p));
    if (r && p) CHECK_OK(mel_windows_init(&w, p, audio_reader_source(r)));
    if (w) {
        const struct mel_info *in = mel_windows_info(w);
        const int32_t *c = ref + 4 * row;
        CHECK(in->n_samples == c[0] && in->n_frames == c[1] && in->feature_rows == c[2] && in->video_frames == c[3],
              "%s: %lld samples, %lld frames, %lld rows, %lld video frames; original %d, %d, %d, %d", label,
              (long long)in->n_samples, (long long)in->n_frames, (long long)in->feature_rows,
              (long long)in->video_frames, c[0], c[1], c[2], c[3]);
        printf("pass path   %-22s %lld samples -> %lld mel frames -> %lld feature rows -> %lld video frames\n", label,
               (long long)in->n_samples, (long long)in->n_frames, (long long)in->feature_rows,
               (long long)in->video_frames);
    }
    mel_windows_free(w);
    mel_plan_free(p);
    audio_reader_close(r);
}

static void bad_inputs(void) {
    char path[1024];
    float *x;
    size_t n;
    struct audio_reader *r;
    CHECK_FAILS(audio_load("/nonexistent/a.wav", 60, &x, &n), LS_ERR_IO, "/nonexistent/a.wav: no such file");
    CHECK_FAILS(audio_load(data_dir, 60, &x, &n), LS_ERR_INPUT, "is a directory");
    char empty[] = "/tmp/ls_test_empty_XXXXXX.wav";
    int fd = mkstemps(empty, 4);
    CHECK(fd >= 0, "mkstemps");
    if (fd >= 0) {
        close(fd);
        CHECK_FAILS(audio_load(empty, 60, &x, &n), LS_ERR_INPUT, "empty file (0 bytes)");
        remove(empty);
    }
    snprintf(path, sizeof path, "%s/audio/garbage.mp3", data_dir);
    CHECK_FAILS(audio_load(path, 60, &x, &n), LS_ERR_INPUT, "garbage.mp3: ");
    printf("note: garbage.mp3 -> %s\n", ls_error());
    snprintf(path, sizeof path, "%s/audio/video_only.mp4", data_dir);
    CHECK_FAILS(audio_load(path, 60, &x, &n), LS_ERR_INPUT, "video_only.mp4: no audio stream");
    snprintf(path, sizeof path, "%s/audio/truncated.m4a", data_dir);
    CHECK_FAILS(audio_load(path, 60, &x, &n), LS_ERR_INPUT, "truncated.m4a: not a media file");
    printf("note: truncated.m4a -> %s\n", ls_error());
    // a valid WAV holding 0 samples: the reader ends at once; loading it or making windows of it fails
    snprintf(path, sizeof path, "%s/audio/empty.wav", data_dir);
    CHECK_FAILS(audio_load(path, 60, &x, &n), LS_ERR_INPUT, "empty.wav: the audio stream is empty (0 samples)");
    CHECK_OK(audio_reader_open(&r, path));
    if (r) {
        float buf[16];
        size_t got = 1;
        CHECK_OK(audio_reader_read(r, buf, 16, &got));
        CHECK(got == 0, "empty.wav: %zu samples", got);
        struct mel_plan *p;
        struct mel_windows *w;
        CHECK_OK(mel_plan_init(&p));
        CHECK_FAILS(mel_windows_init(&w, p, audio_reader_source(r)), LS_ERR_INPUT,
                    "empty.wav: the audio stream is empty");
        mel_plan_free(p);
        audio_reader_close(r);
    }
    // noise over the middle of an ADTS stream: the damaged frames are skipped as the CLI skips them
    snprintf(path, sizeof path, "%s/audio/corrupt_mid.aac", data_dir);
    against_cli(path, "corrupt_mid.aac", "corrupt_mid", NULL);
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_audio_decode DATA_DIR ASSETS_DIR\n"), 2;
    data_dir = argv[1], assets = argv[2];
    if (!(dec = fixture_open(data_dir, "decode.safetensors")) ||
        !(chunks = fixture_open(data_dir, "chunks.safetensors")))
        return 1;
    struct audio_reader *probe;
    if (audio_reader_open(&probe, "/nonexistent.wav") == LS_ERR_UNSUPPORTED) {
        printf("skip: built without media (libav)\n");
        return 77;
    }
    bad_inputs();
    char demo1[1024], demo2[1024];
    snprintf(demo1, sizeof demo1, "%s/demo1_audio.wav", assets);
    snprintf(demo2, sizeof demo2, "%s/demo2_video.mp4", assets);
    struct stat sb;
    bool have_assets = stat(demo1, &sb) == 0 && stat(demo2, &sb) == 0;
    if (have_assets) {
        against_cli(demo1, "demo1_audio.wav", "demo1", "demo1_head");
        against_cli(demo2, "demo2_video.mp4", "demo2", "demo2_head");
        streaming(demo2, "demo2");
        chunk_count(demo1, "demo1_audio.wav", 0);
        chunk_count(demo2, "demo2_video.mp4", 1);
        float *x;
        size_t n;
        CHECK_FAILS(audio_load(demo1, 1.0, &x, &n), LS_ERR_INPUT, "demo1_audio.wav: longer than 1 s");
    }
    st_close(dec);
    st_close(chunks);
    int rc = harness_exit();
    if (rc == 0 && !have_assets) {
        printf("skip: %s absent: the demo files were not decoded\n", assets);
        return 77;
    }
    return rc;
}
