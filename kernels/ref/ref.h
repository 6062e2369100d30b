// ref.h — scalar reference kernels: the definition every backend is tested against. Plain loops, double
// accumulation, no SIMD, no threads. Inputs are host tensors (any strides; weights any weight dtype);
// outputs are contiguous host f32 tensors. Same argument conventions as ops/ops.h.
#ifndef LS_REF_H
#define LS_REF_H

#include "runtime.h"

// Element of a host tensor at a flat row-major index over its shape, as double (i8 weights scaled).
double ref_get(const tensor *t, int64_t flat);
void ref_set(const tensor *t, int64_t flat, double v);

void ref_linear(const tensor *out, const tensor *x, const tensor *w, const tensor *bias);
void ref_conv2d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias, const struct conv2d_params *p);
void ref_conv1d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias, const struct conv1d_params *p);
void ref_group_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                    const struct group_norm_params *p);
void ref_layer_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta, float eps);
void ref_softmax(const tensor *out, const tensor *x);
// Naive: materialises the full score matrix per (batch, head).
ls_status ref_attention(const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                        const struct attention_params *p);
void ref_unary(const tensor *out, const tensor *x, unary_op op);
double ref_unary_scalar(double x, unary_op op);
void ref_geglu(const tensor *out, const tensor *x);
void ref_binary(const tensor *out, const tensor *a, const tensor *b, binary_op op);
void ref_axpby(const tensor *out, float alpha, const tensor *x, float beta, const tensor *y);
void ref_upsample2x(const tensor *out, const tensor *x);
void ref_copy(const tensor *out, const tensor *x); // out any float dtype, rounding as the dtype does
void ref_pool2d(const tensor *out, const tensor *x, const struct pool2d_params *p);
void ref_timestep_embedding(const tensor *out, const tensor *t, const struct timestep_params *p);

#endif
