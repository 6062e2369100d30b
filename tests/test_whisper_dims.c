// test_whisper_dims.c — Whisper dims from checkpoints (weights-convert/whisper_dims.c): read from "dims",
// derived from tensor shapes, and checked tensor by tensor; files that are no Whisper model, or whose dims
// disagree with their tensors, are refused with the first mismatching tensor named. Fixtures from
// tests/reference/make_torch_checkpoints.py (and the model fixture of make_model_fixtures.py when present).
// Usage: test_whisper_dims DATA_DIR (tests/data).
#include "harness.h"
#include "weights_convert.h"

static const char *data_dir;

static pt_file *open_file(const char *sub) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, sub);
    pt_file *f = NULL;
    CHECK_OK(pt_open(&f, path, NULL));
    return f;
}

static bool same_dims(const struct whisper_dims *a, const struct whisper_dims *b) { return !memcmp(a, b, sizeof *a); }

static void print_dims(const char *what, const struct whisper_dims *d) {
    printf("%-34s mels %lld, audio ctx %lld state %lld heads %lld layers %lld; vocab %lld, text ctx %lld state %lld "
           "heads %lld layers %lld\n",
           what, (long long)d->n_mels, (long long)d->n_audio_ctx, (long long)d->n_audio_state,
           (long long)d->n_audio_head, (long long)d->n_audio_layer, (long long)d->n_vocab, (long long)d->n_text_ctx,
           (long long)d->n_text_state, (long long)d->n_text_head, (long long)d->n_text_layer);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_whisper_dims DATA_DIR\n"), 2;
    data_dir = argv[1];
    struct shape_source src;
    struct whisper_dims read = {0}, derived = {0}, loaded = {0};
    const struct whisper_dims tiny = {8, 6, 16, 2, 2, 11, 4, 16, 2, 1}; // make_torch_checkpoints.py WHISPER_DIMS

    pt_file *f = open_file("torch/good/whisper_tiny.pt");
    if (f) {
        shape_source_pt(&src, f);
        CHECK_OK(whisper_dims_read(f, &read));
        CHECK(same_dims(&read, &tiny), "whisper_tiny.pt dims as written");
        CHECK_OK(whisper_dims_check(&src, &read));
        CHECK_OK(whisper_dims_derive(&src, &derived));
        struct whisper_dims want = tiny;
        want.n_audio_head = want.n_text_head = 1; // state 16 is below one 64-wide head
        CHECK(same_dims(&derived, &want), "whisper_tiny.pt derived dims");
        CHECK_OK(whisper_dims_load(f, &loaded));
        CHECK(same_dims(&loaded, &tiny), "whisper_dims_load prefers dims");
        print_dims("whisper_tiny.pt dims:", &read);
        pt_close(f);
    }
    f = open_file("torch/config/whisper_no_dims.pt");
    if (f) {
        CHECK_FAILS(whisper_dims_read(f, &read), LS_ERR_INPUT, "no 'dims.n_mels' in the checkpoint");
        CHECK_OK(whisper_dims_load(f, &loaded));
        CHECK(loaded.n_audio_state == 16 && loaded.n_audio_layer == 2 && loaded.n_text_layer == 1 &&
                  loaded.n_vocab == 11,
              "derived when dims are absent");
        pt_close(f);
    }
    f = open_file("torch/config/whisper_wrong_dims.pt");
    if (f) {
        CHECK_FAILS(whisper_dims_load(f, &loaded), LS_ERR_SHAPE,
                    "whisper_wrong_dims.pt: tensor 'encoder.conv1.weight': shape (16, 8, 3), expected (32, 8, 3)");
        pt_close(f);
    }
    f = open_file("torch/config/whisper_extra_layer.pt");
    if (f) {
        CHECK_FAILS(whisper_dims_load(f, &loaded), LS_ERR_SHAPE,
                    "tensor 'encoder.blocks.1.attn.query.weight' is one block more than n_audio_layer 1");
        pt_close(f);
    }
    f = open_file("torch/good/latentsync.pt");
    if (f) {
        CHECK_FAILS(whisper_dims_load(f, &loaded), LS_ERR_INPUT,
                    "latentsync.pt: tensor 'encoder.conv1.weight' is missing: not a Whisper model");
        pt_close(f);
    }
    f = open_file("torch/good/whisper_tiny.pt");
    if (f) {
        shape_source_pt(&src, f);
        struct whisper_dims bad = tiny;
        bad.n_audio_head = 3;
        CHECK_FAILS(whisper_dims_check(&src, &bad), LS_ERR_INPUT, "state 16 / 3 heads");
        bad = tiny, bad.n_text_layer = 2;
        CHECK_FAILS(whisper_dims_check(&src, &bad), LS_ERR_INPUT,
                    "tensor 'decoder.blocks.1.attn.query.weight' is missing");
        bad = tiny, bad.n_mels = -1;
        CHECK_FAILS(whisper_dims_check(&src, &bad), LS_ERR_INPUT, "whisper dims n_mels = -1 is out of range");
        pt_close(f);
    }
    // the model fixture written by the original openai-whisper code, when present: dims read == derived
    char path[1024];
    snprintf(path, sizeof path, "%s/models/whisper/tiny_random.pt", data_dir);
    if (pt_open(&f, path, NULL) == LS_OK) {
        shape_source_pt(&src, f);
        CHECK_OK(whisper_dims_read(f, &read));
        CHECK_OK(whisper_dims_derive(&src, &derived));
        CHECK_OK(whisper_dims_check(&src, &read));
        CHECK(same_dims(&read, &derived), "tiny_random.pt: derived dims equal the stored dims");
        print_dims("tiny_random.pt dims:", &read);
        pt_close(f);
    }
    return harness_exit();
}
