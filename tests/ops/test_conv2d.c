// test_conv2d.c — op_conv2d and op_conv1d on every backend against kernels/ref: 1x1/3x3/5x5/7x7 kernels,
// strides 1-3, symmetric and asymmetric (SD VAE downsampler) padding, dilation, groups and depthwise,
// odd sizes, tiny images whose GEMM columns span several images, every weight dtype.
// Tolerance: rtol 1e-4, atol 1e-5*sqrt(K) (K = Ci/groups*KH*KW), nmse 1e-7.
#include "op_test.h"

struct conv_case {
    int64_t n, ci, h, w, co;
    int kh, kw;
    struct conv2d_params p;
};

static void run_case(struct test_backends *tb, rng *r, const struct conv_case *c, dtype wdt) {
    int64_t ho = conv_out_size(c->h, c->kh, c->p.stride_h, c->p.pad_top, c->p.pad_bottom, c->p.dilation_h);
    int64_t wo = conv_out_size(c->w, c->kw, c->p.stride_w, c->p.pad_left, c->p.pad_right, c->p.dilation_w);
    int64_t xs[4] = {c->n, c->ci, c->h, c->w}, ws[4] = {c->co, c->ci / c->p.groups, c->kh, c->kw};
    int64_t os[4] = {c->n, c->co, ho, wo}, bs[1] = {c->co};
    int64_t k = c->ci / c->p.groups * c->kh * c->kw;
    tensor x = host_random(tb, r, DTYPE_F32, 4, xs, 1.0f);
    tensor w = host_random(tb, r, wdt, 4, ws, 1.0f / sqrtf((float)k));
    tensor b = host_random(tb, r, DTYPE_F32, 1, bs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
    ref_conv2d(&ref, &x, &w, &b, &c->p);
    char name[128];
    snprintf(name, sizeof name, "conv2d %lldx%lldx%lldx%lld->%lld k%dx%d s%d p%d,%d,%d,%d d%d g%d w=%s",
             (long long)c->n, (long long)c->ci, (long long)c->h, (long long)c->w, (long long)c->co, c->kh, c->kw,
             c->p.stride_h, c->p.pad_top, c->p.pad_bottom, c->p.pad_left, c->p.pad_right, c->p.dilation_h, c->p.groups,
             dtype_name(wdt));
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!be->ops->supports(be->ctx, OP_CONV2D, DTYPE_F32, wdt)) continue;
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F32, 4, os);
        CHECK_OK(op_conv2d(&out, &dx, &dw, &db, &c->p));
        check_output(name, be, &out, &ref, (struct tolerance){1e-5 * sqrt((double)k), 1e-4, 1e-7});
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
}

static void conv1d_case(struct test_backends *tb, rng *r, int64_t ci, int64_t l, int64_t co, int k, int stride,
                        int pad) {
    struct conv1d_params p = {stride, pad, 1};
    int64_t lo = conv_out_size(l, k, stride, pad, pad, 1);
    int64_t xs[3] = {2, ci, l}, ws[3] = {co, ci, k}, os[3] = {2, co, lo}, bs[1] = {co};
    tensor x = host_random(tb, r, DTYPE_F32, 3, xs, 1.0f);
    tensor w = host_random(tb, r, DTYPE_F16, 3, ws, 1.0f / sqrtf((float)(ci * k)));
    tensor b = host_random(tb, r, DTYPE_F32, 1, bs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    ref_conv1d(&ref, &x, &w, &b, &p);
    char name[96];
    snprintf(name, sizeof name, "conv1d %lldx%lld->%lld k%d s%d p%d", (long long)ci, (long long)l, (long long)co, k,
             stride, pad);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F32, 3, os);
        CHECK_OK(op_conv1d(&out, &dx, &dw, &db, &p));
        check_output(name, be, &out, &ref, (struct tolerance){1e-5 * sqrt((double)(ci * k)), 1e-4, 1e-7});
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
}

static struct conv2d_params params(int s, int pt, int pb, int pl, int pr, int d, int g) {
    return (struct conv2d_params){s, s, pt, pb, pl, pr, d, d, g};
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {7};
    const struct conv_case cases[] = {
        {1, 1, 1, 1, 1, 1, 1, params(1, 0, 0, 0, 0, 1, 1)},
        {2, 3, 9, 7, 5, 3, 3, params(1, 1, 1, 1, 1, 1, 1)},
        {3, 13, 8, 8, 20, 3, 3, params(1, 1, 1, 1, 1, 1, 1)},    // UNet conv_in shape class
        {4, 32, 4, 4, 40, 3, 3, params(1, 1, 1, 1, 1, 1, 1)},    // 16-pixel images: panels span images
        {2, 24, 16, 16, 24, 3, 3, params(2, 1, 1, 1, 1, 1, 1)},  // UNet downsampler
        {2, 16, 17, 15, 16, 3, 3, params(2, 0, 1, 0, 1, 1, 1)},  // SD VAE downsampler: pad right/bottom
        {2, 40, 11, 13, 30, 1, 1, params(1, 0, 0, 0, 0, 1, 1)},  // 1x1 shortcut
        {1, 6, 20, 21, 9, 5, 5, params(3, 2, 2, 2, 2, 1, 1)},
        {1, 3, 30, 30, 8, 7, 7, params(2, 3, 3, 3, 3, 1, 1)},
        {1, 8, 12, 12, 8, 3, 3, params(1, 2, 2, 2, 2, 2, 1)},    // dilation
        {2, 12, 10, 10, 18, 3, 3, params(1, 1, 1, 1, 1, 1, 3)},  // groups
        {2, 16, 13, 11, 16, 3, 3, params(1, 1, 1, 1, 1, 1, 16)}, // depthwise
        {1, 8, 14, 14, 16, 3, 3, params(2, 1, 1, 1, 1, 1, 8)},   // depthwise, multiplier 2, stride 2
        {2, 64, 34, 33, 70, 3, 3, params(1, 1, 1, 1, 1, 1, 1)},
        {1, 12, 16, 16, 12, 3, 3, params(2, 0, 1, 0, 1, 1, 12)},  // depthwise, TF SAME stride 2 (face-api SSD)
        {1, 6, 11, 9, 6, 3, 3, params(1, 2, 2, 2, 2, 2, 6)},      // depthwise, dilation 2
        {2, 4, 10, 13, 4, 5, 5, params(3, 2, 1, 0, 2, 1, 4)},     // depthwise 5x5, stride 3, uneven padding
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&tb, &r, &cases[i], DTYPE_F32);
    run_case(&tb, &r, &cases[2], DTYPE_F16);
    run_case(&tb, &r, &cases[3], DTYPE_BF16);
    run_case(&tb, &r, &cases[13], DTYPE_I8);
    run_case(&tb, &r, &cases[11], DTYPE_I8);
    conv1d_case(&tb, &r, 8, 30, 12, 3, 1, 1);
    conv1d_case(&tb, &r, 12, 31, 10, 3, 2, 1);
    test_backends_free(&tb);
    return harness_exit();
}
