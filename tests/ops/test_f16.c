// test_f16.c — every op with f16 activations, on each backend that takes them (CUDA; the CPU backend is f32
// only, so without a GPU this test skips), against kernels/ref evaluated on the same f16 inputs. Weights in
// every weight dtype: under f16 activations f32 and i8 weights are rounded to f16 by the backend
// (kernels/cuda/weight_convert.cu), so their reference uses the rounded copy. Cases mirror the f32 tests'
// shape classes (tails, odd sizes, strided and broadcast views, in-place, frames, block edges).
// Tolerances: tol_f16 (op_test.h); atol 1e-5*sqrt(K) for sums over K terms as in the f32 tests.
#include "op_test.h"

static int n_runs; // backend x case pairs actually run

static void linear_case(struct test_backends *tb, rng *r, int64_t m, int64_t k, int64_t n, dtype wdt, bool bias) {
    int64_t xs[3] = {2, m, k}, ws[2] = {n, k}, bs[1] = {n}, os[3] = {2, m, n};
    tensor x = host_random(tb, r, DTYPE_F16, 3, xs, 1.0f);
    tensor w = host_random(tb, r, wdt, 2, ws, 1.0f / sqrtf((float)k));
    tensor b = host_random(tb, r, DTYPE_F16, 1, bs, 1.0f);
    tensor w_seen = host_convert(tb, &w, DTYPE_F16); // the weight as the backend computes with it
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    ref_linear(&ref, &x, &w_seen, bias ? &b : NULL);
    char name[96];
    snprintf(name, sizeof name, "f16 linear m=%lld k=%lld n=%lld w=%s%s", (long long)m, (long long)k, (long long)n,
             dtype_name(wdt), bias ? " +bias" : "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_LINEAR, DTYPE_F16, wdt)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F16, 3, os);
        CHECK_OK(op_linear(&out, &dx, &dw, bias ? &db : NULL));
        check_output(name, be, &out, &ref, tol_f16(1e-5 * sqrt((double)k)));
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&w_seen), host_free(&ref);
}

static void conv_case(struct test_backends *tb, rng *r, int64_t nb, int64_t ci, int64_t h, int64_t w_, int64_t co,
                      int k, struct conv2d_params p, dtype wdt) {
    int64_t ho = conv_out_size(h, k, p.stride_h, p.pad_top, p.pad_bottom, p.dilation_h);
    int64_t wo = conv_out_size(w_, k, p.stride_w, p.pad_left, p.pad_right, p.dilation_w);
    int64_t xs[4] = {nb, ci, h, w_}, ws[4] = {co, ci / p.groups, k, k}, os[4] = {nb, co, ho, wo}, bs[1] = {co};
    int64_t depth = ci / p.groups * k * k;
    tensor x = host_random(tb, r, DTYPE_F16, 4, xs, 1.0f);
    tensor w = host_random(tb, r, wdt, 4, ws, 1.0f / sqrtf((float)depth));
    tensor b = host_random(tb, r, DTYPE_F16, 1, bs, 1.0f);
    tensor w_seen = host_convert(tb, &w, DTYPE_F16);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
    ref_conv2d(&ref, &x, &w_seen, &b, &p);
    char name[128];
    snprintf(name, sizeof name, "f16 conv2d %lldx%lldx%lldx%lld->%lld k%d s%d p%d,%d,%d,%d d%d g%d w=%s", (long long)nb,
             (long long)ci, (long long)h, (long long)w_, (long long)co, k, p.stride_h, p.pad_top, p.pad_bottom,
             p.pad_left, p.pad_right, p.dilation_h, p.groups, dtype_name(wdt));
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_CONV2D, DTYPE_F16, wdt)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F16, 4, os);
        CHECK_OK(op_conv2d(&out, &dx, &dw, &db, &p));
        check_output(name, be, &out, &ref, tol_f16(1e-5 * sqrt((double)depth)));
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&w_seen), host_free(&ref);
}

static void conv1d_case(struct test_backends *tb, rng *r, int64_t ci, int64_t l, int64_t co, int k, int stride,
                        int pad) {
    struct conv1d_params p = {stride, pad, 1};
    int64_t lo = conv_out_size(l, k, stride, pad, pad, 1);
    int64_t xs[3] = {2, ci, l}, ws[3] = {co, ci, k}, os[3] = {2, co, lo}, bs[1] = {co};
    tensor x = host_random(tb, r, DTYPE_F16, 3, xs, 1.0f);
    tensor w = host_random(tb, r, DTYPE_F16, 3, ws, 1.0f / sqrtf((float)(ci * k)));
    tensor b = host_random(tb, r, DTYPE_F16, 1, bs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    ref_conv1d(&ref, &x, &w, &b, &p);
    char name[96];
    snprintf(name, sizeof name, "f16 conv1d %lldx%lld->%lld k%d s%d p%d", (long long)ci, (long long)l, (long long)co, k,
             stride, pad);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_CONV1D, DTYPE_F16, DTYPE_F16)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
        tensor out = dev_output(be, DTYPE_F16, 3, os);
        CHECK_OK(op_conv1d(&out, &dx, &dw, &db, &p));
        check_output(name, be, &out, &ref, tol_f16(1e-5 * sqrt((double)(ci * k))));
        dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
}

static void group_norm_case(struct test_backends *tb, rng *r, int64_t b, int64_t c, int64_t h, int64_t w, int groups,
                            int frames, bool silu, float offset) {
    int64_t xs[4] = {b, c, h, w}, cs[1] = {c};
    tensor x32 = host_random(tb, r, DTYPE_F32, 4, xs, 3.0f);
    for (int64_t i = 0; i < tensor_n_elems(&x32); i++)
        ((float *)x32.data)[i] += offset;
    tensor x = host_convert(tb, &x32, DTYPE_F16);
    tensor g = host_random(tb, r, DTYPE_F16, 1, cs, 1.0f), bb = host_random(tb, r, DTYPE_F16, 1, cs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, xs);
    struct group_norm_params p = {groups, 1e-5f, frames, silu};
    ref_group_norm(&ref, &x, &g, &bb, &p);
    char name[128];
    snprintf(name, sizeof name, "f16 group_norm %lldx%lldx%lldx%lld g%d frames%d%s off%g", (long long)b, (long long)c,
             (long long)h, (long long)w, groups, frames, silu ? " silu" : "", offset);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_GROUP_NORM, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dg = dev_copy(be, &g), db = dev_copy(be, &bb),
               out = dev_output(be, DTYPE_F16, 4, xs);
        CHECK_OK(op_group_norm(&out, &dx, &dg, &db, &p));
        check_output(name, be, &out, &ref, tol_f16(1e-5));
        CHECK_OK(op_group_norm(&dx, &dx, &dg, &db, &p)); // in place
        check_output("f16 group_norm in-place", be, &dx, &ref, tol_f16(1e-5));
        dev_release(&dx), dev_release(&dg), dev_release(&db), dev_release(&out);
    }
    host_release(&x32), host_free(&x), host_release(&g), host_release(&bb), host_free(&ref);
}

static void layer_norm_softmax_case(struct test_backends *tb, rng *r, int64_t rows, int64_t c, float scale) {
    int64_t xs[2] = {rows, c}, cs[1] = {c};
    tensor x = host_random(tb, r, DTYPE_F16, 2, xs, scale);
    tensor g = host_random(tb, r, DTYPE_F16, 1, cs, 1.0f), bb = host_random(tb, r, DTYPE_F16, 1, cs, 1.0f);
    tensor ref_ln = host_tensor(tb->cpu, DTYPE_F32, 2, xs), ref_sm = host_tensor(tb->cpu, DTYPE_F32, 2, xs);
    ref_layer_norm(&ref_ln, &x, &g, &bb, 1e-5f);
    ref_softmax(&ref_sm, &x);
    char name[96];
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_LAYER_NORM, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dg = dev_copy(be, &g), db = dev_copy(be, &bb),
               out = dev_output(be, DTYPE_F16, 2, xs);
        CHECK_OK(op_layer_norm(&out, &dx, &dg, &db, 1e-5f));
        snprintf(name, sizeof name, "f16 layer_norm %lldx%lld", (long long)rows, (long long)c);
        check_output(name, be, &out, &ref_ln, tol_f16(1e-5));
        CHECK_OK(op_softmax(&out, &dx));
        snprintf(name, sizeof name, "f16 softmax %lldx%lld scale %g", (long long)rows, (long long)c, scale);
        check_output(name, be, &out, &ref_sm, tol_f16(1e-7));
        CHECK_OK(op_softmax(&dx, &dx)); // in place
        check_output("f16 softmax in-place", be, &dx, &ref_sm, tol_f16(1e-7));
        dev_release(&dx), dev_release(&dg), dev_release(&db), dev_release(&out);
    }
    host_release(&x), host_release(&g), host_release(&bb), host_free(&ref_ln), host_free(&ref_sm);
}

static void attention_case(struct test_backends *tb, rng *r, int64_t b, int64_t tq, int64_t tk, int heads, int64_t dk,
                           int64_t dv, bool fused) {
    int64_t qs[3] = {b, tq, heads * dk}, ks[3] = {b, tk, heads * dk}, vs[3] = {b, tk, heads * dv};
    int64_t os[3] = {b, tq, heads * dv};
    tensor q = host_random(tb, r, DTYPE_F16, 3, qs, 1.0f), k = host_random(tb, r, DTYPE_F16, 3, ks, 1.0f);
    tensor v = host_random(tb, r, DTYPE_F16, 3, vs, 1.0f);
    struct attention_params p = {heads, 1.0f / sqrtf((float)dk)};
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    CHECK_OK(ref_attention(&ref, &q, &k, &v, &p));
    char name[128];
    snprintf(name, sizeof name, "f16 attention b%lld tq%lld tk%lld h%d dk%lld dv%lld%s", (long long)b, (long long)tq,
             (long long)tk, heads, (long long)dk, (long long)dv, fused ? " fused-qkv" : "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_ATTENTION, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dq, dk_, dv_, fusedt = {0};
        if (fused) { // q, k, v as column slices of one (B, T, 3C) tensor
            LS_ASSERT(tq == tk && dk == dv);
            int64_t c = heads * dk, fs[3] = {b, tq, 3 * c};
            tensor hf = host_tensor(tb->cpu, DTYPE_F16, 3, fs);
            for (int64_t row = 0; row < b * tq; row++) {
                memcpy((uint16_t *)hf.data + row * 3 * c, (uint16_t *)q.data + row * c, (size_t)c * 2);
                memcpy((uint16_t *)hf.data + row * 3 * c + c, (uint16_t *)k.data + row * c, (size_t)c * 2);
                memcpy((uint16_t *)hf.data + row * 3 * c + 2 * c, (uint16_t *)v.data + row * c, (size_t)c * 2);
            }
            fusedt = dev_copy(be, &hf);
            host_free(&hf);
            LS_ASSERT(tensor_slice(&dq, &fusedt, 2, 0, c) == LS_OK);
            LS_ASSERT(tensor_slice(&dk_, &fusedt, 2, c, c) == LS_OK);
            LS_ASSERT(tensor_slice(&dv_, &fusedt, 2, 2 * c, c) == LS_OK);
        } else {
            dq = dev_copy(be, &q), dk_ = dev_copy(be, &k), dv_ = dev_copy(be, &v);
        }
        tensor out = dev_output(be, DTYPE_F16, 3, os);
        CHECK_OK(op_attention(&out, &dq, &dk_, &dv_, &p));
        check_output(name, be, &out, &ref, tol_f16(1e-5));
        if (fused)
            dev_release(&fusedt);
        else
            dev_release(&dq), dev_release(&dk_), dev_release(&dv_);
        dev_release(&out);
    }
    host_release(&q), host_release(&k), host_release(&v), host_free(&ref);
}

static void unary_case(struct test_backends *tb, rng *r, unary_op op, int64_t n, float scale) {
    int64_t s[1] = {n};
    tensor x32 = host_random(tb, r, DTYPE_F32, 1, s, scale);
    float *xv = x32.data;
    if (n > 8) xv[0] = 0.0f, xv[1] = -0.0f, xv[2] = 88.0f, xv[3] = -88.0f, xv[4] = 1e-7f, xv[5] = -12.0f, xv[6] = 12.0f;
    tensor x = host_convert(tb, &x32, DTYPE_F16);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 1, s);
    ref_unary(&ref, &x, op);
    static const char *const names[] = {"gelu", "gelu_tanh", "silu", "relu", "relu6"};
    char name[96];
    snprintf(name, sizeof name, "f16 %s n=%lld scale %g", names[op], (long long)n, scale);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_UNARY, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F16, 1, s);
        CHECK_OK(op_unary(&out, &dx, op));
        check_output(name, be, &out, &ref, tol_f16(1e-7));
        // strided input: every other element of a view
        if (n > 1) {
            tensor half_view;
            LS_ASSERT(tensor_slice(&half_view, &dx, 0, 0, n / 2) == LS_OK);
            half_view.stride[0] = 2;
            int64_t hs[1] = {n / 2};
            tensor out2 = dev_output(be, DTYPE_F16, 1, hs), ref2 = host_tensor(tb->cpu, DTYPE_F32, 1, hs);
            for (int64_t j = 0; j < n / 2; j++)
                ((float *)ref2.data)[j] = ((float *)ref.data)[2 * j];
            CHECK_OK(op_unary(&out2, &half_view, op));
            check_output("f16 unary strided input", be, &out2, &ref2, tol_f16(1e-7));
            dev_release(&out2), host_free(&ref2);
        }
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x32), host_free(&x), host_free(&ref);
}

static void geglu_case(struct test_backends *tb, rng *r, int64_t rows, int64_t n) {
    int64_t xs[2] = {rows, 2 * n}, os[2] = {rows, n};
    tensor x = host_random(tb, r, DTYPE_F16, 2, xs, 3.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 2, os);
    ref_geglu(&ref, &x);
    char name[64];
    snprintf(name, sizeof name, "f16 geglu %lldx%lld", (long long)rows, (long long)n);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_GEGLU, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F16, 2, os);
        CHECK_OK(op_geglu(&out, &dx));
        check_output(name, be, &out, &ref, tol_f16(1e-7));
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

// add with the ResNet time-embedding broadcast (B, C) -> (B, F, C, H*W), in place and not; mul; axpby with
// a transposed second input; fill.
static void binary_case(struct test_backends *tb, rng *r) {
    int64_t b = 2, f = 3, c = 5, hw = 7;
    int64_t xs[4] = {b, f, c, hw}, ts[2] = {b, c};
    tensor x = host_random(tb, r, DTYPE_F16, 4, xs, 1.0f), t = host_random(tb, r, DTYPE_F16, 2, ts, 1.0f);
    tensor ref_add = host_tensor(tb->cpu, DTYPE_F32, 4, xs), ref_mul = host_tensor(tb->cpu, DTYPE_F32, 4, xs);
    for (int64_t i = 0; i < tensor_n_elems(&x); i++) {
        int64_t bb = i / (f * c * hw), cc = (i / hw) % c;
        double xv = ref_get(&x, i), tv = ref_get(&t, bb * c + cc);
        ((float *)ref_add.data)[i] = (float)(xv + tv);
        ((float *)ref_mul.data)[i] = (float)(xv * tv);
    }
    int64_t s2[2] = {19, 23}, s2t[2] = {23, 19};
    tensor a2 = host_random(tb, r, DTYPE_F16, 2, s2, 1.0f), b2 = host_random(tb, r, DTYPE_F16, 2, s2t, 1.0f);
    tensor ref_ax = host_tensor(tb->cpu, DTYPE_F32, 2, s2);
    for (int64_t i = 0; i < 19; i++)
        for (int64_t j = 0; j < 23; j++)
            ((float *)ref_ax.data)[i * 23 + j] =
                (float)(0.25 * ref_get(&a2, i * 23 + j) - 1.5 * ref_get(&b2, j * 19 + i));
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_BINARY, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), dt = dev_copy(be, &t), out = dev_output(be, DTYPE_F16, 4, xs), tv = dt;
        tv.n_dims = 4;
        tv.shape[0] = b, tv.shape[1] = f, tv.shape[2] = c, tv.shape[3] = hw;
        tv.stride[0] = c, tv.stride[1] = 0, tv.stride[2] = 1, tv.stride[3] = 0;
        CHECK_OK(op_mul(&out, &dx, &tv));
        check_output("f16 mul broadcast", be, &out, &ref_mul, tol_f16(1e-7));
        CHECK_OK(op_add(&dx, &dx, &tv)); // in place
        check_output("f16 add broadcast in-place", be, &dx, &ref_add, tol_f16(1e-7));
        tensor da = dev_copy(be, &a2), db = dev_copy(be, &b2), bT, o2 = dev_output(be, DTYPE_F16, 2, s2);
        LS_ASSERT(tensor_permute(&bT, &db, (const int[]){1, 0}) == LS_OK);
        CHECK_OK(op_axpby(&o2, 0.25f, &da, -1.5f, &bT));
        check_output("f16 axpby transposed y", be, &o2, &ref_ax, tol_f16(1e-7));
        CHECK_OK(op_fill(&o2, -3.25f));
        bool ok;
        float *got = dev_download_f32(&o2, &ok);
        bool all = ok;
        for (int64_t k = 0; k < 19 * 23; k++)
            all = all && got[k] == -3.25f;
        CHECK(all, "f16 fill [%s]", backend_name(be));
        free(got);
        dev_release(&dx), dev_release(&dt), dev_release(&out), dev_release(&da), dev_release(&db), dev_release(&o2);
    }
    host_release(&x), host_release(&t), host_free(&ref_add), host_free(&ref_mul), host_release(&a2), host_release(&b2);
    host_free(&ref_ax);
}

// nearest x2 upsampling, the UNet layout permute (B*F, C, H, W) -> (B*H*W, F, C) in f16, and f16 <-> f32/bf16
// copies of a strided view.
static void layout_case(struct test_backends *tb, rng *r) {
    int64_t xs[4] = {2, 3, 5, 7}, us[4] = {2, 3, 10, 14};
    tensor x = host_random(tb, r, DTYPE_F16, 4, xs, 1.0f), ref_up = host_tensor(tb->cpu, DTYPE_F32, 4, us);
    ref_upsample2x(&ref_up, &x);
    int64_t bf = 6, c = 40, h = 4, w = 9, f = 3;
    int64_t fs[4] = {bf, c, h, w}, ts[3] = {bf / f * h * w, f, c};
    tensor fr = host_random(tb, r, DTYPE_F16, 4, fs, 1.0f), ref_t = host_tensor(tb->cpu, DTYPE_F32, 3, ts);
    for (int64_t bb = 0; bb < bf / f; bb++)
        for (int64_t ff = 0; ff < f; ff++)
            for (int64_t cc = 0; cc < c; cc++)
                for (int64_t p = 0; p < h * w; p++)
                    ((float *)ref_t.data)[((bb * h * w + p) * f + ff) * c + cc] =
                        (float)ref_get(&fr, ((bb * f + ff) * c + cc) * h * w + p);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_UPSAMPLE2X, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F16, 4, us);
        CHECK_OK(op_upsample2x(&out, &dx));
        check_output("f16 upsample2x", be, &out, &ref_up, (struct tolerance){0, 0, 0});
        tensor dfr = dev_copy(be, &fr), tm = dev_output(be, DTYPE_F16, 3, ts);
        CHECK_OK(op_frames_to_temporal(&tm, &dfr, f));
        check_output("f16 frames_to_temporal", be, &tm, &ref_t, (struct tolerance){0, 0, 0});
        // the same permute as a strided view copied into f32 and bf16: (B*F, C, H, W) -> (B, F, C, HW) ->
        // (B, HW, F, C)
        tensor x4, view, o32v, obfv;
        tensor o32 = dev_output(be, DTYPE_F32, 3, ts), obf = dev_output(be, DTYPE_BF16, 3, ts);
        LS_ASSERT(tensor_reshape(&x4, &dfr, 4, (const int64_t[]){bf / f, f, c, h * w}) == LS_OK);
        LS_ASSERT(tensor_permute(&view, &x4, (const int[]){0, 3, 1, 2}) == LS_OK);
        LS_ASSERT(tensor_reshape(&o32v, &o32, 4, view.shape) == LS_OK);
        LS_ASSERT(tensor_reshape(&obfv, &obf, 4, view.shape) == LS_OK);
        CHECK_OK(op_copy(&o32v, &view));
        check_output("f16->f32 transposing copy", be, &o32, &ref_t, (struct tolerance){0, 0, 0});
        CHECK_OK(op_copy(&obfv, &view));
        tensor ref_bf = host_convert(tb, &ref_t, DTYPE_BF16), ref_bf32 = host_convert(tb, &ref_bf, DTYPE_F32);
        check_output("f16->bf16 transposing copy", be, &obf, &ref_bf32, (struct tolerance){0, 0, 0});
        host_free(&ref_bf), host_free(&ref_bf32);
        dev_release(&dx), dev_release(&out), dev_release(&dfr), dev_release(&tm), dev_release(&o32), dev_release(&obf);
    }
    host_release(&x), host_free(&ref_up), host_release(&fr), host_free(&ref_t);
}

static void timestep_case(struct test_backends *tb) {
    int64_t ts[1] = {5}, os[2] = {5, 320};
    tensor t = host_tensor(tb->cpu, DTYPE_F32, 1, ts), ref = host_tensor(tb->cpu, DTYPE_F32, 2, os);
    const float tv[5] = {951, 501, 1, 0, 999};
    memcpy(t.data, tv, sizeof tv);
    struct timestep_params p = {true, 0.0f, 10000.0f};
    ref_timestep_embedding(&ref, &t, &p);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!backend_runs(be, OP_TIMESTEP_EMBEDDING, DTYPE_F16, DTYPE_COUNT)) continue;
        n_runs++;
        tensor dt = dev_copy(be, &t), out = dev_output(be, DTYPE_F16, 2, os);
        CHECK_OK(op_timestep_embedding(&out, &dt, &p));
        check_output("f16 timestep_embedding", be, &out, &ref, tol_f16(1.5e-4));
        dev_release(&dt), dev_release(&out);
    }
    host_free(&t), host_free(&ref);
}

static struct conv2d_params params(int s, int pt, int pb, int pl, int pr, int d, int g) {
    return (struct conv2d_params){s, s, pt, pb, pl, pr, d, d, g};
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    bool any = false;
    for (int i = 0; i < tb.n; i++)
        any = any || backend_runs(tb.list[i], OP_UNARY, DTYPE_F16, DTYPE_COUNT);
    if (!any) {
        test_backends_free(&tb);
        printf("skip: no backend takes f16 activations\n");
        return 77;
    }
    rng r = {16};
    const int64_t shapes[][3] = {{1, 1, 1}, {13, 31, 17}, {29, 320, 95}, {64, 1300, 70}, {33, 384, 1536}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        linear_case(&tb, &r, shapes[i][0], shapes[i][1], shapes[i][2], DTYPE_F16, i % 2 == 0);
    const dtype wdts[] = {DTYPE_F32, DTYPE_BF16, DTYPE_I8};
    for (int d = 0; d < 3; d++) {
        linear_case(&tb, &r, 37, 77, 45, wdts[d], true);
        linear_case(&tb, &r, 128, 640, 96, wdts[d], false);
    }
    conv_case(&tb, &r, 2, 3, 9, 7, 5, 3, params(1, 1, 1, 1, 1, 1, 1), DTYPE_F16);
    conv_case(&tb, &r, 3, 13, 8, 8, 20, 3, params(1, 1, 1, 1, 1, 1, 1), DTYPE_F16);
    conv_case(&tb, &r, 2, 16, 17, 15, 16, 3, params(2, 0, 1, 0, 1, 1, 1), DTYPE_F16);  // asymmetric pad
    conv_case(&tb, &r, 2, 40, 11, 13, 30, 1, params(1, 0, 0, 0, 0, 1, 1), DTYPE_F16);  // 1x1
    conv_case(&tb, &r, 2, 16, 13, 11, 16, 3, params(1, 1, 1, 1, 1, 1, 16), DTYPE_F16); // depthwise
    conv_case(&tb, &r, 2, 12, 10, 10, 18, 3, params(1, 1, 1, 1, 1, 1, 3), DTYPE_BF16); // groups
    conv_case(&tb, &r, 1, 8, 12, 12, 8, 3, params(1, 2, 2, 2, 2, 2, 1), DTYPE_F32);    // dilation
    conv_case(&tb, &r, 2, 64, 34, 33, 70, 3, params(1, 1, 1, 1, 1, 1, 1), DTYPE_I8);
    conv1d_case(&tb, &r, 12, 31, 10, 3, 2, 1);
    group_norm_case(&tb, &r, 2, 64, 5, 7, 32, 1, false, 0.0f);
    group_norm_case(&tb, &r, 8, 96, 3, 5, 32, 4, true, 50.0f);
    group_norm_case(&tb, &r, 1, 128, 33, 17, 32, 1, true, -20.0f);
    layer_norm_softmax_case(&tb, &r, 1, 1, 1.0f);
    layer_norm_softmax_case(&tb, &r, 37, 320, 4.0f);
    layer_norm_softmax_case(&tb, &r, 5, 1283, 20.0f);
    attention_case(&tb, &r, 3, 16, 16, 8, 40, 40, false);
    attention_case(&tb, &r, 2, 65, 65, 4, 40, 40, true);
    attention_case(&tb, &r, 2, 100, 50, 8, 80, 80, false);
    attention_case(&tb, &r, 1, 63, 300, 3, 80, 24, false);
    attention_case(&tb, &r, 1, 130, 130, 1, 512, 512, false);
    for (int op = 0; op < UNARY_COUNT; op++) {
        unary_case(&tb, &r, (unary_op)op, 1, 1.0f);
        unary_case(&tb, &r, (unary_op)op, 10037, 6.0f);
    }
    geglu_case(&tb, &r, 13, 77);
    geglu_case(&tb, &r, 64, 1280);
    binary_case(&tb, &r);
    layout_case(&tb, &r);
    timestep_case(&tb);
    test_backends_free(&tb);
    CHECK(n_runs > 0, "no case ran");
    return harness_exit();
}
