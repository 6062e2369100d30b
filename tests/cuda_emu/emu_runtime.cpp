// emu_runtime.cpp — the host side of emu_cuda.h (tests/cuda_emu/run): the fiber scheduler that runs a block's
// threads, and stand-ins for the CUDA runtime, cuBLAS, cuBLASLt and cuDNN that check their arguments the way
// the libraries document them (leading dimensions, layouts, descriptor consistency, copies inside their
// allocations) and compute naively in double. Device memory is host memory from aligned_alloc, so ASan sees
// every kernel access.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <ucontext.h>
#include <vector>

#include "emu_cuda.h"

static void die(const char *fmt, const char *a = "", long long b = 0) {
    fprintf(stderr, "EMU FATAL: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    abort();
}

// --- scheduler -------------------------------------------------------------------------------------------------

namespace {
enum { RUNNABLE, AT_BLOCK, AT_WARP, DONE };
struct fiber {
    ucontext_t ctx;
    int state;
    std::vector<char> stack;
};
struct block_run {
    dim3 grid, block, bidx;
    int n;
    std::vector<fiber> f;
    std::vector<uint64_t> slots;
    ucontext_t sched;
    int cur;
    std::function<void()> *fn;
};
block_run B;
cudaError_t last_error = cudaSuccess;
long long launches = 0;
} // namespace

static void fiber_entry() {
    (*B.fn)();
    B.f[B.cur].state = DONE;
}

namespace emu {
uint3_ thread_idx() {
    int t = B.cur;
    return uint3_{(unsigned)(t % B.block.x), (unsigned)((t / B.block.x) % B.block.y),
                  (unsigned)(t / (B.block.x * B.block.y))};
}
uint3_ block_idx() { return uint3_{B.bidx.x, B.bidx.y, B.bidx.z}; }
uint3_ block_dim() { return uint3_{B.block.x, B.block.y, B.block.z}; }
uint3_ grid_dim() { return uint3_{B.grid.x, B.grid.y, B.grid.z}; }
void sync_block() {
    B.f[B.cur].state = AT_BLOCK;
    swapcontext(&B.f[B.cur].ctx, &B.sched);
}
void sync_warp() {
    B.f[B.cur].state = AT_WARP;
    swapcontext(&B.f[B.cur].ctx, &B.sched);
}
uint64_t *warp_slots(int *lane, int *base) {
    *lane = B.cur & 31;
    *base = B.cur & ~31;
    return &B.slots[*base];
}

static void run_block() {
    int n = B.n;
    for (int t = 0; t < n; t++) {
        fiber &fb = B.f[t];
        fb.state = RUNNABLE;
        getcontext(&fb.ctx);
        fb.ctx.uc_stack.ss_sp = fb.stack.data();
        fb.ctx.uc_stack.ss_size = fb.stack.size();
        fb.ctx.uc_link = &B.sched;
        makecontext(&fb.ctx, fiber_entry, 0);
    }
    for (;;) {
        bool ran = false;
        for (int t = 0; t < n; t++) {
            if (B.f[t].state != RUNNABLE) continue;
            B.cur = t;
            swapcontext(&B.sched, &B.f[t].ctx);
            ran = true;
        }
        if (ran) continue;
        int done = 0, at_block = 0;
        for (int t = 0; t < n; t++) done += B.f[t].state == DONE, at_block += B.f[t].state == AT_BLOCK;
        if (done == n) return;
        bool released = false;
        for (int w = 0; w < n; w += 32) {
            int live = 0, at_warp = 0, exited = 0;
            for (int t = w; t < w + 32 && t < n; t++) {
                live += B.f[t].state != DONE;
                at_warp += B.f[t].state == AT_WARP;
                exited += B.f[t].state == DONE;
            }
            if (at_warp && at_warp == live) {
                if (exited || w + 32 > n) die("warp shuffle with exited or missing lanes (warp at thread %s%lld)", "", w);
                for (int t = w; t < w + 32; t++) B.f[t].state = RUNNABLE;
                released = true;
            }
        }
        if (released) continue;
        if (at_block == n - done) {
            for (int t = 0; t < n; t++)
                if (B.f[t].state == AT_BLOCK) B.f[t].state = RUNNABLE;
            continue;
        }
        die("deadlock: threads wait at different barriers (%s%lld at __syncthreads)", "", at_block);
    }
}

void run(const config &c, std::function<void()> fn) {
    launches++;
    int n = (int)(c.block.x * c.block.y * c.block.z);
    if (n < 1 || n > 1024 || c.grid.x < 1 || c.grid.y < 1 || c.grid.z < 1 || c.grid.y > 65535 || c.grid.z > 65535) {
        last_error = cudaErrorInvalidConfiguration;
        return;
    }
    B.grid = c.grid, B.block = c.block, B.n = n, B.fn = &fn;
    if ((int)B.f.size() < n) B.f.resize(n);
    for (int t = 0; t < n; t++)
        if (B.f[t].stack.size() < (1 << 17)) B.f[t].stack.resize(1 << 17);
    B.slots.assign((size_t)((n + 31) / 32 * 32), 0);
    for (unsigned z = 0; z < c.grid.z; z++)
        for (unsigned y = 0; y < c.grid.y; y++)
            for (unsigned x = 0; x < c.grid.x; x++) {
                B.bidx = dim3(x, y, z);
                run_block();
            }
}
} // namespace emu

// --- runtime -----------------------------------------------------------------------------------------------------

static std::map<const char *, size_t> allocations; // device buffers, for bounds checks of copies

const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    default: return "unknown error";
    }
}
const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorUnknown";
    }
}
cudaError_t cudaGetLastError() {
    cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}
cudaError_t cudaGetDeviceCount(int *n) {
    if (getenv("EMU_NO_DEVICE")) return last_error = cudaErrorNoDevice;
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int) {
    snprintf(p->name, sizeof p->name, "emulated GPU");
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int) {
    switch (a) {
    case cudaDevAttrComputeCapabilityMajor: *v = getenv("EMU_CC") ? atoi(getenv("EMU_CC")) / 10 : 9; break;
    case cudaDevAttrComputeCapabilityMinor: *v = getenv("EMU_CC") ? atoi(getenv("EMU_CC")) % 10 : 0; break;
    case cudaDevAttrMultiProcessorCount: *v = getenv("EMU_SM_COUNT") ? atoi(getenv("EMU_SM_COUNT")) : 2; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 227 << 10; break;
    case cudaDevAttrMemoryPoolsSupported: *v = 1; break;
    }
    return cudaSuccess;
}
struct emu_stream {
    int dummy;
};
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) {
    *s = new emu_stream();
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
    delete s;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaMalloc(void **p, size_t n) {
    if (n > ((size_t)8 << 30)) return last_error = cudaErrorMemoryAllocation;
    *p = aligned_alloc(256, (n + 255) / 256 * 256);
    allocations[(const char *)*p] = n;
    return cudaSuccess;
}
cudaError_t cudaMallocAsync(void **p, size_t n, cudaStream_t) { return cudaMalloc(p, n); }
cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    auto it = allocations.find((const char *)p);
    if (it == allocations.end()) die("cudaFree of a pointer not from cudaMalloc");
    allocations.erase(it);
    free(p);
    return cudaSuccess;
}
cudaError_t cudaFreeAsync(void *p, cudaStream_t) { return cudaFree(p); }
static void check_device_range(const void *p, size_t n, const char *what) {
    auto it = allocations.upper_bound((const char *)p);
    if (it == allocations.begin()) die("%s: pointer is not device memory", what);
    --it;
    if ((const char *)p + n > it->first + it->second) die("%s: range runs past its allocation by %lld bytes", what, (long long)((const char *)p + n - (it->first + it->second)));
}
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind k, cudaStream_t) {
    if (!d || !s) return last_error = cudaErrorInvalidValue;
    if (k != cudaMemcpyHostToDevice) check_device_range(s, n, "cudaMemcpy source");
    if (k != cudaMemcpyDeviceToHost) check_device_range(d, n, "cudaMemcpy destination");
    memmove(d, s, n);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *d, int v, size_t n, cudaStream_t) {
    check_device_range(d, n, "cudaMemset");
    memset(d, v, n);
    return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *f, size_t *t) {
    *f = (size_t)12 << 30, *t = (size_t)16 << 30;
    return cudaSuccess;
}

// --- element access by data type -----------------------------------------------------------------------------------

static double load(const void *p, int64_t i, int type) {
    if (type == CUDA_R_32F) return ((const float *)p)[i];
    return f16_to_f32(((const uint16_t *)p)[i]);
}
static void store(void *p, int64_t i, int type, double v) {
    if (type == CUDA_R_32F) ((float *)p)[i] = (float)v;
    else ((uint16_t *)p)[i] = f32_to_f16((float)v);
}

// --- cuBLAS --------------------------------------------------------------------------------------------------------

struct emu_cublas {
    int dummy;
};
const char *cublasGetStatusString(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS ? "success" : "an invalid value was used as an argument"; }
const char *cublasGetStatusName(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_INVALID_VALUE"; }
cublasStatus_t cublasCreate(cublasHandle_t *h) {
    *h = new emu_cublas();
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t, cudaStream_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return CUBLAS_STATUS_SUCCESS; }

// Column-major C (m x n) = alpha op(A) op(B) + beta C [+ bias[i]]; beta == 0 never reads C (BLAS semantics).
static cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                           const void *A, int at, int lda, const void *B, int bt, int ldb, float beta, void *C, int ct,
                           int ldc, const void *bias = nullptr) {
    int a_rows = ta == CUBLAS_OP_N ? m : k, b_rows = tb == CUBLAS_OP_N ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) ||
        ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (at != bt || at != ct) return CUBLAS_STATUS_NOT_SUPPORTED;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int p = 0; p < k; p++) {
                double a = ta == CUBLAS_OP_N ? load(A, i + (int64_t)p * lda, at) : load(A, p + (int64_t)i * lda, at);
                double b = tb == CUBLAS_OP_N ? load(B, p + (int64_t)j * ldb, bt) : load(B, j + (int64_t)p * ldb, bt);
                acc += a * b;
            }
            double c = alpha * acc;
            if (beta != 0.0f) c += beta * load(C, i + (int64_t)j * ldc, ct);
            if (bias) c += load(bias, i, ct);
            store(C, i + (int64_t)j * ldc, ct, c);
        }
    return CUBLAS_STATUS_SUCCESS;
}
static size_t esize(int t) { return t == CUDA_R_32F ? 4 : 2; }

cublasStatus_t cublasGemmEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const void *alpha, const void *A, cudaDataType at, int lda, const void *B, cudaDataType bt,
                            int ldb, const void *beta, void *C, cudaDataType ct, int ldc, cublasComputeType_t comp,
                            cublasGemmAlgo_t) {
    if (comp != CUBLAS_COMPUTE_32F) return CUBLAS_STATUS_NOT_SUPPORTED;
    return gemm(ta, tb, m, n, k, *(const float *)alpha, A, at, lda, B, bt, ldb, *(const float *)beta, C, ct, ldc);
}
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                          int k, const void *alpha, const void *A, cudaDataType at, int lda,
                                          long long sa, const void *B, cudaDataType bt, int ldb, long long sb,
                                          const void *beta, void *C, cudaDataType ct, int ldc, long long sc, int batch,
                                          cublasComputeType_t comp, cublasGemmAlgo_t) {
    if (comp != CUBLAS_COMPUTE_32F || batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
    for (int i = 0; i < batch; i++) {
        cublasStatus_t s = gemm(ta, tb, m, n, k, *(const float *)alpha, (const char *)A + sa * i * esize(at), at, lda,
                                (const char *)B + sb * i * esize(bt), bt, ldb, *(const float *)beta,
                                (char *)C + sc * i * esize(ct), ct, ldc);
        if (s) return s;
    }
    return CUBLAS_STATUS_SUCCESS;
}

// --- cuBLASLt ------------------------------------------------------------------------------------------------------

struct emu_lt {
    int dummy;
};
struct emu_lt_desc {
    int ta = CUBLAS_OP_N, tb = CUBLAS_OP_N, epi = CUBLASLT_EPILOGUE_DEFAULT;
    const void *bias = nullptr;
};
struct emu_lt_layout {
    int type;
    uint64_t rows, cols;
    int64_t ld;
};
struct emu_lt_pref {
    uint64_t ws = 0;
};
cublasStatus_t cublasLtCreate(cublasLtHandle_t *h) {
    *h = new emu_lt();
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtDestroy(cublasLtHandle_t h) {
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d, cublasComputeType_t c, cudaDataType s) {
    if (c != CUBLAS_COMPUTE_32F || s != CUDA_R_32F) return CUBLAS_STATUS_INVALID_VALUE;
    *d = new emu_lt_desc();
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d) {
    delete d;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t a,
                                              const void *buf, size_t n) {
    switch (a) {
    case CUBLASLT_MATMUL_DESC_TRANSA:
        if (n != sizeof(int32_t)) return CUBLAS_STATUS_INVALID_VALUE;
        memcpy(&d->ta, buf, 4);
        break;
    case CUBLASLT_MATMUL_DESC_TRANSB:
        if (n != sizeof(int32_t)) return CUBLAS_STATUS_INVALID_VALUE;
        memcpy(&d->tb, buf, 4);
        break;
    case CUBLASLT_MATMUL_DESC_EPILOGUE:
        if (n != sizeof(uint32_t)) return CUBLAS_STATUS_INVALID_VALUE;
        memcpy(&d->epi, buf, 4);
        break;
    case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
        if (n != sizeof(void *)) return CUBLAS_STATUS_INVALID_VALUE;
        memcpy(&d->bias, buf, sizeof(void *));
        break;
    }
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l, cudaDataType t, uint64_t rows, uint64_t cols,
                                          int64_t ld) {
    if (ld < (int64_t)rows) return CUBLAS_STATUS_INVALID_VALUE;
    *l = new emu_lt_layout{t, rows, cols, ld};
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t l) {
    delete l;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) {
    *p = new emu_lt_pref();
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
    delete p;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t p,
                                                    cublasLtMatmulPreferenceAttributes_t a, const void *buf, size_t n) {
    if (a == CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES) {
        if (n != 8) return CUBLAS_STATUS_INVALID_VALUE;
        memcpy(&p->ws, buf, 8);
    } else if (n != 4) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    return CUBLAS_STATUS_SUCCESS;
}
static bool lt_shapes(cublasLtMatmulDesc_t d, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                      cublasLtMatrixLayout_t c, uint64_t *m, uint64_t *n, uint64_t *k) {
    *m = c->rows, *n = c->cols;
    *k = d->ta == CUBLAS_OP_N ? a->cols : a->rows;
    uint64_t am = d->ta == CUBLAS_OP_N ? a->rows : a->cols;
    uint64_t bk = d->tb == CUBLAS_OP_N ? b->rows : b->cols, bn = d->tb == CUBLAS_OP_N ? b->cols : b->rows;
    return am == *m && bk == *k && bn == *n && a->type == b->type && a->type == c->type;
}
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t, cublasLtMatmulDesc_t d, cublasLtMatrixLayout_t a,
                                              cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c,
                                              cublasLtMatrixLayout_t dd, cublasLtMatmulPreference_t, int requested,
                                              cublasLtMatmulHeuristicResult_t *res, int *n_res) {
    uint64_t m, n, k;
    if (requested < 1 || !lt_shapes(d, a, b, c, &m, &n, &k) || c->rows != dd->rows || c->cols != dd->cols)
        return CUBLAS_STATUS_INVALID_VALUE;
    memset(res, 0, sizeof *res);
    res->state = CUBLAS_STATUS_SUCCESS;
    *n_res = 1;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t d, const void *alpha, const void *A,
                              cublasLtMatrixLayout_t la, const void *B, cublasLtMatrixLayout_t lb, const void *beta,
                              const void *C, cublasLtMatrixLayout_t lc, void *D, cublasLtMatrixLayout_t ld,
                              const cublasLtMatmulAlgo_t *algo, void *, size_t, cudaStream_t) {
    uint64_t m, n, k;
    if (!algo || !lt_shapes(d, la, lb, lc, &m, &n, &k) || C != D || lc->ld != ld->ld) return CUBLAS_STATUS_INVALID_VALUE;
    if (d->epi == CUBLASLT_EPILOGUE_BIAS && !d->bias) return CUBLAS_STATUS_INVALID_VALUE;
    return gemm((cublasOperation_t)d->ta, (cublasOperation_t)d->tb, (int)m, (int)n, (int)k, *(const float *)alpha, A,
                la->type, (int)la->ld, B, lb->type, (int)lb->ld, *(const float *)beta, D, ld->type, (int)ld->ld,
                d->epi == CUBLASLT_EPILOGUE_BIAS ? d->bias : nullptr);
}

// --- cuDNN ---------------------------------------------------------------------------------------------------------

struct emu_cudnn {
    int dummy;
};
struct emu_tensor_desc {
    int type = -1, n, c, h, w;
};
struct emu_filter_desc {
    int type = -1, k, c, h, w;
};
struct emu_conv_desc {
    int pad_h, pad_w, u, v, dil_h, dil_w, mode, groups = 1, math = CUDNN_DEFAULT_MATH, set = 0;
};
const char *cudnnGetErrorString(cudnnStatus_t s) { return s == CUDNN_STATUS_SUCCESS ? "CUDNN_STATUS_SUCCESS" : "CUDNN_STATUS_BAD_PARAM"; }
cudnnStatus_t cudnnCreate(cudnnHandle_t *h) {
    if (getenv("EMU_NO_CUDNN")) return CUDNN_STATUS_INTERNAL_ERROR; // e.g. its sub-libraries missing
    *h = new emu_cudnn();
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) {
    delete h;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t, cudaStream_t) { return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) {
    *d = new emu_tensor_desc();
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
    delete d;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t f, cudnnDataType_t t, int n,
                                         int c, int h, int w) {
    if (f != CUDNN_TENSOR_NCHW || n < 1 || c < 1 || h < 1 || w < 1) return CUDNN_STATUS_BAD_PARAM;
    *d = emu_tensor_desc{t, n, c, h, w};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) {
    *d = new emu_filter_desc();
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
    delete d;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f, int k,
                                         int c, int h, int w) {
    if (f != CUDNN_TENSOR_NCHW || k < 1 || c < 1 || h < 1 || w < 1) return CUDNN_STATUS_BAD_PARAM;
    *d = emu_filter_desc{t, k, c, h, w};
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) {
    *d = new emu_conv_desc();
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
    delete d;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v,
                                              int dil_h, int dil_w, cudnnConvolutionMode_t mode, cudnnDataType_t) {
    if (pad_h < 0 || pad_w < 0 || u < 1 || v < 1 || dil_h < 1 || dil_w < 1) return CUDNN_STATUS_BAD_PARAM;
    d->pad_h = pad_h, d->pad_w = pad_w, d->u = u, d->v = v, d->dil_h = dil_h, d->dil_w = dil_w, d->mode = mode;
    d->set = 1;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int g) {
    if (g < 1) return CUDNN_STATUS_BAD_PARAM;
    d->groups = g;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) {
    d->math = m;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t d, cudnnTensorDescriptor_t x,
                                                    cudnnFilterDescriptor_t w, int *n, int *c, int *h, int *wo) {
    if (!d->set || x->c != w->c * d->groups || w->k % d->groups) return CUDNN_STATUS_BAD_PARAM;
    *n = x->n, *c = w->k;
    *h = (x->h + 2 * d->pad_h - (d->dil_h * (w->h - 1) + 1)) / d->u + 1;
    *wo = (x->w + 2 * d->pad_w - (d->dil_w * (w->w - 1) + 1)) / d->v + 1;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, cudnnTensorDescriptor_t x,
                                                     cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t c,
                                                     cudnnTensorDescriptor_t y, int requested, int *returned,
                                                     cudnnConvolutionFwdAlgoPerf_t *perf) {
    int n, k, h, wo;
    if (cudnnGetConvolution2dForwardOutputDim(c, x, w, &n, &k, &h, &wo) || y->n != n || y->c != k || y->h != h ||
        y->w != wo || requested < 1 || x->type != w->type || x->type != y->type)
        return CUDNN_STATUS_BAD_PARAM;
    memset(perf, 0, sizeof *perf);
    perf[0].algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    perf[0].status = CUDNN_STATUS_SUCCESS;
    perf[0].memory = 4096; // so the workspace path is exercised
    // like cuDNN's heuristics, an FMA-only request may come back ranked under the default math type
    perf[0].mathType = c->math == CUDNN_FMA_MATH ? CUDNN_DEFAULT_MATH : (cudnnMathType_t)c->math;
    *returned = 1;
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t, const void *alpha, cudnnTensorDescriptor_t xd, const void *x,
                                      cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd,
                                      cudnnConvolutionFwdAlgo_t, void *ws, size_t ws_bytes, const void *beta,
                                      cudnnTensorDescriptor_t yd, void *y) {
    int n, k, h, wo;
    if (cudnnGetConvolution2dForwardOutputDim(cd, xd, wd, &n, &k, &h, &wo) || yd->h != h || yd->w != wo ||
        yd->c != k || cd->mode != CUDNN_CROSS_CORRELATION)
        return CUDNN_STATUS_BAD_PARAM;
    if (ws_bytes < 4096 || !ws) return CUDNN_STATUS_BAD_PARAM;
    check_device_range(ws, ws_bytes, "cudnn workspace");
    if (xd->type == CUDNN_DATA_FLOAT && cd->math != CUDNN_FMA_MATH) die("f32 cudnn convolution not held to FMA math");
    int t = xd->type == CUDNN_DATA_FLOAT ? CUDA_R_32F : CUDA_R_16F;
    float a = *(const float *)alpha, b = *(const float *)beta;
    int cig = wd->c, cog = wd->k / cd->groups;
    for (int in = 0; in < n; in++)
        for (int co = 0; co < k; co++)
            for (int oy = 0; oy < h; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    int g = co / cog;
                    double acc = 0;
                    for (int c = 0; c < cig; c++)
                        for (int ky = 0; ky < wd->h; ky++)
                            for (int kx = 0; kx < wd->w; kx++) {
                                int iy = oy * cd->u - cd->pad_h + ky * cd->dil_h;
                                int ix = ox * cd->v - cd->pad_w + kx * cd->dil_w;
                                if (iy < 0 || iy >= xd->h || ix < 0 || ix >= xd->w) continue;
                                acc += load(x, (((int64_t)in * xd->c + g * cig + c) * xd->h + iy) * xd->w + ix, t) *
                                       load(w, (((int64_t)co * cig + c) * wd->h + ky) * wd->w + kx, t);
                            }
                    int64_t at = (((int64_t)in * k + co) * h + oy) * wo + ox;
                    double v = a * acc;
                    if (b != 0.0f) v += b * load(y, at, t);
                    store(y, at, t, v);
                }
    return CUDNN_STATUS_SUCCESS;
}
