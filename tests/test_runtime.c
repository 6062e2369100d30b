// test_runtime.c — the runtime layer: error messages and context, f16/bf16 conversions (exhaustive for
// f16, against F16C hardware where present), tensor views, arenas (LIFO release, OOM message, planning on
// the plan backend with op shape checks), the thread pool, and the trace writer.
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "backends.h"
#include "ops.h"

static void test_errors(void) {
    ls_error_clear();
    CHECK(ls_error()[0] == '\0', "cleared");
    ls_status s = ls_fail(LS_ERR_SHAPE, "tensor '%s': bad", "x");
    CHECK(s == LS_ERR_SHAPE, "status returned");
    ls_fail_context(s, "file.safetensors: ");
    CHECK(!strcmp(ls_error(), "file.safetensors: tensor 'x': bad"), "context prefix: %s", ls_error());
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ls_fail(LS_ERR_INPUT, "%s", big);
    ls_fail_context(LS_ERR_INPUT, "%s", big);
    CHECK(strlen(ls_error()) < 1024, "message bounded");
}

static void test_dtypes(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) { // every f16 round-trips through f32
        float f = f16_to_f32((uint16_t)h);
        uint16_t back = f32_to_f16(f);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (nan ? (back & 0x7c00) != 0x7c00 || !(back & 0x3ff) : back != h) bad++;
    }
    CHECK(bad == 0, "%d f16 values do not round-trip", bad);
    // rounding of f32 -> f16: bulk path (F16C where available) vs scalar, ties to even
    rng r = {1};
    float src[4096];
    uint16_t a[4096], b[4096];
    for (int i = 0; i < 4096; i++) src[i] = rng_normal(&r) * ldexpf(1.0f, i % 40) * 1e-6f;
    src[0] = 65504.0f, src[1] = 65520.0f, src[2] = 1e-8f, src[3] = -2.9802322e-08f, src[4] = 1.0f + 1.0f / 2048.0f;
    convert_f32_to_f16(a, src, 4096);
    for (int i = 0; i < 4096; i++) b[i] = f32_to_f16(src[i]);
    CHECK(!memcmp(a, b, sizeof a), "bulk and scalar f32->f16 agree");
    CHECK(f32_to_f16(65520.0f) == 0x7c00, "65520 rounds to inf");
    CHECK(f32_to_f16(1.0f + 1.0f / 2048.0f) == 0x3c00, "tie rounds to even");
    CHECK(f32_to_bf16(1.0f + 1.0f / 256.0f) == 0x3f80, "bf16 tie rounds to even");
    CHECK(bf16_to_f32(f32_to_bf16(3.140625f)) == 3.140625f, "bf16 exact value");
    float back[4096];
    convert_f16_to_f32(back, a, 4096);
    for (int i = 0; i < 4096; i++)
        if (back[i] != f16_to_f32(a[i])) bad++;
    CHECK(bad == 0, "bulk f16->f32");
}

static void test_tensors(void) {
    tensor t, v;
    CHECK_OK(tensor_wrap(&t, NULL, DTYPE_F32, 5, (const int64_t[]){2, 3, 4, 5, 6}, NULL));
    CHECK(tensor_n_elems(&t) == 720 && tensor_is_contiguous(&t), "wrap");
    CHECK_OK(tensor_permute(&v, &t, (const int[]){0, 2, 1, 3, 4}));
    CHECK(!tensor_is_contiguous(&v) && v.shape[1] == 4 && v.stride[1] == 30, "permute");
    CHECK_FAILS(tensor_reshape(&v, &v, 2, (const int64_t[]){2, 360}), LS_ERR_SHAPE, "non-contiguous");
    CHECK_FAILS(tensor_reshape(&v, &t, 2, (const int64_t[]){2, 361}), LS_ERR_SHAPE, "element counts differ");
    CHECK_FAILS(tensor_permute(&v, &t, (const int[]){0, 0, 1, 2, 3}), LS_ERR_SHAPE, "permutation");
    CHECK_OK(tensor_slice(&v, &t, 1, 1, 2));
    CHECK(v.shape[1] == 2, "slice");
    CHECK_FAILS(tensor_slice(&v, &t, 1, 2, 2), LS_ERR_SHAPE, "out of range");
    tensor b1;
    CHECK_OK(tensor_wrap(&b1, NULL, DTYPE_F32, 2, (const int64_t[]){1, 6}, NULL));
    CHECK_OK(tensor_broadcast(&v, &b1, 2, (const int64_t[]){4, 6}));
    CHECK(v.stride[0] == 0 && v.shape[0] == 4, "broadcast");
    CHECK_FAILS(tensor_broadcast(&v, &b1, 2, (const int64_t[]){4, 5}), LS_ERR_SHAPE, "cannot broadcast");
    CHECK_FAILS(tensor_wrap(&t, NULL, DTYPE_F32, 6, (const int64_t[]){1, 1, 1, 1, 1, 1}, NULL), LS_ERR_SHAPE, "rank");
    char buf[64];
    CHECK_OK(tensor_wrap(&t, NULL, DTYPE_F32, 3, (const int64_t[]){2, 320, 32}, NULL));
    CHECK(!strcmp(tensor_shape_str(&t, buf, sizeof buf), "(2, 320, 32)"), "shape string %s", buf);
}

static void test_arena(struct backend *cpu) {
    arena a;
    CHECK_OK(arena_init(&a, cpu, 1 << 20));
    tensor x, y, z;
    CHECK_OK(arena_tensor(&a, &x, DTYPE_F32, 2, (const int64_t[]){100, 100}));
    size_t mark = arena_mark(&a);
    CHECK_OK(arena_tensor(&a, &y, DTYPE_F32, 2, (const int64_t[]){100, 100}));
    CHECK((uintptr_t)y.data % 64 == 0, "aligned");
    arena_release(&a, mark);
    CHECK_OK(arena_tensor(&a, &z, DTYPE_F32, 2, (const int64_t[]){10, 10}));
    CHECK(z.data == y.data, "LIFO reuse");
    CHECK_FAILS(arena_tensor(&a, &z, DTYPE_F32, 2, (const int64_t[]){1000, 1000}), LS_ERR_OOM, "capacity");
    CHECK(a.peak_bytes >= 80000 && a.peak_bytes < (1 << 20), "peak %zu", a.peak_bytes);
    arena_free(&a);
    arena_free(&a); // idempotent

    // Planning: run ops on the plan backend; shapes are checked, the peak is recorded, nothing is computed.
    arena p;
    arena_init_plan(&p);
    tensor in, w, out, bad;
    CHECK_OK(arena_tensor(&p, &in, DTYPE_F32, 4, (const int64_t[]){2, 8, 16, 16}));
    CHECK_OK(arena_tensor(&p, &w, DTYPE_F32, 4, (const int64_t[]){4, 8, 3, 3}));
    CHECK_OK(arena_tensor(&p, &out, DTYPE_F32, 4, (const int64_t[]){2, 4, 16, 16}));
    CHECK_OK(op_conv2d(&out, &in, &w, NULL, &CONV2D_SAME(1, 1)));
    CHECK_OK(arena_tensor(&p, &bad, DTYPE_F32, 4, (const int64_t[]){2, 4, 15, 16}));
    CHECK_FAILS(op_conv2d(&bad, &in, &w, NULL, &CONV2D_SAME(1, 1)), LS_ERR_SHAPE, "expected (2, 4, 16, 16)");
    CHECK(p.peak_bytes >= (size_t)(2 * 8 * 256 + 4 * 8 * 9 + 2 * 4 * 256) * 4, "planned peak %zu", p.peak_bytes);
}

static atomic_int pool_sum;
static int64_t pool_seen[1000];
static void pool_task(void *arg, int64_t task, int thread) {
    (void)arg;
    atomic_fetch_add(&pool_sum, (int)task);
    pool_seen[task] += 1 + thread * 0;
}

static void test_pool(void) {
    for (int threads = 1; threads <= 4; threads++) {
        pool *p;
        CHECK_OK(pool_init(&p, threads));
        for (int round = 0; round < 50; round++) {
            atomic_store(&pool_sum, 0);
            memset(pool_seen, 0, sizeof pool_seen);
            int n = 1 + round * 19 % 1000;
            pool_run(p, n, pool_task, NULL);
            int ok = atomic_load(&pool_sum) == n * (n - 1) / 2;
            for (int i = 0; i < n; i++) ok &= pool_seen[i] == 1;
            CHECK(ok, "pool of %d threads, %d tasks: each task once", threads, n);
        }
        pool_free(p);
    }
    pool_free(NULL);
    pool *p;
    CHECK_FAILS(pool_init(&p, 100000), LS_ERR_USAGE, "absurd");
}

static void test_trace(void) {
    char path[] = "/tmp/ls_trace_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_OK(trace_start(path));
    trace_begin("stage \"one\"", "stage");
    trace_begin("inner", "op");
    trace_end();
    trace_counter("frames", 16);
    trace_end();
    CHECK_OK(trace_stop());
    FILE *f = fopen(path, "r");
    char text[4096] = {0};
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    CHECK(n > 0 && strstr(text, "\"traceEvents\"") && strstr(text, "stage \\\"one\\\"") && strstr(text, "\"inner\"") &&
              strstr(text, "\"ph\":\"C\""),
          "trace file content: %s", text);
    unlink(path);
    CHECK_FAILS(trace_start("/nonexistent-dir/x.json"), LS_ERR_IO, "cannot create trace file");
    trace_begin("ignored", "op"); // tracing off: no effect
    trace_end();
    CHECK_OK(trace_stop());
}

int main(void) {
    struct backend *cpu;
    if (backend_cpu_init(&cpu, 2)) return fprintf(stderr, "%s\n", ls_error()), 1;
    test_errors();
    test_dtypes();
    test_tensors();
    test_arena(cpu);
    test_pool();
    test_trace();
    backend_free(cpu);
    return harness_exit();
}
