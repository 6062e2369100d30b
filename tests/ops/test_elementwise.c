// test_elementwise.c — activations (incl. extreme inputs), GEGLU, add/mul with strided and broadcast
// inputs (the ResNet time-embedding broadcast), axpby, fill, nearest x2 upsampling and the timestep
// embedding, on every backend against kernels/ref (double). Tolerances: activations rtol 1e-5 atol 1e-6
// (vectorised exp/erf/tanh are within a few float ulp); exact ops 0; timestep embedding atol 1.5e-4
// (float32 arguments up to 999 carry ~6e-5 of rounding, as torch's float32 path does).
#include "op_test.h"

static void unary_case(struct test_backends *tb, rng *r, unary_op op, int64_t n, float scale) {
    int64_t s[1] = {n};
    tensor x = host_random(tb, r, DTYPE_F32, 1, s, scale);
    float *xv = x.data;
    if (n > 8) xv[0] = 0.0f, xv[1] = -0.0f, xv[2] = 88.0f, xv[3] = -88.0f, xv[4] = 1e-8f, xv[5] = -12.0f, xv[6] = 12.0f;
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 1, s);
    ref_unary(&ref, &x, op);
    static const char *const names[] = {"gelu", "gelu_tanh", "silu", "relu", "relu6"};
    char name[96];
    snprintf(name, sizeof name, "%s n=%lld scale %g", names[op], (long long)n, scale);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, 1, s);
        CHECK_OK(op_unary(&out, &dx, op));
        check_output(name, be, &out, &ref, (struct tolerance){1e-6, 1e-5, 1e-10});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

static void geglu_case(struct test_backends *tb, rng *r, int64_t rows, int64_t n) {
    int64_t xs[2] = {rows, 2 * n}, os[2] = {rows, n};
    tensor x = host_random(tb, r, DTYPE_F32, 2, xs, 3.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 2, os);
    ref_geglu(&ref, &x);
    char name[64];
    snprintf(name, sizeof name, "geglu %lldx%lld", (long long)rows, (long long)n);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, 2, os);
        CHECK_OK(op_geglu(&out, &dx));
        check_output(name, be, &out, &ref, (struct tolerance){1e-6, 1e-5, 1e-10});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

// out (B*F, C, H, W) = x + temb[b] broadcast over F, H, W: temb (B, C) viewed as (B, F, C, H*W) with
// strides (C, 0, 1, 0), exactly how the UNet's ResNets add the time embedding.
static void broadcast_add_case(struct test_backends *tb, rng *r) {
    int64_t b = 2, f = 3, c = 5, hw = 7;
    int64_t xs[4] = {b, f, c, hw}, ts[2] = {b, c};
    tensor x = host_random(tb, r, DTYPE_F32, 4, xs, 1.0f), t = host_random(tb, r, DTYPE_F32, 2, ts, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, xs);
    for (int64_t i = 0; i < tensor_n_elems(&x); i++) {
        int64_t bb = i / (f * c * hw), cc = (i / hw) % c;
        ((float *)ref.data)[i] = ((float *)x.data)[i] + ((float *)t.data)[bb * c + cc];
    }
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), dt = dev_copy(be, &t), out = dev_output(be, DTYPE_F32, 4, xs), tv;
        tv = dt;
        tv.n_dims = 4;
        tv.shape[0] = b, tv.shape[1] = f, tv.shape[2] = c, tv.shape[3] = hw;
        tv.stride[0] = c, tv.stride[1] = 0, tv.stride[2] = 1, tv.stride[3] = 0;
        CHECK_OK(op_add(&out, &dx, &tv));
        check_output("add broadcast temb", be, &out, &ref, (struct tolerance){0, 0, 0});
        CHECK_OK(op_add(&dx, &dx, &tv)); // in place
        check_output("add broadcast temb in-place", be, &dx, &ref, (struct tolerance){0, 0, 0});
        dev_release(&dx), dev_release(&dt), dev_release(&out);
    }
    host_release(&x), host_release(&t), host_free(&ref);
}

static void binary_case(struct test_backends *tb, rng *r, binary_op op) {
    int64_t s[3] = {3, 17, 33};
    tensor a = host_random(tb, r, DTYPE_F32, 3, s, 1.0f), bt = host_random(tb, r, DTYPE_F32, 3, s, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, s), ref2 = host_tensor(tb->cpu, DTYPE_F32, 3, s);
    ref_binary(&ref, &a, &bt, op);
    ref_axpby(&ref2, 0.25f, &a, -1.5f, &bt);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor da = dev_copy(be, &a), db = dev_copy(be, &bt), out = dev_output(be, DTYPE_F32, 3, s);
        CHECK_OK(op == BINARY_ADD ? op_add(&out, &da, &db) : op_mul(&out, &da, &db));
        check_output(op == BINARY_ADD ? "add" : "mul", be, &out, &ref, (struct tolerance){0, 0, 0});
        CHECK_OK(op_axpby(&out, 0.25f, &da, -1.5f, &db));
        check_output("axpby", be, &out, &ref2, (struct tolerance){1e-7, 1e-6, 1e-12});
        // transposed (strided) second input: out = a + b^T over the last two dims
        tensor bT;
        LS_ASSERT(tensor_permute(&bT, &db, (const int[]){0, 2, 1}) == LS_OK);
        tensor outT = dev_output(be, DTYPE_F32, 3, bT.shape), aT = host_tensor(tb->cpu, DTYPE_F32, 3, bT.shape);
        tensor refT = host_tensor(tb->cpu, DTYPE_F32, 3, bT.shape), hbT;
        LS_ASSERT(tensor_permute(&hbT, &bt, (const int[]){0, 2, 1}) == LS_OK);
        for (int64_t k = 0; k < tensor_n_elems(&aT); k++) ((float *)aT.data)[k] = 0.5f;
        ref_binary(&refT, &aT, &hbT, op);
        tensor daT = dev_copy(be, &aT);
        CHECK_OK(op == BINARY_ADD ? op_add(&outT, &daT, &bT) : op_mul(&outT, &daT, &bT));
        check_output("binary strided input", be, &outT, &refT, (struct tolerance){0, 0, 0});
        CHECK_OK(op_fill(&out, 2.5f));
        bool ok;
        float *f = dev_download_f32(&out, &ok);
        bool all = ok;
        for (int64_t k = 0; k < tensor_n_elems(&out); k++) all = all && f[k] == 2.5f;
        CHECK(all, "fill [%s]", backend_name(be));
        free(f);
        dev_release(&da), dev_release(&db), dev_release(&out), dev_release(&outT), dev_release(&daT);
        host_free(&aT), host_free(&refT);
    }
    host_release(&a), host_release(&bt), host_free(&ref), host_free(&ref2);
}

static void upsample_case(struct test_backends *tb, rng *r) {
    int64_t xs[4] = {2, 3, 5, 7}, os[4] = {2, 3, 10, 14};
    tensor x = host_random(tb, r, DTYPE_F32, 4, xs, 1.0f), ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
    ref_upsample2x(&ref, &x);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, 4, os);
        CHECK_OK(op_upsample2x(&out, &dx));
        check_output("upsample2x", be, &out, &ref, (struct tolerance){0, 0, 0});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

static void timestep_case(struct test_backends *tb, bool flip, float shift) {
    int64_t ts[1] = {5}, os[2] = {5, 320};
    tensor t = host_tensor(tb->cpu, DTYPE_F32, 1, ts), ref = host_tensor(tb->cpu, DTYPE_F32, 2, os);
    const float tv[5] = {951, 501, 1, 0, 999};
    memcpy(t.data, tv, sizeof tv);
    struct timestep_params p = {flip, shift, 10000.0f};
    ref_timestep_embedding(&ref, &t, &p);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dt = dev_copy(be, &t), out = dev_output(be, DTYPE_F32, 2, os);
        CHECK_OK(op_timestep_embedding(&out, &dt, &p));
        check_output(flip ? "timestep_embedding flip" : "timestep_embedding shift1", be, &out, &ref,
                     (struct tolerance){1.5e-4, 0, 1e-9});
        dev_release(&dt), dev_release(&out);
    }
    host_free(&t), host_free(&ref);
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {5};
    for (int op = 0; op < UNARY_COUNT; op++) {
        unary_case(&tb, &r, (unary_op)op, 1, 1.0f);
        unary_case(&tb, &r, (unary_op)op, 1037, 4.0f);
        unary_case(&tb, &r, (unary_op)op, 100000, 10.0f);
    }
    geglu_case(&tb, &r, 1, 1);
    geglu_case(&tb, &r, 13, 77);
    geglu_case(&tb, &r, 64, 1280);
    broadcast_add_case(&tb, &r);
    binary_case(&tb, &r, BINARY_ADD);
    binary_case(&tb, &r, BINARY_MUL);
    upsample_case(&tb, &r);
    timestep_case(&tb, true, 0.0f);
    timestep_case(&tb, false, 1.0f);
    test_backends_free(&tb);
    return harness_exit();
}
