// cpu_backend.c — the CPU backend: its function table, host memory, per-thread scratch and the
// parallel-for helper every kernel uses.
#include <stdlib.h>
#include <string.h>

#include "cpu-impl.h"

static ls_status cpu_alloc(void *ctx, size_t n_bytes, void **ptr) {
    (void)ctx;
    size_t rounded = (n_bytes + 63) & ~(size_t)63;
    *ptr = rounded ? aligned_alloc(64, rounded) : NULL;
    if (rounded && !*ptr) return ls_fail(LS_ERR_OOM, "cpu: cannot allocate %.1f MiB", (double)n_bytes / (1 << 20));
    return LS_OK;
}

static void cpu_free(void *ctx, void *ptr) {
    (void)ctx;
    free(ptr);
}

static ls_status cpu_memcpy(void *ctx, void *dst, const void *src, size_t n_bytes) {
    (void)ctx;
    if (n_bytes) memmove(dst, src, n_bytes);
    return LS_OK;
}

static ls_status cpu_sync(void *ctx) {
    (void)ctx;
    return LS_OK;
}

static bool cpu_supports(void *ctx, op_kind op, dtype out_dt, dtype w_dt) {
    (void)ctx;
    switch (op) {
    case OP_LINEAR:
    case OP_CONV2D:
    case OP_CONV1D: return out_dt == DTYPE_F32 && w_dt != DTYPE_I32;
    case OP_COPY: return true; // any float dtype <-> any float dtype, i32 <-> i32
    case OP_FILL: return out_dt == DTYPE_F32 || out_dt == DTYPE_I32;
    default: return out_dt == DTYPE_F32;
    }
}

static void cpu_destroy(void *vctx) {
    struct cpu_ctx *ctx = vctx;
    pool_free(ctx->pool);
    if (ctx->scratch)
        for (int i = 0; i < ctx->n_threads * SCRATCH_SLOTS; i++) free(ctx->scratch[i].data);
    free(ctx->scratch);
    free(ctx);
}

static const struct backend_ops cpu_ops = {
    .version = BACKEND_API_VERSION,
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_memcpy,
    .download = cpu_memcpy,
    .sync = cpu_sync,
    .memory_info = NULL,
    .supports = cpu_supports,
    .linear = cpu_linear,
    .conv2d = cpu_conv2d,
    .conv1d = cpu_conv1d,
    .group_norm = cpu_group_norm,
    .layer_norm = cpu_layer_norm,
    .softmax = cpu_softmax,
    .attention = cpu_attention,
    .unary = cpu_unary,
    .binary = cpu_binary,
    .axpby = cpu_axpby,
    .geglu = cpu_geglu,
    .upsample2x = cpu_upsample2x,
    .copy = cpu_copy,
    .timestep_embedding = cpu_timestep_embedding,
    .fill = cpu_fill,
    .pool2d = cpu_pool2d,
    .destroy = cpu_destroy,
};

ls_status backend_cpu_init(struct backend **out, int n_threads) {
    *out = NULL;
    struct cpu_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ls_fail(LS_ERR_OOM, "cpu backend: out of memory");
    ls_status s = pool_init(&ctx->pool, n_threads);
    if (s) {
        free(ctx);
        return s;
    }
    ctx->n_threads = pool_size(ctx->pool);
    ctx->scratch = calloc((size_t)ctx->n_threads * SCRATCH_SLOTS, sizeof *ctx->scratch);
    if (!ctx->scratch) {
        cpu_destroy(ctx);
        return ls_fail(LS_ERR_OOM, "cpu backend: out of memory");
    }
    ctx->be = (struct backend){.ops = &cpu_ops, .ctx = ctx, .is_plan = 0};
    *out = &ctx->be;
    return LS_OK;
}

int backend_cpu_threads(const struct backend *be) {
    if (!be || be->ops != &cpu_ops) return 0;
    return ((const struct cpu_ctx *)be->ctx)->n_threads;
}

ls_status cpu_scratch_reserve(struct cpu_ctx *ctx, int slot, size_t n_bytes) {
    n_bytes = (n_bytes + 63) & ~(size_t)63;
    for (int t = 0; t < ctx->n_threads; t++) {
        struct scratch *s = &ctx->scratch[t * SCRATCH_SLOTS + slot];
        if (s->n_bytes >= n_bytes) continue;
        free(s->data);
        s->data = aligned_alloc(64, n_bytes);
        s->n_bytes = s->data ? n_bytes : 0;
        if (!s->data) return ls_fail(LS_ERR_OOM, "cpu: cannot allocate %.1f MiB of scratch", (double)n_bytes / (1 << 20));
    }
    return LS_OK;
}

struct range_job {
    cpu_range_fn fn;
    void *arg;
    int64_t n, grain;
};

static void range_task(void *varg, int64_t task, int thread) {
    const struct range_job *job = varg;
    int64_t begin = task * job->grain;
    int64_t end = begin + job->grain < job->n ? begin + job->grain : job->n;
    job->fn(job->arg, begin, end, thread);
}

void cpu_parallel_for(struct cpu_ctx *ctx, int64_t n, int64_t grain, cpu_range_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    struct range_job job = {fn, arg, n, grain};
    pool_run(ctx->pool, (n + grain - 1) / grain, range_task, &job);
}

void weight_row_to_f32(float *dst, const void *src, dtype dt, int64_t n) {
    switch (dt) {
    case DTYPE_F32: memcpy(dst, src, (size_t)n * 4); break;
    case DTYPE_F16: convert_f16_to_f32(dst, src, (size_t)n); break;
    case DTYPE_BF16: convert_bf16_to_f32(dst, src, (size_t)n); break;
    case DTYPE_I8: {
        const int8_t *s = src;
        for (int64_t i = 0; i < n; i++) dst[i] = (float)s[i];
        break;
    }
    default: LS_ASSERT(!"weight dtype");
    }
}
