// cuda-impl.h — the CUDA backend's internals, shared by its .cu files: the context (device, stream, library
// handles, workspaces, forced kernel variants), the check macros that turn CUDA/cuBLAS/cuDNN failures into an
// ls_status with a one-line message, and the extern "C" kernel entry points of the function table.
// Device-side helpers (dtype conversion, reductions, strided indexing) are in cuda-device.cuh.
//
// Conventions of every entry point: arguments were checked by ops/ (shapes, dtypes, same backend); the
// entry selects the context's device, launches on the context's stream and returns without waiting.
// Errors from a kernel that faults asynchronously surface at the next synchronising call (download, sync).
#ifndef LS_CUDA_IMPL_H
#define LS_CUDA_IMPL_H

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef LS_HAVE_CUDNN
#include <cudnn.h>
#endif

// runtime.h is C11; its one C-only keyword gets the C++ spelling here.
#if defined(__cplusplus) && !defined(_Noreturn)
#define _Noreturn [[noreturn]]
#endif
extern "C" {
#include "backends.h"
#include "runtime.h"
}

#ifndef LS_CUDA_ARCHS
#error "LS_CUDA_ARCHS (the compiled compute capabilities, e.g. \"80;90\") must be defined by the build"
#endif

// Kernel variants that can be forced with LS_KERNEL=<op>:<n>[,<op>:<n>...] (STYLE 6.4); 0 = automatic.
#define CUDA_MAX_VARIANTS 4

struct cuda_ctx {
    struct backend be;
    int device;
    char device_name[256];
    int cc_major, cc_minor;    // compute capability
    int sm_count;              // streaming multiprocessors (sizes grid-stride launches)
    bool mempool;              // cudaMallocAsync is available (else cudaMalloc)
    cudaStream_t stream;       // every kernel and copy of this context runs here, in order
    cublasHandle_t cublas;     // bound to `stream`
    cublasLtHandle_t cublaslt; // used with `stream` per call
    void *lt_workspace;        // fixed cuBLASLt workspace
    size_t lt_workspace_bytes;
    void *workspace; // op scratch (converted weights, im2col tiles), grown on demand, never shrunk
    size_t workspace_bytes;
    int forced[OP_COUNT]; // LS_KERNEL choices, 0 = automatic
#ifdef LS_HAVE_CUDNN
    cudnnHandle_t cudnn; // bound to `stream`
#endif
};

// --- errors ------------------------------------------------------------------------------------------------
// One macro per API family (STYLE 4.2). Each returns from the enclosing function with a status and the message
// "cuda: <library's error string> (<error name>) in <expression> at <file>:<line>". Out-of-memory errors map
// to LS_ERR_OOM, everything else to LS_ERR_DEVICE. Never exits.

extern "C" ls_status cuda_fail_rt(cudaError_t err, const char *expr, const char *file, int line);
extern "C" ls_status cuda_fail_cublas(cublasStatus_t st, const char *expr, const char *file, int line);
#ifdef LS_HAVE_CUDNN
extern "C" ls_status cuda_fail_cudnn(cudnnStatus_t st, const char *expr, const char *file, int line);
#endif

#define CUDA_TRY(expr)                                                                                                 \
    do {                                                                                                               \
        cudaError_t cuda_try_err_ = (expr);                                                                            \
        if (cuda_try_err_ != cudaSuccess) return cuda_fail_rt(cuda_try_err_, #expr, __FILE__, __LINE__);               \
    } while (0)

#define CUBLAS_TRY(expr)                                                                                               \
    do {                                                                                                               \
        cublasStatus_t cublas_try_st_ = (expr);                                                                        \
        if (cublas_try_st_ != CUBLAS_STATUS_SUCCESS)                                                                   \
            return cuda_fail_cublas(cublas_try_st_, #expr, __FILE__, __LINE__);                                        \
    } while (0)

#ifdef LS_HAVE_CUDNN
#define CUDNN_TRY(expr)                                                                                                \
    do {                                                                                                               \
        cudnnStatus_t cudnn_try_st_ = (expr);                                                                          \
        if (cudnn_try_st_ != CUDNN_STATUS_SUCCESS) return cuda_fail_cudnn(cudnn_try_st_, #expr, __FILE__, __LINE__);   \
    } while (0)
#endif

// After a <<<...>>> launch: reports a launch failure (bad configuration, missing kernel image).
#define CUDA_LAUNCHED() CUDA_TRY(cudaGetLastError())

// --- context helpers (cuda_backend.cu) ------------------------------------------------------------------------

// Makes the context's device current for the calling thread (cheap when it already is).
extern "C" ls_status cuda_enter(struct cuda_ctx *ctx);
// Returns op scratch of at least n_bytes (256-byte aligned), valid until the next cuda_workspace call; the
// old buffer is released in stream order, so work already queued on it is safe.
extern "C" ls_status cuda_workspace(struct cuda_ctx *ctx, size_t n_bytes, void **ptr);
// The variant forced for op by LS_KERNEL, or 0.
static inline int cuda_forced(const struct cuda_ctx *ctx, op_kind op) { return ctx->forced[op]; }
// Fails with a message naming the forced variant that cannot run this case.
extern "C" ls_status cuda_forced_unusable(const char *op, int variant, const char *why);
// Blocks for a grid-stride loop over n items: enough to fill the device, never more than needed.
extern "C" unsigned cuda_grid(const struct cuda_ctx *ctx, int64_t n_items, int block_threads);
// n rounded up to a multiple of a.
static inline size_t cuda_align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// Weight w (any weight dtype) as a contiguous array of dtype `to` (f32 or f16): w itself when it already is,
// else converted (i8: q * scale, rounded to `to`) into `dst` (n_elems of `to`, caller's workspace).
// weights.cu. *out_ptr receives the pointer to use.
extern "C" ls_status cuda_weight_as(struct cuda_ctx *ctx, const tensor *w, dtype to, void *dst, const void **out_ptr);
// Bytes cuda_weight_as needs in the workspace (0 when w already has dtype `to`).
extern "C" size_t cuda_weight_workspace_bytes(const tensor *w, dtype to);

// Strided GEMM helper (gemm.cu): C = alpha op(A) op(B) + beta C in cuBLAS's column-major terms, all of
// dtype dt (f32 or f16), fp32 accumulation, `batch` problems at the given element strides.
struct cuda_gemm {
    bool trans_a, trans_b;
    int64_t m, n, k;
    const void *a;
    int64_t lda, stride_a;
    const void *b;
    int64_t ldb, stride_b;
    void *c;
    int64_t ldc, stride_c;
    int64_t batch;
    float beta; // 0 or 1 (alpha is always 1)
};
extern "C" ls_status cuda_gemm_run(struct cuda_ctx *ctx, dtype dt, const struct cuda_gemm *g);

// Writes bias[c] into every element of channel c of a contiguous (outer, channels, inner) tensor (bias.cu);
// the GEMMs then accumulate onto it with beta = 1.
extern "C" ls_status cuda_bias_fill(struct cuda_ctx *ctx, void *out, const void *bias, dtype dt, int64_t outer,
                                    int64_t channels, int64_t inner);

// --- kernel entry points (one file each) ---------------------------------------------------------------------
extern "C" {
ls_status cuda_linear(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias);
ls_status cuda_conv2d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                      const struct conv2d_params *p);
ls_status cuda_conv1d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                      const struct conv1d_params *p);
ls_status cuda_group_norm(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                          const struct group_norm_params *p);
ls_status cuda_layer_norm(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                          float eps);
ls_status cuda_softmax(void *ctx, const tensor *out, const tensor *x);
ls_status cuda_attention(void *ctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                         const struct attention_params *p);
ls_status cuda_unary(void *ctx, const tensor *out, const tensor *x, unary_op op);
ls_status cuda_geglu(void *ctx, const tensor *out, const tensor *x);
ls_status cuda_binary(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op);
ls_status cuda_axpby(void *ctx, const tensor *out, float alpha, const tensor *x, float beta, const tensor *y);
ls_status cuda_fill(void *ctx, const tensor *out, float value);
ls_status cuda_upsample2x(void *ctx, const tensor *out, const tensor *x);
ls_status cuda_copy(void *ctx, const tensor *out, const tensor *x);
ls_status cuda_timestep_embedding(void *ctx, const tensor *out, const tensor *t, const struct timestep_params *p);
#ifdef LS_HAVE_CUDNN
// cudnn_conv.cu: conv2d through cuDNN (weights converted like the other variants). LS_ERR_UNSUPPORTED, with
// the reason, for cases cuDNN declines; _fits says beforehand whether cuDNN can take the case at all.
ls_status cuda_conv2d_cudnn(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const tensor *w,
                            const tensor *bias, const struct conv2d_params *p);
bool cuda_conv2d_cudnn_fits(const tensor *x, const struct conv2d_params *p);
#endif
}

#endif
