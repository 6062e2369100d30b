// linear.cu — CUDA linear (nn.Linear): out (M, N) = x (M, K) w^T + bias, M = every leading dim of x.
// In cuBLAS's column-major terms the row-major output is out^T (N x M) = w (stored K x N, transposed) x^T
// (stored K x M), so no operand is ever copied to transpose it. The weight runs in the activation dtype:
// another weight dtype (bf16, i8 + scales, f32 under f16 activations) is converted first
// (weight_convert.cu). fp32 accumulation throughout.
// Variants:
//   1 cublasGemmEx; the bias is pre-filled into out and the GEMM accumulates onto it (beta = 1);
//   2 cublasLt matmul, the bias (if any) fused in its epilogue (CUBLASLT_EPILOGUE_BIAS); when cuBLASLt has no
//     algorithm for the case (heuristic returns none, or the matmul reports NOT_SUPPORTED) variant 1 runs
//     instead, unless variant 2 was forced.
// choose_linear: 2 when there is a bias (saves the pre-fill pass over out), else 1. Crossover not measured
// yet: the code was written without a GPU (kernels/cuda/README.md).
// Tested by tests/ops/test_linear.c (f32), tests/ops/test_f16.c (f16) and tests/test_cuda_backend.c (both
// variants forced).
#include <stdint.h>

#include "cuda-impl.h"

static uint32_t ptr_alignment(const void *p) {
    uintptr_t a = (uintptr_t)p;
    uint32_t align = 256;
    while (align > 1 && (a & (align - 1)))
        align >>= 1;
    return align;
}

struct lt_objects {
    cublasLtMatmulDesc_t desc;
    cublasLtMatrixLayout_t a, b, c;
    cublasLtMatmulPreference_t pref;
};

static void lt_release(struct lt_objects *o) {
    if (o->pref) cublasLtMatmulPreferenceDestroy(o->pref);
    if (o->c) cublasLtMatrixLayoutDestroy(o->c);
    if (o->b) cublasLtMatrixLayoutDestroy(o->b);
    if (o->a) cublasLtMatrixLayoutDestroy(o->a);
    if (o->desc) cublasLtMatmulDescDestroy(o->desc);
}

static ls_status lt_matmul(struct cuda_ctx *ctx, struct lt_objects *o, const tensor *out, const tensor *x,
                           const void *w, const tensor *bias, int64_t m_rows, int64_t n, int64_t k) {
    cudaDataType t = out->dtype == DTYPE_F16 ? CUDA_R_16F : CUDA_R_32F;
    cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    cublasLtEpilogue_t epi = bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
    CUBLAS_TRY(cublasLtMatmulDescCreate(&o->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    CUBLAS_TRY(cublasLtMatmulDescSetAttribute(o->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    CUBLAS_TRY(cublasLtMatmulDescSetAttribute(o->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    CUBLAS_TRY(cublasLtMatmulDescSetAttribute(o->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
    if (bias) {
        const void *bias_ptr = bias->data;
        CUBLAS_TRY(
            cublasLtMatmulDescSetAttribute(o->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr, sizeof bias_ptr));
    }
    // layouts as stored, column-major: w is K x N, x is K x M, out is N x M
    CUBLAS_TRY(cublasLtMatrixLayoutCreate(&o->a, t, (uint64_t)k, (uint64_t)n, k));
    CUBLAS_TRY(cublasLtMatrixLayoutCreate(&o->b, t, (uint64_t)k, (uint64_t)m_rows, k));
    CUBLAS_TRY(cublasLtMatrixLayoutCreate(&o->c, t, (uint64_t)n, (uint64_t)m_rows, n));
    CUBLAS_TRY(cublasLtMatmulPreferenceCreate(&o->pref));
    uint64_t ws = ctx->lt_workspace_bytes;
    uint32_t al_a = ptr_alignment(w), al_b = ptr_alignment(x->data), al_c = ptr_alignment(out->data);
    CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(o->pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    CUBLAS_TRY(
        cublasLtMatmulPreferenceSetAttribute(o->pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a));
    CUBLAS_TRY(
        cublasLtMatmulPreferenceSetAttribute(o->pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b));
    CUBLAS_TRY(
        cublasLtMatmulPreferenceSetAttribute(o->pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof al_c));
    CUBLAS_TRY(
        cublasLtMatmulPreferenceSetAttribute(o->pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof al_c));
    cublasLtMatmulHeuristicResult_t res;
    int n_res = 0;
    cublasStatus_t st =
        cublasLtMatmulAlgoGetHeuristic(ctx->cublaslt, o->desc, o->a, o->b, o->c, o->c, o->pref, 1, &res, &n_res);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED ||
        (st == CUBLAS_STATUS_SUCCESS && (n_res == 0 || res.state != CUBLAS_STATUS_SUCCESS)))
        return ls_fail(LS_ERR_UNSUPPORTED, "cublaslt: no algorithm for linear %lld x %lld x %lld in %s",
                       (long long)m_rows, (long long)k, (long long)n, dtype_name(out->dtype));
    CUBLAS_TRY(st);
    const float alpha = 1.0f, beta = 0.0f;
    st = cublasLtMatmul(ctx->cublaslt, o->desc, &alpha, w, o->a, x->data, o->b, &beta, out->data, o->c, out->data, o->c,
                        &res.algo, ctx->lt_workspace, ctx->lt_workspace_bytes, ctx->stream);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED)
        return ls_fail(LS_ERR_UNSUPPORTED, "cublaslt: matmul not supported for linear %lld x %lld x %lld in %s",
                       (long long)m_rows, (long long)k, (long long)n, dtype_name(out->dtype));
    CUBLAS_TRY(st);
    return LS_OK;
}

static ls_status linear_cublaslt_2(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const void *w,
                                   const tensor *bias, int64_t m_rows, int64_t n, int64_t k) {
    struct lt_objects o = {};
    ls_status s = lt_matmul(ctx, &o, out, x, w, bias, m_rows, n, k);
    lt_release(&o);
    return s;
}

static ls_status linear_cublas_1(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const void *w,
                                 const tensor *bias, int64_t m_rows, int64_t n, int64_t k) {
    if (bias) LS_TRY(cuda_bias_fill(ctx, out->data, bias->data, out->dtype, m_rows, n, 1));
    struct cuda_gemm g = {};
    g.trans_a = true, g.trans_b = false;
    g.m = n, g.n = m_rows, g.k = k;
    g.a = w, g.lda = k;
    g.b = x->data, g.ldb = k;
    g.c = out->data, g.ldc = n;
    g.batch = 1;
    g.beta = bias ? 1.0f : 0.0f;
    return cuda_gemm_run(ctx, out->dtype, &g);
}

static int choose_linear(const struct cuda_ctx *ctx, const tensor *bias) {
    int forced = cuda_forced(ctx, OP_LINEAR);
    if (forced) return forced;
    return bias ? 2 : 1;
}

extern "C" ls_status cuda_linear(void *vctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t n = w->shape[0], k = w->shape[1];
    int64_t m_rows = n ? tensor_n_elems(out) / n : 0;
    if (m_rows == 0 || n == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    if (k == 0) { // empty sum: out = bias (or 0)
        if (bias) return cuda_bias_fill(ctx, out->data, bias->data, out->dtype, m_rows, n, 1);
        CUDA_TRY(cudaMemsetAsync(out->data, 0, tensor_n_bytes(out), ctx->stream));
        return LS_OK;
    }
    size_t ws_bytes = cuda_weight_workspace_bytes(w, out->dtype);
    void *ws = NULL;
    if (ws_bytes) LS_TRY(cuda_workspace(ctx, ws_bytes, &ws));
    const void *wp;
    LS_TRY(cuda_weight_as(ctx, w, out->dtype, ws, &wp));
    int variant = choose_linear(ctx, bias);
    if (variant == 2) {
        ls_status s = linear_cublaslt_2(ctx, out, x, wp, bias, m_rows, n, k);
        if (s != LS_ERR_UNSUPPORTED || cuda_forced(ctx, OP_LINEAR)) return s;
        ls_error_clear();
    }
    return linear_cublas_1(ctx, out, x, wp, bias, m_rows, n, k);
}
