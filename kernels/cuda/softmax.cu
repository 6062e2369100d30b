// softmax.cu — CUDA softmax over the last dim (contiguous rows): max-subtracted, fp32 math, CUDA's accurate
// expf; out may equal x.
// Variants:
//   1 softmax_kernel_1: one warp per row, 8 rows per block; three passes over the row (max, sum of exp, write),
//     the second and third reading it again from L1/L2.
// Tested by tests/ops/test_norm.c and tests/ops/test_f16.c.
#include <math.h>

#include "cuda-device.cuh"

#define ROWS_PER_BLOCK 8

template <typename T> static __global__ void softmax_kernel_1(T *out, const T *x, int64_t rows, int64_t c) {
    int lane = threadIdx.x & 31;
    int64_t row = (int64_t)blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= rows) return; // whole warps leave together: no block-wide sync below
    const T *xr = x + row * c;
    T *orow = out + row * c;
    float m = -INFINITY;
    for (int64_t i = lane; i < c; i += 32)
        m = fmaxf(m, to_f32(xr[i]));
    m = warp_max(m);
    float sum = 0.0f;
    for (int64_t i = lane; i < c; i += 32)
        sum += expf(to_f32(xr[i]) - m);
    float inv = 1.0f / warp_sum(sum);
    for (int64_t i = lane; i < c; i += 32)
        orow[i] = from_f32<T>(expf(to_f32(xr[i]) - m) * inv);
}

extern "C" ls_status cuda_softmax(void *vctx, const tensor *out, const tensor *x) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t c = x->shape[x->n_dims - 1], rows = c ? tensor_n_elems(x) / c : 0;
    if (rows == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    int64_t blocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    if (blocks > INT32_MAX) return ls_fail(LS_ERR_UNSUPPORTED, "cuda: softmax over %lld rows", (long long)rows);
    switch (out->dtype) {
    case DTYPE_F32:
        softmax_kernel_1<<<(unsigned)blocks, 32 * ROWS_PER_BLOCK, 0, ctx->stream>>>((float *)out->data,
                                                                                    (const float *)x->data, rows, c);
        break;
    case DTYPE_F16:
        softmax_kernel_1<<<(unsigned)blocks, 32 * ROWS_PER_BLOCK, 0, ctx->stream>>>((__half *)out->data,
                                                                                    (const __half *)x->data, rows, c);
        break;
    default: return ls_fail(LS_ERR_DTYPE, "cuda: softmax on %s", dtype_name(out->dtype));
    }
    CUDA_LAUNCHED();
    return LS_OK;
}
