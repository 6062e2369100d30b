// ops.h — backend-neutral operators. Each op checks ranks, shapes, dtypes and that all tensors live on one
// backend, asks the backend whether it supports the dtypes, opens a trace span, and runs the backend's
// kernel. Outputs are written in place into `out`, which the caller allocated (usually from an arena).
// Nothing here allocates. Errors: LS_ERR_SHAPE / LS_ERR_DTYPE / LS_ERR_UNSUPPORTED with a one-line message.
//
// Usage sketch (a ResNet's first half, activations (N, C, H, W) f32 on the CPU):
//     LS_TRY(op_group_norm(&h, &x, &norm1_w, &norm1_b, &(struct group_norm_params){32, 1e-5f, F, true}));
//     LS_TRY(op_conv2d(&h2, &h, &conv1_w, &conv1_b, &CONV2D_SAME(1, 1)));
//
// Weights (linear/conv `w`) may be f32, f16, bf16 or i8 (+ per-output-channel scales); every other tensor
// has the activation dtype of its backend (f32 on the CPU; f32 or f16 elsewhere). Optional tensors (bias,
// gamma, beta) may be NULL.
#ifndef LS_OPS_H
#define LS_OPS_H

#include "runtime.h"

// 3x3-style convolution with equal stride and symmetric padding.
#define CONV2D_SAME(stride_, pad_)                                                                              \
    ((struct conv2d_params){.stride_h = (stride_), .stride_w = (stride_), .pad_top = (pad_), .pad_bottom = (pad_), \
                            .pad_left = (pad_), .pad_right = (pad_), .dilation_h = 1, .dilation_w = 1, .groups = 1})

// out (..., N) = x (..., K) w^T + bias; w (N, K), bias (N). x and out contiguous.
ls_status op_linear(const tensor *out, const tensor *x, const tensor *w, const tensor *bias);
// out (B, Co, Ho, Wo) = conv(x (B, Ci, H, W), w (Co, Ci/groups, KH, KW)) + bias (Co); x, out contiguous.
ls_status op_conv2d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                    const struct conv2d_params *p);
// out (B, Co, Lo) = conv1d(x (B, Ci, L), w (Co, Ci, K)) + bias (Co).
ls_status op_conv1d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                    const struct conv1d_params *p);
// x (B, C, ...) contiguous; statistics per (sample group of p->frames consecutive items, group); affine
// gamma/beta (C); optional fused SiLU. B must be a multiple of frames. out may equal x.
ls_status op_group_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                        const struct group_norm_params *p);
// Normalises over the last dim (contiguous). out may equal x.
ls_status op_layer_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta, float eps);
// Softmax over the last dim (contiguous). out may equal x.
ls_status op_softmax(const tensor *out, const tensor *x);
// Multi-head attention: q (B, Tq, H*Dk), k (B, Tk, H*Dk), v (B, Tk, H*Dv), out (B, Tq, H*Dv).
// Head h uses channels [h*D, (h+1)*D). Last dims must be contiguous; rows may be strided (q, k, v may be
// slices of one fused projection). softmax(scale * q k^T) v; memory O(T * D), never a Tq x Tk matrix.
ls_status op_attention(const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                       const struct attention_params *p);
// Elementwise; inputs may be strided or broadcast views (tensor_broadcast); out contiguous, same shape.
ls_status op_unary(const tensor *out, const tensor *x, unary_op op);
ls_status op_gelu(const tensor *out, const tensor *x);      // erf form
ls_status op_gelu_tanh(const tensor *out, const tensor *x); // tanh approximation
ls_status op_silu(const tensor *out, const tensor *x);
ls_status op_relu(const tensor *out, const tensor *x);
ls_status op_relu6(const tensor *out, const tensor *x);
ls_status op_add(const tensor *out, const tensor *a, const tensor *b);
ls_status op_mul(const tensor *out, const tensor *a, const tensor *b);
// out = alpha x + beta y (y may be NULL: out = alpha x).
ls_status op_axpby(const tensor *out, float alpha, const tensor *x, float beta, const tensor *y);
ls_status op_scale(const tensor *out, const tensor *x, float s);
ls_status op_fill(const tensor *out, float value);
// x (..., 2N) -> out (..., N) = x[..., :N] * gelu(x[..., N:]) (erf GELU, diffusers' GEGLU).
ls_status op_geglu(const tensor *out, const tensor *x);
// Nearest-neighbour x2 in the last two dims: x (B, C, H, W) -> out (B, C, 2H, 2W).
ls_status op_upsample2x(const tensor *out, const tensor *x);
// Strided copy with dtype conversion; shapes equal; out may be any view (e.g. a slice for concat).
ls_status op_copy(const tensor *out, const tensor *x);
// out = x permuted: out dim i = x dim perm[i]; out contiguous.
ls_status op_permute(const tensor *out, const tensor *x, const int *perm);
// out = [a, b] along dim.
ls_status op_concat(const tensor *out, const tensor *a, const tensor *b, int dim);
// Sinusoidal timestep embedding: t (B) f32 -> out (B, D), D even; half = D/2,
// freq_k = exp(-ln(max_period) k / (half - freq_shift)), emb = [sin(t f), cos(t f)] (flipped if asked).
ls_status op_timestep_embedding(const tensor *out, const tensor *t, const struct timestep_params *p);

// Layout permutes of the UNet (shapes in comments use the spec's letters).
// (B, C, F, H, W) -> (B*F, C, H, W)
ls_status op_bcfhw_to_frames(const tensor *out, const tensor *x);
// (B*F, C, H, W) -> (B, C, F, H, W); frames = F
ls_status op_frames_to_bcfhw(const tensor *out, const tensor *x, int64_t frames);
// (B*F, C, H, W) -> (B*H*W, F, C): sequences over frames, per spatial position
ls_status op_frames_to_temporal(const tensor *out, const tensor *x, int64_t frames);
// (B*H*W, F, C) -> (B*F, C, H, W)
ls_status op_temporal_to_frames(const tensor *out, const tensor *x, int64_t height, int64_t width);

// Max/average pooling: x (B, C, H, W) -> out (B, C, Ho, Wo), Ho = conv_out_size(H, kernel_h, stride_h, pads, 1).
// Each pad must be smaller than the kernel (every window holds at least one input element); padding is
// ignored by max and not counted by average (runtime.h pool2d_params).
ls_status op_pool2d(const tensor *out, const tensor *x, const struct pool2d_params *p);

// Output shape helpers (used by models to allocate outputs).
int64_t conv_out_size(int64_t in, int kernel, int stride, int pad_before, int pad_after, int dilation);

#endif
