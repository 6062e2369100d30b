// elementwise.c — reference activations, GEGLU, add/mul, axpby, nearest x2 upsampling, copy, and the
// sinusoidal timestep embedding (in double).
#include <math.h>

#include "ref.h"

double ref_unary_scalar(double x, unary_op op) {
    switch (op) {
    case UNARY_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case UNARY_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case UNARY_SILU: return x / (1.0 + exp(-x));
    case UNARY_RELU: return x > 0 ? x : 0.0;
    case UNARY_RELU6: return x < 0 ? 0.0 : x > 6 ? 6.0 : x;
    default: return x;
    }
}

void ref_unary(const tensor *out, const tensor *x, unary_op op) {
    for (int64_t i = 0; i < tensor_n_elems(out); i++) ref_set(out, i, ref_unary_scalar(ref_get(x, i), op));
}

void ref_geglu(const tensor *out, const tensor *x) {
    int64_t n = out->shape[out->n_dims - 1], rows = tensor_n_elems(out) / n;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++)
            ref_set(out, r * n + i, ref_get(x, r * 2 * n + i) * ref_unary_scalar(ref_get(x, r * 2 * n + n + i), UNARY_GELU));
}

void ref_binary(const tensor *out, const tensor *a, const tensor *b, binary_op op) {
    for (int64_t i = 0; i < tensor_n_elems(out); i++)
        ref_set(out, i, op == BINARY_ADD ? ref_get(a, i) + ref_get(b, i) : ref_get(a, i) * ref_get(b, i));
}

void ref_axpby(const tensor *out, float alpha, const tensor *x, float beta, const tensor *y) {
    for (int64_t i = 0; i < tensor_n_elems(out); i++)
        ref_set(out, i, (double)alpha * ref_get(x, i) + (y ? (double)beta * ref_get(y, i) : 0.0));
}

void ref_upsample2x(const tensor *out, const tensor *x) {
    int64_t planes = x->shape[0] * x->shape[1], h = x->shape[2], w = x->shape[3];
    for (int64_t p = 0; p < planes; p++)
        for (int64_t y = 0; y < 2 * h; y++)
            for (int64_t xx = 0; xx < 2 * w; xx++)
                ref_set(out, (p * 2 * h + y) * 2 * w + xx, ref_get(x, (p * h + y / 2) * w + xx / 2));
}

void ref_copy(const tensor *out, const tensor *x) {
    for (int64_t i = 0; i < tensor_n_elems(out); i++) ref_set(out, i, ref_get(x, i));
}

void ref_timestep_embedding(const tensor *out, const tensor *t, const struct timestep_params *p) {
    int64_t dim = out->shape[1], half = dim / 2;
    for (int64_t b = 0; b < out->shape[0]; b++)
        for (int64_t k = 0; k < half; k++) {
            double arg = ref_get(t, b) * exp(-log((double)p->max_period) * (double)k / ((double)half - p->freq_shift));
            ref_set(out, b * dim + k, p->flip_sin_to_cos ? cos(arg) : sin(arg));
            ref_set(out, b * dim + half + k, p->flip_sin_to_cos ? sin(arg) : cos(arg));
        }
}
