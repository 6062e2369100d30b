// cuda_backend.cu — the CUDA backend: device selection and checks (count, compute capability covered by the
// compiled architectures), the context (stream, cuBLAS/cuBLASLt/cuDNN handles, workspaces), device memory,
// host <-> device copies, the LS_KERNEL variant overrides, supports() and the function table.
// Tested by tests/test_cuda_backend.c (device, memory, copies, error paths) and tests/ops (every op).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-impl.h"

#define LT_WORKSPACE_BYTES ((size_t)32 << 20) // cuBLASLt's recommendation for Hopper

// --- errors ----------------------------------------------------------------------------------------------------

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

extern "C" ls_status cuda_fail_rt(cudaError_t err, const char *expr, const char *file, int line) {
    (void)cudaGetLastError(); // clear a non-sticky error so the next call starts clean
    ls_status st = err == cudaErrorMemoryAllocation ? LS_ERR_OOM : LS_ERR_DEVICE;
    return ls_fail(st, "cuda: %s (%s) in %s at %s:%d", cudaGetErrorString(err), cudaGetErrorName(err), expr,
                   base_name(file), line);
}

extern "C" ls_status cuda_fail_cublas(cublasStatus_t s, const char *expr, const char *file, int line) {
    ls_status st = s == CUBLAS_STATUS_ALLOC_FAILED ? LS_ERR_OOM : LS_ERR_DEVICE;
    return ls_fail(st, "cublas: %s (%s) in %s at %s:%d", cublasGetStatusString(s), cublasGetStatusName(s), expr,
                   base_name(file), line);
}

#ifdef LS_HAVE_CUDNN
extern "C" ls_status cuda_fail_cudnn(cudnnStatus_t s, const char *expr, const char *file, int line) {
    ls_status st = s == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
                           s == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED
                       ? LS_ERR_OOM
                       : LS_ERR_DEVICE;
    return ls_fail(st, "cudnn: %s in %s at %s:%d", cudnnGetErrorString(s), expr, base_name(file), line);
}
#endif

extern "C" ls_status cuda_forced_unusable(const char *op, int variant, const char *why) {
    return ls_fail(LS_ERR_UNSUPPORTED, "cuda: %s variant %d (forced by LS_KERNEL) cannot run this case: %s", op,
                   variant, why);
}

// --- context helpers ---------------------------------------------------------------------------------------------

extern "C" ls_status cuda_enter(struct cuda_ctx *ctx) {
    CUDA_TRY(cudaSetDevice(ctx->device));
    return LS_OK;
}

static ls_status device_alloc(struct cuda_ctx *ctx, size_t n_bytes, void **ptr) {
    *ptr = NULL;
    if (n_bytes == 0) return LS_OK;
    cudaError_t err = ctx->mempool ? cudaMallocAsync(ptr, n_bytes, ctx->stream) : cudaMalloc(ptr, n_bytes);
    if (err == cudaSuccess) return LS_OK;
    (void)cudaGetLastError();
    *ptr = NULL;
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    (void)cudaGetLastError();
    if (err == cudaErrorMemoryAllocation || n_bytes > free_b) // some sizes come back as other errors
        return ls_fail(LS_ERR_OOM, "cuda:%d: cannot allocate %.1f MiB (%.1f MiB free of %.1f MiB): %s", ctx->device,
                       (double)n_bytes / (1 << 20), (double)free_b / (1 << 20), (double)total_b / (1 << 20),
                       cudaGetErrorString(err));
    return cuda_fail_rt(err, ctx->mempool ? "cudaMallocAsync" : "cudaMalloc", __FILE__, __LINE__);
}

static void device_free(struct cuda_ctx *ctx, void *ptr) {
    if (!ptr) return;
    // Stream-ordered: kernels already queued on the buffer finish first. cudaFree waits for the device.
    cudaError_t err = ctx->mempool ? cudaFreeAsync(ptr, ctx->stream) : cudaFree(ptr);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        log_msg(LOG_WARN, "cuda:%d: freeing device memory failed: %s", ctx->device, cudaGetErrorString(err));
    }
}

extern "C" ls_status cuda_workspace(struct cuda_ctx *ctx, size_t n_bytes, void **ptr) {
    if (n_bytes > ctx->workspace_bytes) {
        size_t grown = ctx->workspace_bytes + ctx->workspace_bytes / 2;
        size_t want = cuda_align_up(n_bytes > grown ? n_bytes : grown, (size_t)1 << 20);
        device_free(ctx, ctx->workspace);
        ctx->workspace = NULL;
        ctx->workspace_bytes = 0;
        LS_TRY(device_alloc(ctx, want, &ctx->workspace));
        ctx->workspace_bytes = want;
    }
    *ptr = ctx->workspace;
    return LS_OK;
}

extern "C" unsigned cuda_grid(const struct cuda_ctx *ctx, int64_t n_items, int block_threads) {
    int64_t blocks = (n_items + block_threads - 1) / block_threads;
    int64_t cap = (int64_t)ctx->sm_count * 32; // enough resident blocks to hide latency; the rest loop
    if (blocks > cap) blocks = cap;
    return blocks < 1 ? 1u : (unsigned)blocks;
}

// --- table entries: memory and copies ----------------------------------------------------------------------------

static ls_status cuda_alloc(void *vctx, size_t n_bytes, void **ptr) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    *ptr = NULL;
    LS_TRY(cuda_enter(ctx));
    return device_alloc(ctx, n_bytes, ptr);
}

static void cuda_free_ptr(void *vctx, void *ptr) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    if (!ptr || cuda_enter(ctx) != LS_OK) return;
    device_free(ctx, ptr);
}

// Host -> device. Returns once the host buffer may be reused: pageable sources are staged by the driver
// before cudaMemcpyAsync returns, pinned ones are not, so the stream is synchronised in both cases.
static ls_status cuda_upload(void *vctx, void *dst, const void *src_host, size_t n_bytes) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    if (n_bytes == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    CUDA_TRY(cudaMemcpyAsync(dst, src_host, n_bytes, cudaMemcpyHostToDevice, ctx->stream));
    CUDA_TRY(cudaStreamSynchronize(ctx->stream));
    return LS_OK;
}

// Device -> host, synchronous: waits for every kernel queued before it, so an asynchronous kernel fault is
// reported here.
static ls_status cuda_download(void *vctx, void *dst_host, const void *src, size_t n_bytes) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    if (n_bytes == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    CUDA_TRY(cudaMemcpyAsync(dst_host, src, n_bytes, cudaMemcpyDeviceToHost, ctx->stream));
    CUDA_TRY(cudaStreamSynchronize(ctx->stream));
    return LS_OK;
}

static ls_status cuda_sync(void *vctx) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    LS_TRY(cuda_enter(ctx));
    CUDA_TRY(cudaStreamSynchronize(ctx->stream));
    return LS_OK;
}

static ls_status cuda_memory_info(void *vctx, size_t *free_bytes, size_t *total_bytes) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    LS_TRY(cuda_enter(ctx));
    CUDA_TRY(cudaMemGetInfo(free_bytes, total_bytes));
    return LS_OK;
}

static bool is_act(dtype d) { return d == DTYPE_F32 || d == DTYPE_F16; }
static bool is_float(dtype d) { return d == DTYPE_F32 || d == DTYPE_F16 || d == DTYPE_BF16; }

// Activations f32 or f16 for every op; weights f32/f16/bf16/i8; copies between any float dtypes (and i32 to
// i32); fill of f32/f16/i32.
static bool cuda_supports(void *vctx, op_kind op, dtype out_dt, dtype w_dt) {
    (void)vctx;
    switch (op) {
    case OP_LINEAR:
    case OP_CONV2D:
    case OP_CONV1D: return is_act(out_dt) && (is_float(w_dt) || w_dt == DTYPE_I8);
    case OP_COPY: return (is_float(out_dt) && is_float(w_dt)) || (out_dt == DTYPE_I32 && w_dt == DTYPE_I32);
    case OP_FILL: return is_act(out_dt) || out_dt == DTYPE_I32;
    default: return (unsigned)op < OP_COUNT && is_act(out_dt);
    }
}

static void cuda_destroy(void *vctx) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    if (!ctx) return;
    if (cudaSetDevice(ctx->device) == cudaSuccess) {
        if (ctx->stream) (void)cudaStreamSynchronize(ctx->stream);
#ifdef LS_HAVE_CUDNN
        if (ctx->cudnn) cudnnDestroy(ctx->cudnn);
#endif
        if (ctx->cublaslt) cublasLtDestroy(ctx->cublaslt);
        if (ctx->cublas) cublasDestroy(ctx->cublas);
        device_free(ctx, ctx->workspace);
        device_free(ctx, ctx->lt_workspace);
        if (ctx->stream) {
            (void)cudaStreamSynchronize(ctx->stream);
            (void)cudaStreamDestroy(ctx->stream);
        }
    }
    (void)cudaGetLastError();
    free(ctx);
}

static const struct backend_ops cuda_ops = {
    BACKEND_API_VERSION,     // version
    "cuda",                  // name
    cuda_alloc,              // alloc
    cuda_free_ptr,           // free
    cuda_upload,             // upload
    cuda_download,           // download
    cuda_sync,               // sync
    cuda_memory_info,        // memory_info
    cuda_supports,           // supports
    cuda_linear,             // linear
    cuda_conv2d,             // conv2d
    cuda_conv1d,             // conv1d
    cuda_group_norm,         // group_norm
    cuda_layer_norm,         // layer_norm
    cuda_softmax,            // softmax
    cuda_attention,          // attention
    cuda_unary,              // unary
    cuda_binary,             // binary
    cuda_axpby,              // axpby
    cuda_geglu,              // geglu
    cuda_upsample2x,         // upsample2x
    cuda_copy,               // copy
    cuda_timestep_embedding, // timestep_embedding
    cuda_fill,               // fill
    cuda_destroy,            // destroy
    nullptr,                 // pool2d: not on the GPU yet (face models run on the CPU); ops/ reports it
};

// --- device checks ---------------------------------------------------------------------------------------------

// Whether the compiled architectures (LS_CUDA_ARCHS, e.g. "80;90") run on compute capability major.minor:
// a cubin for sm_XY runs on X.Y' with Y' >= Y; the PTX of the last architecture is JIT-compiled for any
// newer device. Arch-specific targets ("90a") run only on their exact capability.
static bool arch_covered(int major, int minor) {
    const char *s = LS_CUDA_ARCHS;
    int dev = major * 10 + minor, last = -1;
    bool last_specific = false;
    while (*s) {
        while (*s && (*s < '0' || *s > '9'))
            s++;
        if (!*s) break;
        int a = 0;
        while (*s >= '0' && *s <= '9')
            a = a * 10 + (*s++ - '0');
        bool specific = *s >= 'a' && *s <= 'z';
        while (*s >= 'a' && *s <= 'z')
            s++;
        if (specific ? a == dev : (a / 10 == major && a % 10 <= minor)) return true;
        last = a;
        last_specific = specific;
    }
    return last >= 0 && !last_specific && dev >= last;
}

__global__ void probe_kernel_1(int *out) {
    if (out) *out = 1;
}

// LS_KERNEL=<op>:<variant>,... — variant numbers as listed in each kernel file's header, or a name.
struct variant_name {
    op_kind op;
    int n_variants;
    const char *names[CUDA_MAX_VARIANTS]; // names[i] is variant i + 1
};
static const struct variant_name variant_names[] = {
    {OP_LINEAR, 2, {"cublas", "cublaslt"}},
    {OP_CONV2D, 3, {"direct", "im2col", "cudnn"}},
    {OP_CONV1D, 3, {"direct", "im2col", "cudnn"}},
    {OP_ATTENTION, 1, {"flash"}},
    {OP_COPY, 2, {"strided", "tiled"}},
};

static ls_status parse_ls_kernel(struct cuda_ctx *ctx, const char *spec) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (!colon) return ls_fail(LS_ERR_USAGE, "LS_KERNEL: '%s': expected <op>:<variant>", item);
        *colon = '\0';
        const char *value = colon + 1;
        int op = -1;
        for (int k = 0; k < OP_COUNT; k++)
            if (!strcmp(item, op_kind_name((op_kind)k))) op = k;
        if (op < 0) return ls_fail(LS_ERR_USAGE, "LS_KERNEL: unknown op '%s'", item);
        const struct variant_name *vn = NULL;
        for (size_t k = 0; k < sizeof variant_names / sizeof variant_names[0]; k++)
            if (variant_names[k].op == op) vn = &variant_names[k];
        int n_variants = vn ? vn->n_variants : 1, chosen = 0;
        char *end;
        long num = strtol(value, &end, 10);
        if (*value && !*end)
            chosen = (int)num;
        else if (vn)
            for (int k = 0; k < vn->n_variants; k++)
                if (!strcmp(value, vn->names[k])) chosen = k + 1;
        if (chosen < 1 || chosen > n_variants)
            return ls_fail(LS_ERR_USAGE, "LS_KERNEL: %s:%s: the cuda backend has variants 1-%d of %s", item, value,
                           n_variants, item);
#ifndef LS_HAVE_CUDNN
        if ((op == OP_CONV2D || op == OP_CONV1D) && chosen == 3)
            return ls_fail(LS_ERR_USAGE, "LS_KERNEL: %s:%s: this build has no cuDNN", item, value);
#endif
        ctx->forced[op] = chosen;
    }
    return LS_OK;
}

static ls_status ctx_setup(struct cuda_ctx *ctx) {
    int device = ctx->device;
    CUDA_TRY(cudaSetDevice(device));
    cudaDeviceProp prop;
    CUDA_TRY(cudaGetDeviceProperties(&prop, device));
    snprintf(ctx->device_name, sizeof ctx->device_name, "%s", prop.name);
    CUDA_TRY(cudaDeviceGetAttribute(&ctx->cc_major, cudaDevAttrComputeCapabilityMajor, device));
    CUDA_TRY(cudaDeviceGetAttribute(&ctx->cc_minor, cudaDevAttrComputeCapabilityMinor, device));
    if (!arch_covered(ctx->cc_major, ctx->cc_minor))
        return ls_fail(LS_ERR_DEVICE,
                       "cuda:%d: %s has compute capability %d.%d, this build has kernels for %s only "
                       "(hint: rebuild with -Dgpu_arch='%s;%d%d')",
                       device, ctx->device_name, ctx->cc_major, ctx->cc_minor, LS_CUDA_ARCHS, LS_CUDA_ARCHS,
                       ctx->cc_major, ctx->cc_minor);
    cudaFuncAttributes fa;
    cudaError_t err = cudaFuncGetAttributes(&fa, probe_kernel_1);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return ls_fail(LS_ERR_DEVICE,
                       "cuda:%d: %s (compute capability %d.%d) cannot load this build's kernels "
                       "(built for %s): %s",
                       device, ctx->device_name, ctx->cc_major, ctx->cc_minor, LS_CUDA_ARCHS, cudaGetErrorString(err));
    }
    int v = 0;
    CUDA_TRY(cudaDeviceGetAttribute(&ctx->sm_count, cudaDevAttrMultiProcessorCount, device));
    CUDA_TRY(cudaDeviceGetAttribute(&v, cudaDevAttrMemoryPoolsSupported, device));
    ctx->mempool = v != 0;
    CUDA_TRY(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    CUBLAS_TRY(cublasCreate(&ctx->cublas));
    CUBLAS_TRY(cublasSetStream(ctx->cublas, ctx->stream));
    // fp32 GEMMs stay fp32 (no TF32): the f32 path is the accurate one, checked at 1e-7 NMSE.
    CUBLAS_TRY(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH));
    CUBLAS_TRY(cublasLtCreate(&ctx->cublaslt));
    LS_TRY(device_alloc(ctx, LT_WORKSPACE_BYTES, &ctx->lt_workspace));
    ctx->lt_workspace_bytes = LT_WORKSPACE_BYTES;
#ifdef LS_HAVE_CUDNN
    // Without a working cuDNN the backend still runs: conv2d then takes its own variants.
    cudnnStatus_t cst = cudnnCreate(&ctx->cudnn);
    if (cst == CUDNN_STATUS_SUCCESS) cst = cudnnSetStream(ctx->cudnn, ctx->stream);
    if (cst != CUDNN_STATUS_SUCCESS) {
        log_msg(LOG_WARN, "cuda:%d: cuDNN unusable (%s); convolutions use the built-in kernels", device,
                cudnnGetErrorString(cst));
        if (ctx->cudnn) cudnnDestroy(ctx->cudnn);
        ctx->cudnn = NULL;
    }
#endif
    const char *spec = getenv("LS_KERNEL");
    if (spec && *spec) LS_TRY(parse_ls_kernel(ctx, spec));
    CUDA_TRY(cudaStreamSynchronize(ctx->stream));
    log_msg(LOG_DEBUG, "cuda:%d: %s, compute capability %d.%d, %d SMs, %s", device, ctx->device_name, ctx->cc_major,
            ctx->cc_minor, ctx->sm_count, ctx->mempool ? "stream-ordered allocator" : "cudaMalloc");
    return LS_OK;
}

// --- public entry points ---------------------------------------------------------------------------------------

extern "C" ls_status backend_cuda_init(struct backend **out, int device) {
    *out = NULL;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return ls_fail(LS_ERR_DEVICE, "cuda: no usable GPU: %s (%s)", cudaGetErrorString(err), cudaGetErrorName(err));
    }
    if (count <= 0) return ls_fail(LS_ERR_DEVICE, "cuda: no GPU found");
    if (device < 0 || device >= count)
        return ls_fail(LS_ERR_DEVICE, "cuda:%d: no such device (%d device%s present)", device, count,
                       count == 1 ? "" : "s");
    struct cuda_ctx *ctx = (struct cuda_ctx *)calloc(1, sizeof *ctx);
    if (!ctx) return ls_fail(LS_ERR_OOM, "cuda backend: out of host memory");
    ctx->device = device;
    ls_status s = ctx_setup(ctx);
    if (s != LS_OK) {
        cuda_destroy(ctx);
        return s;
    }
    ctx->be.ops = &cuda_ops;
    ctx->be.ctx = ctx;
    ctx->be.is_plan = 0;
    *out = &ctx->be;
    return LS_OK;
}

extern "C" int backend_cuda_device_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return count > 0 ? count : 0;
}

extern "C" bool backend_cuda_built(void) { return true; }
