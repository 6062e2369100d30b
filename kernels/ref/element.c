// element.c — element access for the reference kernels: flat row-major index -> strided address.
#include "ref.h"

static int64_t offset_of(const tensor *t, int64_t flat) {
    int64_t off = 0;
    for (int d = t->n_dims - 1; d >= 0; d--) {
        off += (flat % t->shape[d]) * t->stride[d];
        flat /= t->shape[d];
    }
    return off;
}

double ref_get(const tensor *t, int64_t flat) {
    int64_t off = offset_of(t, flat);
    switch (t->dtype) {
    case DTYPE_F32: return ((const float *)t->data)[off];
    case DTYPE_F16: return f16_to_f32(((const uint16_t *)t->data)[off]);
    case DTYPE_BF16: return bf16_to_f32(((const uint16_t *)t->data)[off]);
    case DTYPE_I32: return ((const int32_t *)t->data)[off];
    case DTYPE_I8: {
        int64_t per_row = t->shape[0] ? 1 : 0;
        for (int d = 1; d < t->n_dims; d++) per_row *= t->shape[d];
        return ((const int8_t *)t->data)[off] * (double)t->scale[per_row ? flat / per_row : 0];
    }
    default: return 0.0;
    }
}

void ref_set(const tensor *t, int64_t flat, double v) {
    int64_t off = offset_of(t, flat);
    switch (t->dtype) {
    case DTYPE_F32: ((float *)t->data)[off] = (float)v; break;
    case DTYPE_F16: ((uint16_t *)t->data)[off] = f32_to_f16((float)v); break;
    case DTYPE_BF16: ((uint16_t *)t->data)[off] = f32_to_bf16((float)v); break;
    case DTYPE_I32: ((int32_t *)t->data)[off] = (int32_t)v; break;
    default: break;
    }
}
