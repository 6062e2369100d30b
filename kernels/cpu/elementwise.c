// elementwise.c — CPU binary add/mul over strided or broadcast inputs, axpby and fill.
// Rows of the last dim are the unit of work; inner loops are vectorised when the input's last stride is
// 1 (or 0: a broadcast scalar per row). Tested by tests/ops/test_elementwise.c.
#include "cpu-impl.h"
#include "vecmath.h"

// Offset (in elements) of row `r` (index over all dims but the last) of t.
static int64_t row_offset(const tensor *t, int64_t r) {
    int64_t off = 0;
    for (int d = t->n_dims - 2; d >= 0; d--) {
        off += (r % t->shape[d]) * t->stride[d];
        r /= t->shape[d];
    }
    return off;
}

struct binary_job {
    const tensor *out, *a, *b;
    binary_op op;
    float alpha, beta; // axpby
    int64_t n;         // row length
};

static void row_op(float *o, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n, int kind, float alpha,
                   float beta) {
    // kind: 0 add, 1 mul, 2 axpby, 3 alpha * a
    int64_t i = 0;
    if ((sa == 1 || sa == 0) && (sb == 1 || sb == 0 || kind == 3)) {
        vf va0 = vsplat(sa == 0 ? a[0] : 0.0f), vb0 = vsplat(kind != 3 && sb == 0 ? b[0] : 0.0f);
        for (; i + VEC_LANES <= n; i += VEC_LANES) {
            vf va = sa ? vload(a + i) : va0;
            vf vb = kind == 3 ? vb0 : sb ? vload(b + i) : vb0;
            vf r = kind == 0 ? va + vb : kind == 1 ? va * vb : kind == 2 ? alpha * va + beta * vb : alpha * va;
            vstore(o + i, r);
        }
    }
    for (; i < n; i++) {
        float x = a[i * sa], y = kind == 3 ? 0.0f : b[i * sb];
        o[i] = kind == 0 ? x + y : kind == 1 ? x * y : kind == 2 ? alpha * x + beta * y : alpha * x;
    }
}

static void binary_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct binary_job *job = arg;
    const tensor *a = job->a, *b = job->b;
    int last = job->out->n_dims - 1;
    int64_t sa = last >= 0 ? a->stride[last] : 1, sb = b && last >= 0 ? b->stride[last] : 1;
    int kind = job->op == BINARY_COUNT ? (b ? 2 : 3) : (int)job->op;
    for (int64_t r = begin; r < end; r++) {
        float *o = (float *)job->out->data + r * job->n;
        const float *pa = (const float *)a->data + row_offset(a, r);
        const float *pb = b ? (const float *)b->data + row_offset(b, r) : NULL;
        row_op(o, pa, sa, pb, sb, job->n, kind, job->alpha, job->beta);
    }
}

static ls_status run_binary(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op, float alpha,
                            float beta) {
    int64_t n = out->n_dims ? out->shape[out->n_dims - 1] : 1;
    if (n == 0) return LS_OK;
    struct binary_job job = {out, a, b, op, alpha, beta, n};
    int64_t rows = tensor_n_elems(out) / n;
    cpu_parallel_for(ctx, rows, (16384 + n - 1) / n, binary_range, &job);
    return LS_OK;
}

ls_status cpu_binary(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op) {
    return run_binary(ctx, out, a, b, op, 1.0f, 1.0f);
}

ls_status cpu_axpby(void *ctx, const tensor *out, float alpha, const tensor *x, float beta, const tensor *y) {
    return run_binary(ctx, out, x, y, BINARY_COUNT, alpha, beta);
}

ls_status cpu_fill(void *ctx, const tensor *out, float value) {
    (void)ctx;
    int64_t n = tensor_n_elems(out);
    if (out->dtype == DTYPE_I32) {
        int32_t *o = out->data;
        for (int64_t i = 0; i < n; i++) o[i] = (int32_t)value;
        return LS_OK;
    }
    float *o = out->data;
    for (int64_t i = 0; i < n; i++) o[i] = value;
    return LS_OK;
}
