// activation.c — CPU unary activations (GELU erf/tanh, SiLU, ReLU, ReLU6) and the GEGLU gate.
// Vectorised with vecmath.h; tested by tests/ops/test_activation.c against libm in double.
#include <string.h>

#include "cpu-impl.h"
#include "vecmath.h"

static inline vf apply_unary(vf x, unary_op op) {
    switch (op) {
    case UNARY_GELU: return vgelu(x);
    case UNARY_GELU_TANH: return vgelu_tanh(x);
    case UNARY_SILU: return vsilu(x);
    case UNARY_RELU: return vmax(x, vsplat(0.0f));
    case UNARY_RELU6: return vmin(vmax(x, vsplat(0.0f)), vsplat(6.0f));
    default: return x;
    }
}

// Applies op to n contiguous floats (the tail goes through a padded vector).
static void unary_run(float *o, const float *x, int64_t n, unary_op op) {
    int64_t i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES) vstore(o + i, apply_unary(vload(x + i), op));
    if (i < n) {
        float buf[VEC_LANES] = {0};
        memcpy(buf, x + i, (size_t)(n - i) * 4);
        vstore(buf, apply_unary(vload(buf), op));
        memcpy(o + i, buf, (size_t)(n - i) * 4);
    }
}

struct unary_job {
    const tensor *out, *x;
    unary_op op;
};

static void unary_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct unary_job *job = arg;
    unary_run((float *)job->out->data + begin, (const float *)job->x->data + begin, end - begin, job->op);
}

ls_status cpu_unary(void *ctx, const tensor *out, const tensor *x, unary_op op) {
    if (!tensor_is_contiguous(x)) { // strided input: gather first (rare; activations are contiguous)
        LS_TRY(cpu_copy(ctx, out, x));
        x = out;
    }
    struct unary_job job = {out, x, op};
    cpu_parallel_for(ctx, tensor_n_elems(out), 1 << 14, unary_range, &job);
    return LS_OK;
}

struct geglu_job {
    const tensor *out, *x;
    int64_t n; // output row width
};

static void geglu_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct geglu_job *job = arg;
    int64_t n = job->n;
    for (int64_t r = begin; r < end; r++) {
        const float *val = (const float *)job->x->data + r * 2 * n, *gate = val + n;
        float *o = (float *)job->out->data + r * n;
        int64_t i = 0;
        for (; i + VEC_LANES <= n; i += VEC_LANES) vstore(o + i, vload(val + i) * vgelu(vload(gate + i)));
        for (; i < n; i++) {
            float buf[VEC_LANES] = {0};
            buf[0] = gate[i];
            o[i] = val[i] * vgelu(vload(buf))[0];
        }
    }
}

ls_status cpu_geglu(void *ctx, const tensor *out, const tensor *x) {
    int64_t n = out->shape[out->n_dims - 1];
    struct geglu_job job = {out, x, n};
    int64_t rows = n ? tensor_n_elems(out) / n : 0;
    cpu_parallel_for(ctx, rows, n ? (8192 + n - 1) / n : 1, geglu_range, &job);
    return LS_OK;
}
