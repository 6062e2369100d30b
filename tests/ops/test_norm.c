// test_norm.c — op_group_norm (per image and across frames, affine or not, fused SiLU), op_layer_norm and
// op_softmax on every backend against kernels/ref. Tolerance: rtol 1e-5, atol 1e-5, nmse 1e-9 (fp32
// statistics accumulated in double on the CPU; the GPU may use fp32 Welford, still far inside).
#include "op_test.h"

static const struct tolerance TOL = {1e-5, 1e-5, 1e-9};

static void group_norm_case(struct test_backends *tb, rng *r, int64_t b, int64_t c, int64_t h, int64_t w, int groups,
                            int frames, bool silu, bool affine, float offset) {
    int64_t xs[4] = {b, c, h, w}, cs[1] = {c};
    tensor x = host_random(tb, r, DTYPE_F32, 4, xs, 3.0f);
    for (int64_t i = 0; i < tensor_n_elems(&x); i++) ((float *)x.data)[i] += offset; // large mean: cancellation
    tensor g = host_random(tb, r, DTYPE_F32, 1, cs, 1.0f), bb = host_random(tb, r, DTYPE_F32, 1, cs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, xs);
    struct group_norm_params p = {groups, 1e-5f, frames, silu};
    ref_group_norm(&ref, &x, affine ? &g : NULL, affine ? &bb : NULL, &p);
    char name[128];
    snprintf(name, sizeof name, "group_norm %lldx%lldx%lldx%lld g%d frames%d%s%s off%g", (long long)b, (long long)c,
             (long long)h, (long long)w, groups, frames, silu ? " silu" : "", affine ? " affine" : "", offset);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), dg = dev_copy(be, &g), db = dev_copy(be, &bb), out = dev_output(be, DTYPE_F32, 4, xs);
        CHECK_OK(op_group_norm(&out, &dx, affine ? &dg : NULL, affine ? &db : NULL, &p));
        check_output(name, be, &out, &ref, TOL);
        CHECK_OK(op_group_norm(&dx, &dx, affine ? &dg : NULL, affine ? &db : NULL, &p)); // in place
        char name2[160];
        snprintf(name2, sizeof name2, "%s in-place", name);
        check_output(name2, be, &dx, &ref, TOL);
        dev_release(&dx), dev_release(&dg), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&g), host_release(&bb), host_free(&ref);
}

static void layer_norm_case(struct test_backends *tb, rng *r, int64_t rows, int64_t c, bool affine) {
    int64_t xs[2] = {rows, c}, cs[1] = {c};
    tensor x = host_random(tb, r, DTYPE_F32, 2, xs, 2.0f);
    tensor g = host_random(tb, r, DTYPE_F32, 1, cs, 1.0f), bb = host_random(tb, r, DTYPE_F32, 1, cs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 2, xs);
    ref_layer_norm(&ref, &x, affine ? &g : NULL, affine ? &bb : NULL, 1e-5f);
    char name[96];
    snprintf(name, sizeof name, "layer_norm %lldx%lld%s", (long long)rows, (long long)c, affine ? " affine" : "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), dg = dev_copy(be, &g), db = dev_copy(be, &bb), out = dev_output(be, DTYPE_F32, 2, xs);
        CHECK_OK(op_layer_norm(&out, &dx, affine ? &dg : NULL, affine ? &db : NULL, 1e-5f));
        check_output(name, be, &out, &ref, TOL);
        dev_release(&dx), dev_release(&dg), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&g), host_release(&bb), host_free(&ref);
}

static void softmax_case(struct test_backends *tb, rng *r, int64_t rows, int64_t c, float scale) {
    int64_t xs[2] = {rows, c};
    tensor x = host_random(tb, r, DTYPE_F32, 2, xs, scale);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 2, xs);
    ref_softmax(&ref, &x);
    char name[96];
    snprintf(name, sizeof name, "softmax %lldx%lld scale %g", (long long)rows, (long long)c, scale);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, 2, xs);
        CHECK_OK(op_softmax(&out, &dx));
        check_output(name, be, &out, &ref, (struct tolerance){1e-7, 1e-5, 1e-9});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

static void bad_args(struct test_backends *tb) {
    tensor x = host_tensor(tb->cpu, DTYPE_F32, 4, (int64_t[]){6, 30, 2, 2});
    tensor g = host_tensor(tb->cpu, DTYPE_F32, 1, (int64_t[]){30});
    CHECK_FAILS(op_group_norm(&x, &x, &g, NULL, &(struct group_norm_params){32, 1e-5f, 1, false}), LS_ERR_SHAPE,
                "not divisible");
    CHECK_FAILS(op_group_norm(&x, &x, &g, NULL, &(struct group_norm_params){6, 1e-5f, 4, false}), LS_ERR_SHAPE,
                "multiple of 4 frames");
    tensor g2 = host_tensor(tb->cpu, DTYPE_F32, 1, (int64_t[]){29});
    CHECK_FAILS(op_group_norm(&x, &x, &g2, NULL, &(struct group_norm_params){6, 1e-5f, 1, false}), LS_ERR_SHAPE,
                "affine");
    CHECK_FAILS(op_layer_norm(&x, &x, &g, NULL, 1e-5f), LS_ERR_SHAPE, "affine");
    host_free(&x), host_free(&g), host_free(&g2);
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {3};
    group_norm_case(&tb, &r, 2, 64, 5, 7, 32, 1, false, true, 0.0f);
    group_norm_case(&tb, &r, 6, 64, 4, 4, 32, 3, false, true, 0.0f); // across 3 frames
    group_norm_case(&tb, &r, 8, 96, 3, 5, 32, 4, true, true, 50.0f);
    group_norm_case(&tb, &r, 4, 30, 1, 1, 3, 2, true, false, 0.0f);
    group_norm_case(&tb, &r, 1, 128, 33, 17, 32, 1, true, true, -20.0f);
    layer_norm_case(&tb, &r, 1, 1, true);
    layer_norm_case(&tb, &r, 37, 320, true);
    layer_norm_case(&tb, &r, 5, 1283, false);
    softmax_case(&tb, &r, 3, 1, 1.0f);
    softmax_case(&tb, &r, 17, 50, 4.0f);
    softmax_case(&tb, &r, 4, 1029, 30.0f);
    bad_args(&tb);
    test_backends_free(&tb);
    return harness_exit();
}
