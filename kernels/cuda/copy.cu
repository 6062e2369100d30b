// copy.cu — CUDA strided copy with dtype conversion (f32/f16/bf16 among themselves, i32 to i32): the kernel
// under op_copy, op_permute, op_concat and the UNet's layout changes. Dims contiguous in both tensors are
// merged first; one contiguous run of the same dtype is a cudaMemcpyAsync.
// Variants:
//   1 copy_kernel_1: one element per thread through both views (writes coalesced when out is contiguous,
//     reads strided);
//   2 copy_kernel_2: 32 x 32 tiles through shared memory when x's unit-stride dim is not out's last dim
//     (a transpose, e.g. (B*F, C, H*W) -> (B*H*W, F, C)), so both sides are read and written in full lines.
// choose_copy: 2 for transposes whose last dim has at least 8 elements (as the CPU backend), else 1.
// Crossover not measured yet (written without a GPU).
// Tested by tests/ops/test_copy.c and tests/ops/test_f16.c.
#include "cuda-device.cuh"

template <typename TO, typename TI> struct convert {
    static __device__ __forceinline__ TO run(TI x) { return from_f32<TO>(to_f32(x)); }
};
template <> struct convert<int32_t, int32_t> {
    static __device__ __forceinline__ int32_t run(int32_t x) { return x; }
};

template <typename TO, typename TI>
static __global__ void copy_kernel_1(TO *out, view5 vo, bool o_flat, const TI *x, view5 vx, bool x_flat, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        out[o_flat ? i : view_offset(vo, i)] = convert<TO, TI>::run(x[x_flat ? i : view_offset(vx, i)]);
}

// Tiles over (i: x's unit-stride dim, j: out's unit-stride dim); every other dim is in the `rest` views.
// TT is the tile's element type: float for the float dtypes (exact for all of them), int32_t for i32.
#define TILE      32
#define TILE_ROWS 8
template <typename TO, typename TI, typename TT>
static __global__ void copy_kernel_2(TO *out, const TI *x, view5 rest_o, view5 rest_x, int64_t n_tiles, int64_t ni,
                                     int64_t nj, int64_t so_i, int64_t sx_j) {
    __shared__ TT tile[TILE][TILE + 1];
    int64_t ti = (ni + TILE - 1) / TILE, tj = (nj + TILE - 1) / TILE;
    int tx = threadIdx.x, ty = threadIdx.y;
    for (int64_t t = blockIdx.x; t < n_tiles; t += gridDim.x) {
        int64_t r = t / (ti * tj), tile_ij = t - r * (ti * tj);
        int64_t i0 = (tile_ij / tj) * TILE, j0 = (tile_ij % tj) * TILE;
        int64_t bo = view_offset(rest_o, r), bx = view_offset(rest_x, r);
        for (int k = 0; k < TILE; k += TILE_ROWS) {
            int64_t i = i0 + tx, j = j0 + ty + k;
            if (i < ni && j < nj) tile[ty + k][tx] = convert<TT, TI>::run(x[bx + i + j * sx_j]);
        }
        __syncthreads();
        for (int k = 0; k < TILE; k += TILE_ROWS) {
            int64_t i = i0 + ty + k, j = j0 + tx;
            if (i < ni && j < nj) out[bo + i * so_i + j] = convert<TO, TT>::run(tile[tx][ty + k]);
        }
        __syncthreads();
    }
}

struct copy_plan {
    view5 vo, vx;
    int fast_x; // x's unit-stride dim when the copy is a transpose, else -1
};

template <typename TO, typename TI, typename TT>
static ls_status launch_copy(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const struct copy_plan *cp,
                             int variant) {
    int64_t n = tensor_n_elems(out);
    if (variant == 1) {
        copy_kernel_1<TO, TI><<<cuda_grid(ctx, n, 256), 256, 0, ctx->stream>>>(
            (TO *)out->data, cp->vo, view_is_flat(cp->vo), (const TI *)x->data, cp->vx, view_is_flat(cp->vx), n);
        CUDA_LAUNCHED();
        return LS_OK;
    }
    const view5 &vo = cp->vo, &vx = cp->vx;
    int last = vo.n_dims - 1, fx = cp->fast_x, nr = 0;
    view5 ro = {}, rx = {};
    int64_t n_rest = 1;
    for (int d = 0; d < last && d < TENSOR_MAX_DIMS; d++) {
        if (d == fx) continue;
        ro.shape[nr] = rx.shape[nr] = vo.shape[d];
        ro.stride[nr] = vo.stride[d];
        rx.stride[nr] = vx.stride[d];
        n_rest *= vo.shape[d];
        nr++;
    }
    ro.n_dims = rx.n_dims = nr;
    int64_t ni = cp->vo.shape[fx], nj = cp->vo.shape[last];
    int64_t n_tiles = n_rest * ((ni + TILE - 1) / TILE) * ((nj + TILE - 1) / TILE);
    int64_t cap = (int64_t)ctx->sm_count * 16;
    unsigned grid = (unsigned)(n_tiles < cap ? n_tiles : cap);
    copy_kernel_2<TO, TI, TT><<<grid, dim3(TILE, TILE_ROWS), 0, ctx->stream>>>(
        (TO *)out->data, (const TI *)x->data, ro, rx, n_tiles, ni, nj, cp->vo.stride[fx], cp->vx.stride[last]);
    CUDA_LAUNCHED();
    return LS_OK;
}

template <typename TO>
static ls_status dispatch_from(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const struct copy_plan *cp,
                               int variant) {
    switch (x->dtype) {
    case DTYPE_F32: return launch_copy<TO, float, float>(ctx, out, x, cp, variant);
    case DTYPE_F16: return launch_copy<TO, __half, float>(ctx, out, x, cp, variant);
    case DTYPE_BF16: return launch_copy<TO, __nv_bfloat16, float>(ctx, out, x, cp, variant);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: copy from %s to %s", dtype_name(x->dtype), dtype_name(out->dtype));
    }
}

static int choose_copy(const struct cuda_ctx *ctx, struct copy_plan *cp) {
    int last = cp->vo.n_dims - 1;
    cp->fast_x = -1;
    if (cp->vo.stride[last] == 1 && cp->vx.stride[last] != 1)
        for (int d = 0; d < last; d++)
            if (cp->vx.stride[d] == 1 && cp->vo.shape[d] > 1) cp->fast_x = d;
    int forced = cuda_forced(ctx, OP_COPY);
    if (forced) return forced;
    return cp->fast_x >= 0 && cp->vo.shape[last] >= 8 ? 2 : 1;
}

extern "C" ls_status cuda_copy(void *vctx, const tensor *out, const tensor *x) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t n = tensor_n_elems(out);
    if (n == 0) return LS_OK;
    bool same_layout = out->dtype == x->dtype;
    for (int d = 0; d < out->n_dims; d++)
        same_layout = same_layout && out->stride[d] == x->stride[d];
    if (out->data == x->data && same_layout) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    struct copy_plan cp = {};
    view5 v[2];
    const int64_t *strides[2] = {out->stride, x->stride};
    views_merged(out->n_dims, out->shape, 2, strides, v);
    cp.vo = v[0], cp.vx = v[1];
    if (out->dtype == x->dtype && view_is_flat(cp.vo) && view_is_flat(cp.vx)) {
        CUDA_TRY(cudaMemcpyAsync(out->data, x->data, (size_t)n * dtype_size(x->dtype), cudaMemcpyDeviceToDevice,
                                 ctx->stream));
        return LS_OK;
    }
    int variant = choose_copy(ctx, &cp);
    if (variant == 2 && cp.fast_x < 0) return cuda_forced_unusable("copy", 2, "not a transpose");
    switch (out->dtype) {
    case DTYPE_F32: return dispatch_from<float>(ctx, out, x, &cp, variant);
    case DTYPE_F16: return dispatch_from<__half>(ctx, out, x, &cp, variant);
    case DTYPE_BF16: return dispatch_from<__nv_bfloat16>(ctx, out, x, &cp, variant);
    case DTYPE_I32:
        if (x->dtype != DTYPE_I32) break;
        return launch_copy<int32_t, int32_t, int32_t>(ctx, out, x, &cp, variant);
    default: break;
    }
    return ls_fail(LS_ERR_DTYPE, "cuda: copy from %s to %s", dtype_name(x->dtype), dtype_name(out->dtype));
}
