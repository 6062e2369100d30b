// elementwise.cu — CUDA add/mul and axpby (out = alpha x + beta y) over strided or broadcast inputs, and fill.
// out is contiguous; each input is read through its own view, with dims merged on the host where every
// tensor is contiguous across them, so the common all-contiguous case indexes flat. Math in fp32.
// Variants:
//   1 binary_kernel_1 / fill_kernel_1: one element per thread, grid-stride.
// Tested by tests/ops/test_elementwise.c and tests/ops/test_f16.c.
#include "cuda-device.cuh"

enum { KIND_ADD, KIND_MUL, KIND_AXPBY, KIND_SCALE }; // KIND_SCALE: alpha x (no y)

template <typename T>
static __global__ void binary_kernel_1(T *out, const T *a, view5 va, bool a_flat, const T *b, view5 vb, bool b_flat,
                                       int64_t n, int kind, float alpha, float beta) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float x = to_f32(a[a_flat ? i : view_offset(va, i)]);
        float y = kind == KIND_SCALE ? 0.0f : to_f32(b[b_flat ? i : view_offset(vb, i)]);
        float r = kind == KIND_ADD     ? x + y
                  : kind == KIND_MUL   ? x * y
                  : kind == KIND_AXPBY ? alpha * x + beta * y
                                       : alpha * x;
        out[i] = from_f32<T>(r);
    }
}

template <typename T>
static ls_status launch_binary(struct cuda_ctx *ctx, const tensor *out, const tensor *a, const tensor *b, int kind,
                               float alpha, float beta) {
    int64_t n = tensor_n_elems(out);
    if (n == 0) return LS_OK;
    view5 v[3];
    const int64_t *strides[3] = {out->stride, a->stride, b ? b->stride : a->stride};
    views_merged(out->n_dims, out->shape, 3, strides, v);
    unsigned grid = cuda_grid(ctx, n, 256);
    binary_kernel_1<T><<<grid, 256, 0, ctx->stream>>>((T *)out->data, (const T *)a->data, v[1], view_is_flat(v[1]),
                                                      b ? (const T *)b->data : (const T *)a->data, v[2],
                                                      view_is_flat(v[2]), n, kind, alpha, beta);
    CUDA_LAUNCHED();
    return LS_OK;
}

static ls_status run_binary(void *vctx, const tensor *out, const tensor *a, const tensor *b, int kind, float alpha,
                            float beta) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    LS_TRY(cuda_enter(ctx));
    switch (out->dtype) {
    case DTYPE_F32: return launch_binary<float>(ctx, out, a, b, kind, alpha, beta);
    case DTYPE_F16: return launch_binary<__half>(ctx, out, a, b, kind, alpha, beta);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: elementwise op on %s", dtype_name(out->dtype));
    }
}

extern "C" ls_status cuda_binary(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op) {
    return run_binary(ctx, out, a, b, op == BINARY_ADD ? KIND_ADD : KIND_MUL, 1.0f, 1.0f);
}

extern "C" ls_status cuda_axpby(void *ctx, const tensor *out, float alpha, const tensor *x, float beta,
                                const tensor *y) {
    return run_binary(ctx, out, x, y, y ? KIND_AXPBY : KIND_SCALE, alpha, beta);
}

template <typename T> static __global__ void fill_kernel_1(T *out, int64_t n, T value) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        out[i] = value;
}

extern "C" ls_status cuda_fill(void *vctx, const tensor *out, float value) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t n = tensor_n_elems(out);
    if (n == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    unsigned grid = cuda_grid(ctx, n, 256);
    switch (out->dtype) {
    case DTYPE_F32: fill_kernel_1<<<grid, 256, 0, ctx->stream>>>((float *)out->data, n, value); break;
    case DTYPE_F16: fill_kernel_1<<<grid, 256, 0, ctx->stream>>>((__half *)out->data, n, __float2half_rn(value)); break;
    case DTYPE_I32: fill_kernel_1<<<grid, 256, 0, ctx->stream>>>((int32_t *)out->data, n, (int32_t)value); break;
    default: return ls_fail(LS_ERR_DTYPE, "cuda: fill of %s", dtype_name(out->dtype));
    }
    CUDA_LAUNCHED();
    return LS_OK;
}
