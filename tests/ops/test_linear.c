// test_linear.c — op_linear on every backend against kernels/ref: odd sizes, tails, every weight dtype,
// bias and no bias, batched leading dims. Tolerances: f32 rtol 1e-4 + atol 1e-4*sqrt(K)*scale, nmse 1e-7
// (fp32 accumulation vs the double reference); weight dtypes only change the inputs, not the bound.
#include "op_test.h"

static void run_case(struct test_backends *tb, rng *r, int64_t m, int64_t k, int64_t n, dtype wdt, bool bias) {
    int64_t xs[3] = {2, m, k}, ws[2] = {n, k}, bs[1] = {n}, os[3] = {2, m, n};
    tensor x = host_random(tb, r, DTYPE_F32, 3, xs, 1.0f);
    tensor w = host_random(tb, r, wdt, 2, ws, 1.0f / sqrtf((float)k));
    tensor b = host_random(tb, r, DTYPE_F32, 1, bs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    ref_linear(&ref, &x, &w, bias ? &b : NULL);
    char name[96];
    snprintf(name, sizeof name, "linear m=%lld k=%lld n=%lld w=%s%s", (long long)m, (long long)k, (long long)n,
             dtype_name(wdt), bias ? " +bias" : "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!be->ops->supports(be->ctx, OP_LINEAR, DTYPE_F32, wdt)) continue;
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F32, 3, os);
        CHECK_OK(op_linear(&out, &dx, &dw, bias ? &db : NULL));
        check_output(name, be, &out, &ref, (struct tolerance){1e-5 * sqrt((double)k), 1e-4, 1e-7});
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
}

static void bad_shapes(struct test_backends *tb) {
    tensor x = host_tensor(tb->cpu, DTYPE_F32, 2, (int64_t[]){4, 8});
    tensor w = host_tensor(tb->cpu, DTYPE_F32, 2, (int64_t[]){3, 7});
    tensor o = host_tensor(tb->cpu, DTYPE_F32, 2, (int64_t[]){4, 3});
    CHECK_FAILS(op_linear(&o, &x, &w, NULL), LS_ERR_SHAPE, "does not match weight");
    tensor w2 = host_tensor(tb->cpu, DTYPE_F32, 2, (int64_t[]){3, 8});
    tensor b = host_tensor(tb->cpu, DTYPE_F32, 1, (int64_t[]){4});
    CHECK_FAILS(op_linear(&o, &x, &w2, &b), LS_ERR_SHAPE, "bias");
    tensor o2 = host_tensor(tb->cpu, DTYPE_F32, 2, (int64_t[]){4, 5});
    CHECK_FAILS(op_linear(&o2, &x, &w2, NULL), LS_ERR_SHAPE, "output");
    tensor wi = host_tensor(tb->cpu, DTYPE_I8, 2, (int64_t[]){3, 8});
    CHECK_FAILS(op_linear(&o, &x, &wi, NULL), LS_ERR_DTYPE, "scales");
    host_free(&x), host_free(&w), host_free(&o), host_free(&w2), host_free(&b), host_free(&o2), host_free(&wi);
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {42};
    const int64_t shapes[][3] = {{1, 1, 1}, {1, 7, 5}, {13, 31, 17}, {14, 64, 32}, {29, 320, 95}, {100, 129, 333},
                                 {300, 40, 40}, {64, 1300, 70}, {33, 384, 1536}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        run_case(&tb, &r, shapes[i][0], shapes[i][1], shapes[i][2], DTYPE_F32, i % 2 == 0);
    const dtype wdts[] = {DTYPE_F16, DTYPE_BF16, DTYPE_I8};
    for (int d = 0; d < 3; d++) {
        run_case(&tb, &r, 37, 77, 45, wdts[d], true);
        run_case(&tb, &r, 128, 640, 96, wdts[d], false);
    }
    bad_shapes(&tb);
    test_backends_free(&tb);
    return harness_exit();
}
