// activation.cu — CUDA unary activations (GELU erf and tanh forms, SiLU, ReLU, ReLU6) and diffusers' GEGLU
// gate (value * GELU(gate) over the two halves of the last dim). fp32 math with CUDA's accurate erfcf and expf
// (no fast-math intrinsics), whatever the storage dtype.
// Variants:
//   1 unary_kernel_1 / geglu_kernel_1: one element per thread, grid-stride; a strided unary input is read
//     through its merged view.
// Tested by tests/ops/test_elementwise.c and tests/ops/test_f16.c.
#include "cuda-device.cuh"

// 1 + erf(z) = erfc(-z) and 1 + tanh(u) = 2 / (1 + exp(-2u)): the forms without the cancellation at large
// negative inputs, so the result keeps fp32's relative accuracy there.
__device__ __forceinline__ float gelu_erf(float x) { return 0.5f * x * erfcf(-x * 0.70710678118654752f); }
__device__ __forceinline__ float gelu_tanh(float x) {
    return x / (1.0f + expf(-1.5957691216057308f * (x + 0.044715f * x * x * x)));
}

__device__ __forceinline__ float apply_unary(float x, int op) {
    switch (op) {
    case UNARY_GELU: return gelu_erf(x);
    case UNARY_GELU_TANH: return gelu_tanh(x);
    case UNARY_SILU: return x / (1.0f + expf(-x));
    case UNARY_RELU: return fmaxf(x, 0.0f);
    case UNARY_RELU6: return fminf(fmaxf(x, 0.0f), 6.0f);
    default: return x;
    }
}

template <typename T>
static __global__ void unary_kernel_1(T *out, const T *x, view5 vx, bool x_flat, int64_t n, int op) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        out[i] = from_f32<T>(apply_unary(to_f32(x[x_flat ? i : view_offset(vx, i)]), op));
}

template <typename T>
static ls_status launch_unary(struct cuda_ctx *ctx, const tensor *out, const tensor *x, unary_op op) {
    int64_t n = tensor_n_elems(out);
    if (n == 0) return LS_OK;
    view5 v[2];
    const int64_t *strides[2] = {out->stride, x->stride};
    views_merged(out->n_dims, out->shape, 2, strides, v);
    unary_kernel_1<T><<<cuda_grid(ctx, n, 256), 256, 0, ctx->stream>>>((T *)out->data, (const T *)x->data, v[1],
                                                                       view_is_flat(v[1]), n, (int)op);
    CUDA_LAUNCHED();
    return LS_OK;
}

extern "C" ls_status cuda_unary(void *vctx, const tensor *out, const tensor *x, unary_op op) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    LS_TRY(cuda_enter(ctx));
    switch (out->dtype) {
    case DTYPE_F32: return launch_unary<float>(ctx, out, x, op);
    case DTYPE_F16: return launch_unary<__half>(ctx, out, x, op);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: unary op on %s", dtype_name(out->dtype));
    }
}

// out (rows, n) = x[:, :n] * gelu(x[:, n:]), x (rows, 2n) contiguous.
template <typename T> static __global__ void geglu_kernel_1(T *out, const T *x, int64_t total, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i / n, c = i - r * n;
        const T *row = x + r * 2 * n;
        out[i] = from_f32<T>(to_f32(row[c]) * gelu_erf(to_f32(row[n + c])));
    }
}

extern "C" ls_status cuda_geglu(void *vctx, const tensor *out, const tensor *x) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t n = out->shape[out->n_dims - 1], total = tensor_n_elems(out);
    if (total == 0 || n == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    unsigned grid = cuda_grid(ctx, total, 256);
    switch (out->dtype) {
    case DTYPE_F32:
        geglu_kernel_1<<<grid, 256, 0, ctx->stream>>>((float *)out->data, (const float *)x->data, total, n);
        break;
    case DTYPE_F16:
        geglu_kernel_1<<<grid, 256, 0, ctx->stream>>>((__half *)out->data, (const __half *)x->data, total, n);
        break;
    default: return ls_fail(LS_ERR_DTYPE, "cuda: geglu on %s", dtype_name(out->dtype));
    }
    CUDA_LAUNCHED();
    return LS_OK;
}
