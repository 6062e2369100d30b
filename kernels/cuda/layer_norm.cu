// layer_norm.cu — CUDA LayerNorm over the last dim (contiguous rows), two-pass like torch: mean, then the mean
// of squared deviations (no E[x^2] - E[x]^2 cancellation); fp32 statistics, optional affine; out may equal x.
// Variants:
//   1 layer_norm_kernel_1: one warp per row, 8 rows per block; three passes over the row (sum, squared
//     deviations, write), the later ones reading it again from L1/L2.
// Tested by tests/ops/test_norm.c and tests/ops/test_f16.c.
#include <math.h>

#include "cuda-device.cuh"

#define ROWS_PER_BLOCK 8

template <typename T>
static __global__ void layer_norm_kernel_1(T *out, const T *x, const T *gamma, const T *beta, int64_t rows, int64_t c,
                                           float eps) {
    int lane = threadIdx.x & 31;
    int64_t row = (int64_t)blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= rows) return; // whole warps leave together: no block-wide sync below
    const T *xr = x + row * c;
    T *orow = out + row * c;
    float sum = 0.0f;
    for (int64_t i = lane; i < c; i += 32)
        sum += to_f32(xr[i]);
    float mean = warp_sum(sum) / (float)c;
    float ss = 0.0f;
    for (int64_t i = lane; i < c; i += 32) {
        float d = to_f32(xr[i]) - mean;
        ss += d * d;
    }
    float rstd = 1.0f / sqrtf(warp_sum(ss) / (float)c + eps);
    for (int64_t i = lane; i < c; i += 32) {
        float v = (to_f32(xr[i]) - mean) * rstd;
        if (gamma) v *= to_f32(gamma[i]);
        if (beta) v += to_f32(beta[i]);
        orow[i] = from_f32<T>(v);
    }
}

template <typename T>
static ls_status launch(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const tensor *gamma,
                        const tensor *beta, int64_t rows, int64_t c, float eps) {
    int64_t blocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    if (blocks > INT32_MAX) return ls_fail(LS_ERR_UNSUPPORTED, "cuda: layer_norm over %lld rows", (long long)rows);
    layer_norm_kernel_1<T><<<(unsigned)blocks, 32 * ROWS_PER_BLOCK, 0, ctx->stream>>>(
        (T *)out->data, (const T *)x->data, gamma ? (const T *)gamma->data : NULL, beta ? (const T *)beta->data : NULL,
        rows, c, eps);
    CUDA_LAUNCHED();
    return LS_OK;
}

extern "C" ls_status cuda_layer_norm(void *vctx, const tensor *out, const tensor *x, const tensor *gamma,
                                     const tensor *beta, float eps) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t c = x->shape[x->n_dims - 1], rows = c ? tensor_n_elems(x) / c : 0;
    if (rows == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    switch (out->dtype) {
    case DTYPE_F32: return launch<float>(ctx, out, x, gamma, beta, rows, c, eps);
    case DTYPE_F16: return launch<__half>(ctx, out, x, gamma, beta, rows, c, eps);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: layer_norm on %s", dtype_name(out->dtype));
    }
}
