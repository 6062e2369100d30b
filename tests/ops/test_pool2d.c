// test_pool2d.c — op_pool2d (max and average) on every backend against kernels/ref: global 7x7 average
// (face_landmark_68), 2x2 stride 2 (SCRFD), 3x3 stride 2 with SAME-style asymmetric padding, ceil-mode
// padding on odd sizes, 1x1 windows, a single pixel; a padded max pool over all-negative input (padding
// must not win); bad parameters are refused. Tolerances: max is exact (0); average rtol 1e-6, atol 1e-6
// (float accumulation of <= 49 taps vs double).
#include "op_test.h"

struct pool_case {
    int64_t n, c, h, w;
    struct pool2d_params p;
};

static void run_case(struct test_backends *tb, rng *r, const struct pool_case *pc, float offset) {
    const struct pool2d_params *p = &pc->p;
    int64_t ho = conv_out_size(pc->h, p->kernel_h, p->stride_h, p->pad_top, p->pad_bottom, 1);
    int64_t wo = conv_out_size(pc->w, p->kernel_w, p->stride_w, p->pad_left, p->pad_right, 1);
    int64_t xs[4] = {pc->n, pc->c, pc->h, pc->w}, os[4] = {pc->n, pc->c, ho, wo};
    tensor x = host_random(tb, r, DTYPE_F32, 4, xs, 1.0f);
    for (int64_t i = 0; i < tensor_n_elems(&x); i++)
        ((float *)x.data)[i] += offset;
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
    ref_pool2d(&ref, &x, p);
    char name[128];
    snprintf(name, sizeof name, "pool2d %s %lldx%lldx%lldx%lld k%dx%d s%dx%d p%d,%d,%d,%d%s",
             p->kind == POOL_MAX ? "max" : "avg", (long long)pc->n, (long long)pc->c, (long long)pc->h,
             (long long)pc->w, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->pad_top, p->pad_bottom,
             p->pad_left, p->pad_right, offset < 0 ? " negative" : "");
    struct tolerance tol =
        p->kind == POOL_MAX ? (struct tolerance){0, 0, 1e-30} : (struct tolerance){1e-6, 1e-6, 1e-12};
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!be->ops->pool2d || !be->ops->supports(be->ctx, OP_POOL2D, DTYPE_F32, DTYPE_COUNT)) continue;
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, 4, os);
        CHECK_OK(op_pool2d(&out, &dx, p));
        check_output(name, be, &out, &ref, tol);
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

static struct pool2d_params pp(pool_kind kind, int k, int s, int pt, int pb, int pl, int pr) {
    return (struct pool2d_params){kind, k, k, s, s, pt, pb, pl, pr};
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {11};
    const struct pool_case cases[] = {
        {1, 256, 7, 7, pp(POOL_AVG, 7, 2, 0, 0, 0, 0)}, // face_landmark_68 head
        {2, 5, 16, 16, pp(POOL_AVG, 2, 2, 0, 0, 0, 0)}, // SCRFD shortcut
        {2, 5, 16, 16, pp(POOL_MAX, 2, 2, 0, 0, 0, 0)}, // SCRFD stem
        {1, 3, 13, 11, pp(POOL_AVG, 2, 2, 0, 1, 0, 1)}, // ceil mode on odd sizes
        {1, 3, 13, 11, pp(POOL_MAX, 2, 2, 0, 1, 0, 1)},
        {2, 4, 9, 10, pp(POOL_MAX, 3, 2, 1, 1, 0, 1)}, // TF SAME, stride 2
        {2, 4, 9, 10, pp(POOL_AVG, 3, 2, 1, 1, 0, 1)},
        {1, 7, 6, 5, pp(POOL_MAX, 2, 1, 0, 1, 0, 1)}, // tiny_face_detector's stride-1 max pool
        {3, 2, 5, 4, pp(POOL_AVG, 1, 1, 0, 0, 0, 0)}, // identity
        {1, 1, 1, 1, pp(POOL_AVG, 1, 1, 0, 0, 0, 0)},
        {1, 33, 31, 29, pp(POOL_AVG, 3, 1, 1, 1, 1, 1)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&tb, &r, &cases[i], 0.0f);
    run_case(&tb, &r, &(struct pool_case){1, 3, 8, 8, pp(POOL_MAX, 3, 2, 1, 1, 1, 1)}, -10.0f);

    int64_t xs[4] = {1, 2, 4, 4}, os[4] = {1, 2, 2, 2};
    tensor x = host_tensor(tb.cpu, DTYPE_F32, 4, xs), out = host_tensor(tb.cpu, DTYPE_F32, 4, os);
    CHECK_FAILS(op_pool2d(&out, &x, &(struct pool2d_params){POOL_AVG, 2, 2, 2, 2, 2, 0, 0, 0}), LS_ERR_INPUT,
                "smaller than the kernel");
    CHECK_FAILS(op_pool2d(&out, &x, &(struct pool2d_params){POOL_AVG, 2, 2, 1, 1, 0, 0, 0, 0}), LS_ERR_SHAPE,
                "expected (1, 2, 3, 3)");
    host_free(&x), host_free(&out);
    test_backends_free(&tb);
    return harness_exit();
}
