// group_norm.cu — CUDA GroupNorm over (B, C, ...) with statistics shared by `frames` consecutive batch items
// (LatentSync's ResNet norms span all frames of a sample), optional affine and fused SiLU; out may equal x.
// Statistics are exact enough to need no second pass: each block sums d = x - shift and d^2 in double, with
// shift = the group's first element, so var = E[d^2] - E[d]^2 has no cancellation worth the name (double,
// and shift lies within the data); the apply kernel combines the partial sums of its group in a fixed
// order, so results are deterministic.
// Variants:
//   1 group_norm_stats_kernel_1 + group_norm_apply_kernel_1: both over blocks of (sample, group, frame,
//     chunk of the frame's cg*H*W contiguous elements), chunks sized so the grid fills the device.
// Tested by tests/ops/test_norm.c and tests/ops/test_f16.c.
#include <math.h>

#include "cuda-device.cuh"

#define GN_THREADS 256
#ifndef GN_MIN_CHUNK // tests/cuda_emu shrinks it so groups split into several chunks
#define GN_MIN_CHUNK 2048
#endif

struct gn_geom {
    int64_t c, groups, cg, frames, sp; // channels, groups, channels per group, frames per sample, H*W...
    int64_t seg;                       // cg * sp: one frame's elements of one group
    int64_t chunk_len, chunks;         // a frame's segment in `chunks` pieces of chunk_len
};

// Block -> (sample-group sg, frame f, chunk); sg = sample * groups + group.
__device__ __forceinline__ void gn_block(const gn_geom &g, int64_t blk, int64_t *sg, int64_t *f, int64_t *chunk) {
    *chunk = blk % g.chunks;
    *f = (blk / g.chunks) % g.frames;
    *sg = blk / (g.chunks * g.frames);
}

// Offset of frame f's segment of sample-group sg.
__device__ __forceinline__ int64_t gn_segment(const gn_geom &g, int64_t sg, int64_t f) {
    int64_t s = sg / g.groups, grp = sg % g.groups;
    return ((s * g.frames + f) * g.c + grp * g.cg) * g.sp;
}

template <typename T>
static __global__ void group_norm_stats_kernel_1(const T *x, double2 *partial, double *shift, gn_geom g) {
    __shared__ double scratch[33];
    int64_t sg, f, chunk;
    gn_block(g, blockIdx.x, &sg, &f, &chunk);
    double sh = (double)to_f32(x[gn_segment(g, sg, 0)]);
    const T *seg = x + gn_segment(g, sg, f);
    int64_t start = chunk * g.chunk_len, end = start + g.chunk_len < g.seg ? start + g.chunk_len : g.seg;
    double s1 = 0.0, s2 = 0.0;
    for (int64_t i = start + threadIdx.x; i < end; i += blockDim.x) {
        double d = (double)to_f32(seg[i]) - sh;
        s1 += d;
        s2 += d * d;
    }
    s1 = block_sum(s1, scratch);
    s2 = block_sum(s2, scratch);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = make_double2(s1, s2);
        if (f == 0 && chunk == 0) shift[sg] = sh;
    }
}

template <typename T>
static __global__ void group_norm_apply_kernel_1(T *out, const T *x, const T *gamma, const T *beta,
                                                 const double2 *partial, const double *shift, gn_geom g, float eps,
                                                 bool silu) {
    __shared__ double scratch[33];
    int64_t sg, f, chunk;
    gn_block(g, blockIdx.x, &sg, &f, &chunk);
    int64_t n_part = g.frames * g.chunks;
    const double2 *pp = partial + sg * n_part;
    double s1 = 0.0, s2 = 0.0;
    for (int64_t i = threadIdx.x; i < n_part; i += blockDim.x)
        s1 += pp[i].x, s2 += pp[i].y;
    s1 = block_sum(s1, scratch);
    s2 = block_sum(s2, scratch);
    double n = (double)g.frames * (double)g.seg;
    double m1 = s1 / n, var = s2 / n - m1 * m1;
    float mean = (float)(shift[sg] + m1);
    float rstd = (float)(1.0 / sqrt((var > 0.0 ? var : 0.0) + (double)eps));
    int64_t base = gn_segment(g, sg, f), c0 = (sg % g.groups) * g.cg;
    int64_t start = chunk * g.chunk_len, end = start + g.chunk_len < g.seg ? start + g.chunk_len : g.seg;
    bool narrow = g.seg <= 0xffffffffll; // 32-bit division for the channel index
    for (int64_t i = start + threadIdx.x; i < end; i += blockDim.x) {
        int64_t ch = c0 + (narrow ? (int64_t)((uint32_t)i / (uint32_t)g.sp) : i / g.sp);
        float v = (to_f32(x[base + i]) - mean) * rstd;
        if (gamma) v *= to_f32(gamma[ch]);
        if (beta) v += to_f32(beta[ch]);
        if (silu) v = v / (1.0f + expf(-v));
        out[base + i] = from_f32<T>(v);
    }
}

template <typename T>
static ls_status launch(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const tensor *gamma,
                        const tensor *beta, const struct group_norm_params *p, const gn_geom &g, int64_t n_sg) {
    int64_t blocks = n_sg * g.frames * g.chunks;
    size_t part_bytes = cuda_align_up((size_t)blocks * sizeof(double2), 256);
    void *ws;
    LS_TRY(cuda_workspace(ctx, part_bytes + (size_t)n_sg * sizeof(double), &ws));
    double2 *partial = (double2 *)ws;
    double *shift = (double *)((char *)ws + part_bytes);
    group_norm_stats_kernel_1<T>
        <<<(unsigned)blocks, GN_THREADS, 0, ctx->stream>>>((const T *)x->data, partial, shift, g);
    CUDA_LAUNCHED();
    group_norm_apply_kernel_1<T><<<(unsigned)blocks, GN_THREADS, 0, ctx->stream>>>(
        (T *)out->data, (const T *)x->data, gamma ? (const T *)gamma->data : NULL, beta ? (const T *)beta->data : NULL,
        partial, shift, g, p->eps, p->silu);
    CUDA_LAUNCHED();
    return LS_OK;
}

extern "C" ls_status cuda_group_norm(void *vctx, const tensor *out, const tensor *x, const tensor *gamma,
                                     const tensor *beta, const struct group_norm_params *p) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    gn_geom g;
    g.c = x->shape[1];
    g.groups = p->groups;
    g.cg = g.c / p->groups;
    g.frames = p->frames;
    g.sp = g.c ? tensor_n_elems(x) / (x->shape[0] * g.c) : 0;
    g.seg = g.cg * g.sp;
    int64_t n_sg = x->shape[0] / p->frames * p->groups;
    if (g.seg == 0 || n_sg == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    // enough blocks to fill the device, none with fewer than GN_MIN_CHUNK elements
    int64_t want = 4 * (int64_t)ctx->sm_count, per_seg = (want + n_sg * g.frames - 1) / (n_sg * g.frames);
    int64_t max_chunks = (g.seg + GN_MIN_CHUNK - 1) / GN_MIN_CHUNK;
    g.chunks = per_seg < 1 ? 1 : per_seg > max_chunks ? max_chunks : per_seg;
    g.chunk_len = (g.seg + g.chunks - 1) / g.chunks;
    g.chunks = (g.seg + g.chunk_len - 1) / g.chunk_len;
    if (n_sg * g.frames * g.chunks > INT32_MAX)
        return ls_fail(LS_ERR_UNSUPPORTED, "cuda: group_norm of %lld groups x %lld frames", (long long)n_sg,
                       (long long)g.frames);
    switch (out->dtype) {
    case DTYPE_F32: return launch<float>(ctx, out, x, gamma, beta, p, g, n_sg);
    case DTYPE_F16: return launch<__half>(ctx, out, x, gamma, beta, p, g, n_sg);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: group_norm on %s", dtype_name(out->dtype));
    }
}
