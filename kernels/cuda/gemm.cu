// gemm.cu — the GEMM glue under linear and conv2d: one cuBLAS call (strided-batched when batch > 1) with
// A, B and C of the activation dtype and fp32 accumulation (CUBLAS_COMPUTE_32F: fp32 inputs stay fp32, no
// TF32; f16 inputs run on tensor cores), and the bias pre-fill that lets the GEMM add onto the bias with
// beta = 1 instead of a second pass over the output.
// Variants:
//   1 bias_fill_kernel_1: one element per thread, grid-stride.
#include <limits.h>

#include "cuda-device.cuh"

static bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

extern "C" ls_status cuda_gemm_run(struct cuda_ctx *ctx, dtype dt, const struct cuda_gemm *g) {
    if (g->m == 0 || g->n == 0 || g->batch == 0) return LS_OK;
    if (!fits_int(g->m) || !fits_int(g->n) || !fits_int(g->k) || !fits_int(g->lda) || !fits_int(g->ldb) ||
        !fits_int(g->ldc) || !fits_int(g->batch))
        return ls_fail(LS_ERR_UNSUPPORTED,
                       "cuda: gemm of %lld x %lld x %lld (batch %lld) exceeds cuBLAS's 32-bit sizes", (long long)g->m,
                       (long long)g->n, (long long)g->k, (long long)g->batch);
    cudaDataType t;
    if (dt == DTYPE_F32)
        t = CUDA_R_32F;
    else if (dt == DTYPE_F16)
        t = CUDA_R_16F;
    else
        return ls_fail(LS_ERR_DTYPE, "cuda: gemm in %s is not supported", dtype_name(dt));
    const float alpha = 1.0f, beta = g->beta;
    cublasOperation_t ta = g->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (g->batch == 1) {
        CUBLAS_TRY(cublasGemmEx(ctx->cublas, ta, tb, (int)g->m, (int)g->n, (int)g->k, &alpha, g->a, t, (int)g->lda,
                                g->b, t, (int)g->ldb, &beta, g->c, t, (int)g->ldc, CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT));
    } else {
        CUBLAS_TRY(cublasGemmStridedBatchedEx(ctx->cublas, ta, tb, (int)g->m, (int)g->n, (int)g->k, &alpha, g->a, t,
                                              (int)g->lda, g->stride_a, g->b, t, (int)g->ldb, g->stride_b, &beta, g->c,
                                              t, (int)g->ldc, g->stride_c, (int)g->batch, CUBLAS_COMPUTE_32F,
                                              CUBLAS_GEMM_DEFAULT));
    }
    return LS_OK;
}

template <typename T>
static __global__ void bias_fill_kernel_1(T *out, const T *bias, int64_t n, int64_t channels, int64_t inner) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        out[i] = bias[(i / inner) % channels];
}

extern "C" ls_status cuda_bias_fill(struct cuda_ctx *ctx, void *out, const void *bias, dtype dt, int64_t outer,
                                    int64_t channels, int64_t inner) {
    int64_t n = outer * channels * inner;
    if (n == 0) return LS_OK;
    unsigned grid = cuda_grid(ctx, n, 256);
    if (dt == DTYPE_F32)
        bias_fill_kernel_1<<<grid, 256, 0, ctx->stream>>>((float *)out, (const float *)bias, n, channels, inner);
    else if (dt == DTYPE_F16)
        bias_fill_kernel_1<<<grid, 256, 0, ctx->stream>>>((__half *)out, (const __half *)bias, n, channels, inner);
    else
        return ls_fail(LS_ERR_DTYPE, "cuda: bias in %s is not supported", dtype_name(dt));
    CUDA_LAUNCHED();
    return LS_OK;
}
