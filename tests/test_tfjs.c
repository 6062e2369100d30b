// test_tfjs.c — the TensorFlow.js weights reader on manifests written here: float32, int32, uint8/uint16
// quantization (tfjs arithmetic: q*scale+min in double, one float rounding; int32 rounds halves up),
// float16, a weight split across two shards, a graph model.json, a scalar; the layout helpers; and the
// refusals (missing shard, wrong shard size, unknown dtype/quantization, duplicate name, path escaping the
// folder, bad JSON, rank 6). With LS_FACE_MODELS set (scripts/fetch-face-models), the three face-api
// manifests are read too (else from scripts/fetch-face-models' default folder, when present).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tfjs.h"

static char dir[64];

static void write_file(const char *name, const void *data, size_t n) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    LS_ASSERT(f);
    LS_ASSERT(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static void write_text(const char *name, const char *text) { write_file(name, text, strlen(text)); }

static ls_status read_manifest(const char *name, struct tfjs_weights *w) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tfjs_read(w, path);
}

static void put_f32(uint8_t *p, float v) { memcpy(p, &v, 4); } // the test machines are little-endian

static void good_manifests(void) {
    // shard a: f32 (2, 3), then 3 bytes of uint8 quantized (3), then the first 2 bytes of an int32 (2)
    // shard b: the rest of the int32, uint16 (2), float16 (2), int32 quantized uint8 (4), scalar f32
    uint8_t a[24 + 3 + 2], b[6 + 4 + 4 + 4 + 4];
    for (int i = 0; i < 6; i++)
        put_f32(a + 4 * i, (float)i * 0.5f - 1.0f);
    a[24] = 0, a[25] = 7, a[26] = 255;
    int32_t ints[2] = {-5, 70000};
    uint8_t int_bytes[8];
    memcpy(int_bytes, ints, 8);
    memcpy(a + 27, int_bytes, 2);
    memcpy(b, int_bytes + 2, 6);
    uint16_t u16[2] = {0, 65535}, f16[2] = {0x3c00, 0xc000}; // 1.0, -2.0
    memcpy(b + 6, u16, 4);
    memcpy(b + 10, f16, 4);
    b[14] = 0, b[15] = 1, b[16] = 2, b[17] = 3;
    put_f32(b + 18, 42.0f);
    write_file("w-shard1of2.bin", a, sizeof a);
    write_file("w-shard2of2.bin", b, sizeof b);
    write_text("w-weights_manifest.json",
               "[{\"paths\": [\"w-shard1of2.bin\", \"w-shard2of2.bin\"], \"weights\": ["
               "{\"name\": \"conv/w\", \"shape\": [2, 3], \"dtype\": \"float32\"},"
               "{\"name\": \"q8\", \"shape\": [3], \"dtype\": \"float32\", "
               "\"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.1, \"min\": -0.35}},"
               "{\"name\": \"ints\", \"shape\": [2], \"dtype\": \"int32\"},"
               "{\"name\": \"q16\", \"shape\": [2], \"dtype\": \"float32\", "
               "\"quantization\": {\"dtype\": \"uint16\", \"scale\": 0.001, \"min\": 2}},"
               "{\"name\": \"h\", \"shape\": [2], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}},"
               "{\"name\": \"qi\", \"shape\": [2, 2], \"dtype\": \"int32\", "
               "\"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5, \"min\": -0.5}},"
               "{\"name\": \"s\", \"shape\": [], \"dtype\": \"float32\"}]}]");
    struct tfjs_weights w;
    CHECK_OK(read_manifest("w-weights_manifest.json", &w));
    CHECK(w.n_tensors == 7, "%d tensors", w.n_tensors);
    const tensor *t = tfjs_find(&w, "conv/w");
    CHECK(t && t->dtype == DTYPE_F32 && t->n_dims == 2 && t->shape[1] == 3 && ((float *)t->data)[5] == 1.5f, "conv/w");
    t = tfjs_find(&w, "q8");
    if (t) {
        const float *v = t->data;
        CHECK(v[0] == (float)(0 * 0.1 - 0.35) && v[1] == (float)(7 * 0.1 - 0.35) && v[2] == (float)(255 * 0.1 - 0.35),
              "q8 %.9g %.9g %.9g", v[0], v[1], v[2]);
    } else
        CHECK(0, "q8 missing");
    t = tfjs_find(&w, "ints");
    CHECK(t && t->dtype == DTYPE_I32 && ((int32_t *)t->data)[0] == -5 && ((int32_t *)t->data)[1] == 70000,
          "int32 across shards");
    t = tfjs_find(&w, "q16");
    CHECK(t && ((float *)t->data)[0] == 2.0f && ((float *)t->data)[1] == (float)(65535 * 0.001 + 2), "q16");
    t = tfjs_find(&w, "h");
    CHECK(t && ((float *)t->data)[0] == 1.0f && ((float *)t->data)[1] == -2.0f, "float16");
    t = tfjs_find(&w, "qi"); // 0*0.5-0.5 = -0.5 -> 0 (Math.round), 0.0 -> 0, 0.5 -> 1, 1.0 -> 1
    CHECK(t && ((int32_t *)t->data)[0] == 0 && ((int32_t *)t->data)[1] == 0 && ((int32_t *)t->data)[2] == 1 &&
              ((int32_t *)t->data)[3] == 1,
          "int32 quantized rounding");
    t = tfjs_find(&w, "s");
    CHECK(t && t->n_dims == 0 && ((float *)t->data)[0] == 42.0f, "scalar");
    CHECK(tfjs_find(&w, "nope") == NULL, "absent name");
    tfjs_free(&w);
    tfjs_free(&w); // zeroed: no-op

    write_text("model.json", "{\"format\": \"graph-model\", \"weightsManifest\": [{\"paths\": [\"g.bin\"], "
                             "\"weights\": [{\"name\": \"x\", \"shape\": [1], \"dtype\": \"float32\"}]}]}");
    uint8_t g[4];
    put_f32(g, -3.25f);
    write_file("g.bin", g, 4);
    CHECK_OK(read_manifest("model.json", &w));
    t = tfjs_find(&w, "x");
    CHECK(t && ((float *)t->data)[0] == -3.25f, "graph model");
    tfjs_free(&w);
}

static void bad_manifest(const char *json, ls_status status, const char *needle) {
    write_text("bad.json", json);
    struct tfjs_weights w;
    CHECK_FAILS(read_manifest("bad.json", &w), status, needle);
    CHECK(w.n_tensors == 0 && w.values == NULL, "nothing kept after a failure");
}

static void refusals(void) {
    uint8_t four[4] = {0};
    write_file("four.bin", four, 4);
    bad_manifest(
        "[{\"paths\": [\"none.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [1], \"dtype\": \"float32\"}]}]",
        LS_ERR_IO, "shard 'none.bin'");
    bad_manifest(
        "[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [2], \"dtype\": \"float32\"}]}]",
        LS_ERR_INPUT, "weights take 8 bytes, shards hold 4");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [4], \"dtype\": \"bool\"}]}]",
                 LS_ERR_UNSUPPORTED, "dtype 'bool'");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [4], \"dtype\": \"float32\", "
                 "\"quantization\": {\"dtype\": \"int4\"}}]}]",
                 LS_ERR_UNSUPPORTED, "quantization 'int4'");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [4], \"dtype\": \"float32\", "
                 "\"quantization\": {\"dtype\": \"uint8\"}}]}]",
                 LS_ERR_INPUT, "without scale and min");
    bad_manifest(
        "[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [2], \"dtype\": \"float32\", "
        "\"quantization\": {\"dtype\": \"uint8\", \"scale\": 1, \"min\": 0}}, {\"name\": \"x\", \"shape\": [2], "
        "\"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 1, \"min\": 0}}]}]",
        LS_ERR_INPUT, "'x' appears twice");
    bad_manifest("[{\"paths\": [\"../four.bin\"], \"weights\": []}]", LS_ERR_INPUT, "leaves the manifest's folder");
    bad_manifest("[{\"paths\": [\"/etc/passwd\"], \"weights\": []}]", LS_ERR_INPUT, "is not relative");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [1,1,1,1,1,4], "
                 "\"dtype\": \"float32\"}]}]",
                 LS_ERR_INPUT, "rank 6");
    bad_manifest(
        "[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [-1], \"dtype\": \"float32\"}]}]",
        LS_ERR_INPUT, "bad dimension 0");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [{\"name\": \"x\", \"shape\": [65536, 65536, 65536], "
                 "\"dtype\": \"float32\"}]}]",
                 LS_ERR_INPUT, "more than");
    bad_manifest("[{\"paths\": [\"four.bin\"], \"weights\": [", LS_ERR_INPUT, "not valid JSON");
    bad_manifest("{\"weights\": []}", LS_ERR_INPUT, "not a weights manifest");
    bad_manifest("[{\"weights\": []}]", LS_ERR_INPUT, "lacks its 'weights' or 'paths'");
    struct tfjs_weights w;
    CHECK_FAILS(read_manifest("absent.json", &w), LS_ERR_IO, "cannot open");
}

static void layouts(void) {
    float src[2 * 3 * 4 * 5], dst[2 * 3 * 4 * 5];
    for (int i = 0; i < 120; i++)
        src[i] = (float)i;
    tfjs_hwio_to_oihw(dst, src, 2, 3, 4, 5); // dst[o][i][y][x] = src[y][x][i][o]
    CHECK(dst[((4 * 4 + 3) * 2 + 1) * 3 + 2] == src[((1 * 3 + 2) * 4 + 3) * 5 + 4], "hwio -> oihw");
    tfjs_depthwise_to_oihw(dst, src, 2, 3, 4, 5); // dst[c*5+m][0][y][x] = src[y][x][c][m]
    CHECK(dst[((2 * 5 + 3) * 2 + 1) * 3 + 0] == src[((1 * 3 + 0) * 4 + 2) * 5 + 3], "depthwise -> oihw");
    tfjs_transpose(dst, src, 6, 20);
    CHECK(dst[7 * 6 + 5] == src[5 * 20 + 7], "transpose");
}

static void face_models(void) {
    // scripts/fetch-face-models' folder: LS_FACE_MODELS, else its default under the cache folder
    char models[768], probe[1024];
    const char *env = getenv("LS_FACE_MODELS"), *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (env && *env)
        snprintf(models, sizeof models, "%s", env);
    else if (cache && *cache)
        snprintf(models, sizeof models, "%s/latentsync/face-api", cache);
    else
        snprintf(models, sizeof models, "%s/.cache/latentsync/face-api", home ? home : "");
    snprintf(probe, sizeof probe, "%s/ssd_mobilenetv1_model-weights_manifest.json", models);
    if (access(probe, R_OK) != 0) {
        printf("note: no face-api models in '%s'; their manifests are not read\n", models);
        return;
    }
    static const struct {
        const char *file;
        const char *probe;
        int64_t probe_elems;
    } files[] = {
        {"ssd_mobilenetv1_model-weights_manifest.json", "Output/extra_dim", 5118 * 4},
        {"face_landmark_68_model-weights_manifest.json", "fc/weights", 256 * 136},
        {"tiny_face_detector_model-weights_manifest.json", "conv8/filters", 512 * 25},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", models, files[i].file);
        struct tfjs_weights w;
        CHECK_OK(tfjs_read(&w, path));
        const tensor *t = tfjs_find(&w, files[i].probe);
        CHECK(t && tensor_n_elems(t) == files[i].probe_elems, "%s: '%s'", files[i].file, files[i].probe);
        for (int k = 0; k < w.n_tensors; k++) {
            const tensor *x = &w.tensors[k].t;
            if (x->dtype != DTYPE_F32) continue;
            bool finite = true;
            for (int64_t e = 0; e < tensor_n_elems(x); e++)
                finite &= isfinite(((float *)x->data)[e]) != 0;
            CHECK(finite, "%s: '%s' has non-finite values", files[i].file, w.tensors[k].name);
        }
        printf("%s: %d tensors\n", files[i].file, w.n_tensors);
        tfjs_free(&w);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/test_tfjs_XXXXXX");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot create a temporary folder\n");
        return 1;
    }
    good_manifests();
    refusals();
    layouts();
    face_models();
    static const char *const names[] = {
        "w-shard1of2.bin", "w-shard2of2.bin", "w-weights_manifest.json", "model.json", "g.bin", "four.bin", "bad.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return harness_exit();
}
