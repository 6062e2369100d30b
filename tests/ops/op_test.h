// op_test.h — helpers for the op suite: the backends under test (CPU always; CUDA when built and a GPU is
// present), moving host tensors to a backend and back, and checking a backend's output against the
// reference kernel's. Every op test runs the same cases on every backend (the porting contract).
#ifndef LS_OP_TEST_H
#define LS_OP_TEST_H

#include "backends.h"
#include "harness.h"
#include "ops.h"
#include "ref.h"

#define MAX_TEST_BACKENDS 4

struct test_backends {
    struct backend *cpu; // host tensors and reference outputs live here
    struct backend *list[MAX_TEST_BACKENDS];
    int n;
};

// Creates the CPU backend (2 threads, so threaded paths run even on one core) and any GPU backend.
// LS_BACKENDS=cpu limits the list.
static inline void test_backends_init(struct test_backends *tb) {
    memset(tb, 0, sizeof *tb);
    LS_ASSERT(backend_cpu_init(&tb->cpu, 2) == LS_OK);
    tb->list[tb->n++] = tb->cpu;
    const char *only = getenv("LS_BACKENDS");
    if (backend_cuda_device_count() > 0 && !(only && !strstr(only, "cuda"))) {
        struct backend *cuda;
        if (backend_cuda_init(&cuda, 0) == LS_OK) tb->list[tb->n++] = cuda;
        else fprintf(stderr, "note: cuda backend not usable: %s\n", ls_error());
    }
}

static inline void test_backends_free(struct test_backends *tb) {
    for (int i = 1; i < tb->n; i++) backend_free(tb->list[i]);
    backend_free(tb->cpu);
}

// A host tensor with random normal values (scale) in dtype dt (f32/f16/bf16; i8 gets random scales).
static inline tensor host_random(struct test_backends *tb, rng *r, dtype dt, int n_dims, const int64_t *shape,
                                 float scale) {
    tensor t = host_tensor(tb->cpu, dt, n_dims, shape);
    int64_t n = tensor_n_elems(&t);
    if (dt == DTYPE_I8) {
        int8_t *q = t.data;
        for (int64_t i = 0; i < n; i++) q[i] = (int8_t)((int)(rng_next(r) % 255) - 127);
        float *s = malloc((size_t)(shape[0] > 0 ? shape[0] : 1) * 4);
        for (int64_t i = 0; i < shape[0]; i++) s[i] = scale / 127.0f * (0.5f + rng_uniform(r));
        t.scale = s;
        return t;
    }
    for (int64_t i = 0; i < n; i++) ref_set(&t, i, scale * rng_normal(r));
    return t;
}

static inline void host_release(tensor *t) {
    free((void *)t->scale);
    t->scale = NULL;
    host_free(t);
}

// Copy of a host tensor on backend be (same dtype); free with dev_release. On the CPU backend the copy
// is a separate allocation too, so aliasing bugs show up.
static inline tensor dev_copy(struct backend *be, const tensor *host) {
    tensor t = *host;
    t.backend = be;
    for (int i = 0; i < t.n_dims; i++) t.stride[i] = host->stride[i];
    size_t n = tensor_n_bytes(host);
    LS_ASSERT(backend_alloc(be, n + GUARD_BYTES, &t.data) == LS_OK);
    unsigned char *staged = malloc(n + GUARD_BYTES); // data + guard bytes, so in-place outputs are checked too
    memcpy(staged, host->data, n);
    memset(staged + n, GUARD_BYTE, GUARD_BYTES);
    LS_ASSERT(be->ops->upload(be->ctx, t.data, staged, n + GUARD_BYTES) == LS_OK);
    free(staged);
    t.scale = NULL;
    if (host->scale) {
        void *s;
        LS_ASSERT(backend_alloc(be, (size_t)host->shape[0] * 4, &s) == LS_OK);
        LS_ASSERT(be->ops->upload(be->ctx, s, host->scale, (size_t)host->shape[0] * 4) == LS_OK);
        t.scale = s;
    }
    return t;
}

// An output tensor on be, filled with NaN-ish garbage (so unwritten elements are noticed).
static inline tensor dev_output(struct backend *be, dtype dt, int n_dims, const int64_t *shape) {
    tensor t;
    LS_ASSERT(tensor_wrap(&t, be, dt, n_dims, shape, NULL) == LS_OK);
    size_t n = tensor_n_bytes(&t);
    LS_ASSERT(backend_alloc(be, n + GUARD_BYTES, &t.data) == LS_OK);
    unsigned char *junk = malloc(n + GUARD_BYTES);
    memset(junk, 0xFF, n);
    memset(junk + n, GUARD_BYTE, GUARD_BYTES);
    LS_ASSERT(be->ops->upload(be->ctx, t.data, junk, n + GUARD_BYTES) == LS_OK);
    free(junk);
    return t;
}

static inline void dev_release(tensor *t) {
    backend_release(t->backend, (void *)t->scale);
    backend_release(t->backend, t->data);
    t->data = NULL;
    t->scale = NULL;
}

// Downloads a contiguous backend tensor as f32 (malloc'd); checks its guard bytes.
static inline float *dev_download_f32(const tensor *t, bool *guard_ok) {
    size_t n = (size_t)tensor_n_elems(t), bytes = tensor_n_bytes(t);
    unsigned char *raw = malloc(bytes + GUARD_BYTES);
    LS_ASSERT(t->backend->ops->download(t->backend->ctx, raw, t->data, bytes + GUARD_BYTES) == LS_OK);
    *guard_ok = true;
    for (int i = 0; i < GUARD_BYTES; i++)
        if (raw[bytes + i] != GUARD_BYTE) *guard_ok = false;
    float *out = malloc(n * 4 + 4);
    tensor h;
    LS_ASSERT(tensor_wrap(&h, NULL, t->dtype, t->n_dims, t->shape, raw) == LS_OK);
    for (size_t i = 0; i < n; i++) out[i] = (float)ref_get(&h, (int64_t)i);
    free(raw);
    return out;
}

// Checks a backend output against a host reference tensor (f32).
static inline bool check_output(const char *name, struct backend *be, const tensor *got, const tensor *ref,
                                struct tolerance tol) {
    char label[160];
    snprintf(label, sizeof label, "%s [%s]", name, backend_name(be));
    bool guard_ok;
    float *g = dev_download_f32(got, &guard_ok);
    CHECK(guard_ok, "%s: output guard bytes overwritten", label);
    bool ok = check_close(label, g, ref->data, tensor_n_elems(ref), tol);
    free(g);
    return ok && guard_ok;
}

// --- activation dtypes -----------------------------------------------------------------------------------------
// Every case runs in f32 on every backend (the cases above); backends that also take f16 activations (CUDA)
// run the f16 suite (test_f16.c), whose inputs are f16 host tensors, so the reference sees exactly the values
// the backend sees and the bound only has to cover the backend's own arithmetic and its output rounding.

// Whether be runs op with activations (output) in act and weights in w (DTYPE_COUNT: no weight).
static inline bool backend_runs(struct backend *be, op_kind op, dtype act, dtype w) {
    return be->ops->supports(be->ctx, op, act, w);
}

// A host copy of t converted element by element to dt (f32/f16/bf16), rounding as dt does (i8 weights are
// dequantized first, q * scale). Free with host_free.
static inline tensor host_convert(struct test_backends *tb, const tensor *t, dtype dt) {
    tensor c = host_tensor(tb->cpu, dt, t->n_dims, t->shape);
    for (int64_t i = 0; i < tensor_n_elems(&c); i++) ref_set(&c, i, ref_get(t, i));
    return c;
}

// f16 outputs computed in fp32 from f16 inputs (STYLE 8.2): rounding to f16 is at most 2^-11 ~ 4.9e-4
// relative, so rtol is two f16 epsilons (2e-3, a quarter of it used by the rounding); atol covers f16
// subnormals and, given per op, fp32 accumulation error on outputs near zero; nmse 1e-6 (rounding alone
// gives ~8e-8).
static inline struct tolerance tol_f16(double atol) { return (struct tolerance){atol, 2e-3, 1e-6}; }

#endif
