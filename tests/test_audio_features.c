// test_audio_features.c — the whole audio path on the real demo audio against the original's
// Audio2Feature (tests/reference/make_audio_features_fixture.py: a Whisper with the real 1500-position
// context, narrow random weights): chunk counts (242 for demo1, 502 for demo2's AAC track), and chunks at
// the start, middle and end (edge clamping included) within 1e-4 x max |ref|. Skipped without ../shared.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_features.h"
#include "backends.h"
#include "harness.h"
#include "model_files.h"

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_audio_features DATA_DIR ASSETS_DIR\n"), 2;
    char path[1024];
    snprintf(path, sizeof path, "%s/demo1_audio.wav", argv[2]);
    FILE *probe = fopen(path, "rb");
    if (!probe) return printf("skip: %s absent\n", path), 77;
    fclose(probe);
    struct audio_reader *reader;
    if (audio_reader_open(&reader, path) == LS_ERR_UNSUPPORTED) return printf("skip: built without media (libav)\n"), 77;
    audio_reader_close(reader);
    struct backend *cpu;
    LS_ASSERT(backend_cpu_init(&cpu, 2) == LS_OK);
    struct model_file mf;
    snprintf(path, sizeof path, "%s/audio/whisper_ctx1500.pt", argv[1]);
    CHECK_OK(model_file_open(&mf, path, (const char *[]){"model_state_dict.", NULL}));
    struct whisper w;
    CHECK_OK(whisper_load(&w, &mf.src, cpu));
    st_file *io;
    snprintf(path, sizeof path, "%s/audio/features_io.safetensors", argv[1]);
    CHECK_OK(st_open(&io, path));
    const char *keys[2] = {"demo1", "demo2"}, *files[2] = {"demo1_audio.wav", "demo2_video.mp4"};
    for (int k = 0; k < 2; k++) {
        struct audio_features *af;
        snprintf(path, sizeof path, "%s/%s", argv[2], files[k]);
        double t0 = time_now_s();
        CHECK_OK(audio_features_open(&af, path, &w, cpu));
        char mk[64];
        snprintf(mk, sizeof mk, "%s_chunks", keys[k]);
        int64_t n = audio_features_chunks(af), expect = atoll(st_metadata(io, mk));
        snprintf(mk, sizeof mk, "%s_rows", keys[k]);
        CHECK(n == expect && audio_features_rows(af) == atoll(st_metadata(io, mk)), "%s: %lld chunks, original %lld",
              files[k], (long long)n, (long long)expect);
        int64_t tokens = 10 * (w.config.n_layer + 1), per = tokens * w.config.n_state;
        float *chunk = malloc((size_t)per * sizeof *chunk);
        double worst = 0;
        for (int64_t i = 0; i < n; i++) {
            CHECK_OK(audio_features_chunk(af, i, chunk));
            char name[64];
            snprintf(name, sizeof name, "%s.chunk%lld", keys[k], (long long)i);
            if (!st_find(io, name)) continue;
            tensor ref;
            CHECK_OK(st_tensor(io, name, &ref));
            double max_ref = 0, max_diff = 0;
            CHECK(tensor_n_elems(&ref) == per, "chunk size");
            for (int64_t j = 0; j < per && j < tensor_n_elems(&ref); j++) {
                double r = ((float *)ref.data)[j];
                max_ref = fabs(r) > max_ref ? fabs(r) : max_ref;
                max_diff = fabs(chunk[j] - r) > max_diff ? fabs(chunk[j] - r) : max_diff;
            }
            CHECK(max_diff <= 1e-4 * max_ref, "%s chunk %lld: %g > 1e-4 x %g", files[k], (long long)i, max_diff, max_ref);
            worst = max_diff / max_ref > worst ? max_diff / max_ref : worst;
        }
        printf("pass audio features %-16s %lld chunks, worst chunk %.2e x max |ref|, %.2f s\n", files[k], (long long)n,
               worst, time_now_s() - t0);
        CHECK_FAILS(audio_features_chunk(af, n, chunk), LS_ERR_INPUT, "chunk");
        free(chunk);
        audio_features_close(af);
    }
    struct audio_features *af;
    snprintf(path, sizeof path, "%s/audio/video_only.mp4", argv[1]);
    CHECK_FAILS(audio_features_open(&af, path, &w, cpu), LS_ERR_INPUT, "no audio stream");
    snprintf(path, sizeof path, "%s/audio/empty.wav", argv[1]);
    CHECK_FAILS(audio_features_open(&af, path, &w, cpu), LS_ERR_INPUT, "empty (0 samples)");
    st_close(io);
    whisper_free(&w);
    model_file_close(&mf);
    backend_free(cpu);
    return harness_exit();
}
