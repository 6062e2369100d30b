// test_whisper.c — golden test of the Whisper encoder against LatentSync's vendored openai-whisper
// (tests/reference/make_model_fixtures.py): 2 heads, 2 blocks, 50 positions, f16 weights in the
// openai-whisper checkpoint format; output = block input + every block's output per position.
// Tolerance (issue 4): max abs error <= 1e-4 x max |ref|.
#include "model_test.h"

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_whisper DATA_DIR WEIGHTS\n"), 2;
    struct backend *cpu;
    LS_ASSERT(backend_cpu_init(&cpu, 2) == LS_OK);
    struct model_file mf;
    st_file *io = open_fixture(argv[1], "models/whisper_io.safetensors");
    if (model_file_open(&mf, argv[2], (const char *[]){"model_state_dict.", "", NULL}) != LS_OK) return fprintf(stderr, "FAIL: %s\n", ls_error()), 1;
    if (!io) return 1;
    struct whisper w;
    CHECK_OK(whisper_load(&w, &mf.src, cpu));
    const struct whisper_config *c = &w.config;
    CHECK(c->n_mels == 80 && c->n_state == 128 && c->n_head == 2 && c->n_layer == 2 && c->n_ctx == 50,
          "dims from the weights: %d %d %d %d %d", c->n_mels, c->n_state, c->n_head, c->n_layer, c->n_ctx);
    tensor mel = fixture_tensor(io, "mel", cpu), ref = fixture_tensor(io, "features", cpu);
    size_t peak;
    CHECK_OK(whisper_plan(&w, 1, &peak));
    arena act;
    CHECK_OK(arena_init(&act, cpu, peak));
    tensor out = host_tensor(cpu, DTYPE_F32, 4, ref.shape);
    CHECK_OK(whisper_forward(&w, &act, &mel, &out));
    check_model_output("whisper features", out.data, &ref, 1e-4, 0);
    CHECK(guard_intact(&out), "output guard");
    tensor bad = host_tensor(cpu, DTYPE_F32, 3, (int64_t[]){1, 80, 99});
    CHECK_FAILS(whisper_forward(&w, &act, &bad, &out), LS_ERR_SHAPE, "expected (B, 80, 100)");
    host_free(&bad), host_free(&out);
    free(mel.data), free(ref.data);
    arena_free(&act);
    whisper_free(&w);
    model_file_close(&mf), st_close(io);
    backend_free(cpu);
    return harness_exit();
}
