// test_attention.c — op_attention on every backend against the naive reference: the short-sequence path
// (16 frames), the tiled path (block edges: 1, 63, 64, 65, 257, 300 tokens), cross attention with 50 keys,
// head widths 40/64/80/160 and 512 (VAE), value width != key width, and q/k/v as strided slices of one fused
// projection. Tolerance: rtol 1e-4, atol 1e-5, nmse 1e-8 (fp32 vs double).
#include "op_test.h"

static void run_case(struct test_backends *tb, rng *r, int64_t b, int64_t tq, int64_t tk, int heads, int64_t dk,
                     int64_t dv, bool fused) {
    int64_t qs[3] = {b, tq, heads * dk}, ks[3] = {b, tk, heads * dk}, vs[3] = {b, tk, heads * dv};
    int64_t os[3] = {b, tq, heads * dv};
    tensor q = host_random(tb, r, DTYPE_F32, 3, qs, 1.0f), k = host_random(tb, r, DTYPE_F32, 3, ks, 1.0f);
    tensor v = host_random(tb, r, DTYPE_F32, 3, vs, 1.0f);
    struct attention_params p = {heads, 1.0f / sqrtf((float)dk)};
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 3, os);
    CHECK_OK(ref_attention(&ref, &q, &k, &v, &p));
    char name[128];
    snprintf(name, sizeof name, "attention b%lld tq%lld tk%lld h%d dk%lld dv%lld%s", (long long)b, (long long)tq,
             (long long)tk, heads, (long long)dk, (long long)dv, fused ? " fused-qkv" : "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dq, dk_, dv_, fusedt = {0};
        if (fused) { // q, k, v as column slices of one (B, T, 3C) tensor, as a fused projection yields
            LS_ASSERT(tq == tk && dk == dv);
            int64_t c = heads * dk, fs[3] = {b, tq, 3 * c};
            tensor hf = host_tensor(tb->cpu, DTYPE_F32, 3, fs);
            for (int64_t row = 0; row < b * tq; row++) {
                memcpy((float *)hf.data + row * 3 * c, (float *)q.data + row * c, (size_t)c * 4);
                memcpy((float *)hf.data + row * 3 * c + c, (float *)k.data + row * c, (size_t)c * 4);
                memcpy((float *)hf.data + row * 3 * c + 2 * c, (float *)v.data + row * c, (size_t)c * 4);
            }
            fusedt = dev_copy(be, &hf);
            host_free(&hf);
            LS_ASSERT(tensor_slice(&dq, &fusedt, 2, 0, c) == LS_OK);
            LS_ASSERT(tensor_slice(&dk_, &fusedt, 2, c, c) == LS_OK);
            LS_ASSERT(tensor_slice(&dv_, &fusedt, 2, 2 * c, c) == LS_OK);
        } else {
            dq = dev_copy(be, &q), dk_ = dev_copy(be, &k), dv_ = dev_copy(be, &v);
        }
        tensor out = dev_output(be, DTYPE_F32, 3, os);
        CHECK_OK(op_attention(&out, &dq, &dk_, &dv_, &p));
        check_output(name, be, &out, &ref, (struct tolerance){1e-5, 1e-4, 1e-8});
        if (fused) dev_release(&fusedt);
        else dev_release(&dq), dev_release(&dk_), dev_release(&dv_);
        dev_release(&out);
    }
    host_release(&q), host_release(&k), host_release(&v), host_free(&ref);
}

static void bad_args(struct test_backends *tb) {
    tensor q = host_tensor(tb->cpu, DTYPE_F32, 3, (int64_t[]){2, 5, 16});
    tensor k = host_tensor(tb->cpu, DTYPE_F32, 3, (int64_t[]){2, 7, 16});
    tensor v = host_tensor(tb->cpu, DTYPE_F32, 3, (int64_t[]){2, 6, 16});
    tensor o = host_tensor(tb->cpu, DTYPE_F32, 3, (int64_t[]){2, 5, 16});
    CHECK_FAILS(op_attention(&o, &q, &k, &v, &(struct attention_params){4, 0.5f}), LS_ERR_SHAPE, "do not agree");
    CHECK_FAILS(op_attention(&o, &q, &k, &k, &(struct attention_params){3, 0.5f}), LS_ERR_SHAPE, "heads");
    host_free(&q), host_free(&k), host_free(&v), host_free(&o);
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {11};
    run_case(&tb, &r, 3, 16, 16, 8, 40, 40, false);   // motion module
    run_case(&tb, &r, 2, 24, 24, 2, 160, 160, false); // motion module, widest head, 24 frames
    run_case(&tb, &r, 2, 1, 1, 1, 8, 8, false);
    run_case(&tb, &r, 1, 1, 300, 2, 40, 40, false);
    run_case(&tb, &r, 2, 65, 65, 4, 40, 40, true);
    run_case(&tb, &r, 1, 257, 257, 2, 64, 64, false);
    run_case(&tb, &r, 2, 100, 50, 8, 80, 80, false);  // audio cross-attention
    run_case(&tb, &r, 1, 63, 300, 3, 80, 24, false);  // value width differs
    run_case(&tb, &r, 1, 130, 130, 1, 512, 512, false); // VAE mid-block, one head
    run_case(&tb, &r, 1, 70, 33, 2, 160, 160, false);
    bad_args(&tb);
    test_backends_free(&tb);
    return harness_exit();
}
