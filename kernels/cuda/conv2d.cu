// conv2d.cu — CUDA conv2d (NCHW, any kernel/stride/padding/dilation, dense or grouped) and conv1d (run as a
// conv2d of height 1). Weights run in the activation dtype (weight_convert.cu); fp32 accumulation.
// Variants:
//   1 conv2d_kernel_1, direct: one output element per thread, the whole Ci/groups x KH x KW sum in registers;
//     for depthwise and narrow grouped convolutions, where per-group GEMMs would be tiny;
//   2 im2col tiles + cuBLAS: per group, the patches of a chunk of images (or of output rows, when one image's
//     patch matrix passes IM2COL_BUDGET_BYTES) are unfolded into the workspace as (K, pixels) and multiplied
//     by the (Co/groups, K) weight in one strided-batched GEMM writing straight into out; 1x1 stride-1
//     unpadded convolutions skip the unfolding (x already is the patch matrix);
//   3 cuDNN (cudnn_conv.cu), when built with it and the padding is symmetric; variant 2 runs instead when
//     cuDNN reports the case unsupported, unless variant 3 was forced.
// choose_conv2d: 1 for groups > 1 with Ci/groups*KH*KW <= 64, else 3 where it applies, else 2. Crossovers
// not measured yet (written without a GPU).
// Tested by tests/ops/test_conv2d.c, tests/ops/test_f16.c and tests/test_cuda_backend.c (each variant forced).
#include "cuda-device.cuh"

#ifndef IM2COL_BUDGET_BYTES // tests/cuda_emu shrinks it so every chunking path runs
#define IM2COL_BUDGET_BYTES ((size_t)64 << 20)
#endif

struct conv_geom {
    int64_t n, ci, h, w, co, ho, wo;
    int64_t kh, kw, groups, cig, cog, k; // k = cig * kh * kw, the GEMM depth
    struct conv2d_params p;
};

static conv_geom geom_of(const tensor *out, const tensor *x, const tensor *w, const struct conv2d_params *p) {
    conv_geom g;
    g.n = x->shape[0], g.ci = x->shape[1], g.h = x->shape[2], g.w = x->shape[3];
    g.co = out->shape[1], g.ho = out->shape[2], g.wo = out->shape[3];
    g.kh = w->shape[2], g.kw = w->shape[3];
    g.groups = p->groups, g.cig = g.ci / p->groups, g.cog = g.co / p->groups;
    g.k = g.cig * g.kh * g.kw;
    g.p = *p;
    return g;
}

// --- variant 1: direct ------------------------------------------------------------------------------------------

template <typename T>
static __global__ void conv2d_kernel_1(T *out, const T *x, const T *w, const T *bias, conv_geom g) {
    int64_t n_out = g.n * g.co * g.ho * g.wo;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n_out; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t ox = i % g.wo, oy = (i / g.wo) % g.ho, co = (i / (g.wo * g.ho)) % g.co, n = i / (g.wo * g.ho * g.co);
        int64_t grp = co / g.cog;
        const T *xg = x + (n * g.ci + grp * g.cig) * g.h * g.w;
        const T *wc = w + co * g.k;
        float acc = 0.0f;
        for (int64_t c = 0; c < g.cig; c++) {
            for (int64_t ky = 0; ky < g.kh; ky++) {
                int64_t iy = oy * g.p.stride_h - g.p.pad_top + ky * g.p.dilation_h;
                if (iy < 0 || iy >= g.h) continue;
                const T *xrow = xg + (c * g.h + iy) * g.w;
                const T *wrow = wc + (c * g.kh + ky) * g.kw;
                for (int64_t kx = 0; kx < g.kw; kx++) {
                    int64_t ix = ox * g.p.stride_w - g.p.pad_left + kx * g.p.dilation_w;
                    if (ix >= 0 && ix < g.w) acc += to_f32(xrow[ix]) * to_f32(wrow[kx]);
                }
            }
        }
        if (bias) acc += to_f32(bias[co]);
        out[i] = from_f32<T>(acc);
    }
}

template <typename T>
static ls_status conv_direct_1(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const void *w,
                               const tensor *bias, const conv_geom &g) {
    int64_t n = tensor_n_elems(out);
    conv2d_kernel_1<T><<<cuda_grid(ctx, n, 128), 128, 0, ctx->stream>>>(
        (T *)out->data, (const T *)x->data, (const T *)w, bias ? (const T *)bias->data : NULL, g);
    CUDA_LAUNCHED();
    return LS_OK;
}

// --- variant 2: im2col tiles + GEMM --------------------------------------------------------------------------

// col (cnt, K, rows * Wo) for images [n0, n0 + cnt), output rows [r0, r0 + rows), group grp.
template <typename T>
static __global__ void im2col_kernel_1(T *col, const T *x, conv_geom g, int64_t n0, int64_t cnt, int64_t r0,
                                       int64_t rows, int64_t grp) {
    int64_t len = rows * g.wo, total = cnt * g.k * len, khw = g.kh * g.kw;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t pp = i % len, kk = (i / len) % g.k, b = i / (len * g.k);
        int64_t oy = r0 + pp / g.wo, ox = pp % g.wo;
        int64_t c = kk / khw, ky = (kk / g.kw) % g.kh, kx = kk % g.kw;
        int64_t iy = oy * g.p.stride_h - g.p.pad_top + ky * g.p.dilation_h;
        int64_t ix = ox * g.p.stride_w - g.p.pad_left + kx * g.p.dilation_w;
        T v = from_f32<T>(0.0f);
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w)
            v = x[(((n0 + b) * g.ci + grp * g.cig + c) * g.h + iy) * g.w + ix];
        col[i] = v;
    }
}

template <typename T>
static ls_status conv_im2col_2(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const tensor *w,
                               const tensor *bias, const conv_geom &g) {
    dtype dt = out->dtype;
    size_t es = dtype_size(dt);
    int64_t pixels = g.ho * g.wo;
    bool pointwise = g.kh == 1 && g.kw == 1 && g.p.stride_h == 1 && g.p.stride_w == 1 && g.p.pad_top == 0 &&
                     g.p.pad_bottom == 0 && g.p.pad_left == 0 && g.p.pad_right == 0 && g.groups == 1;
    // chunk: nb images of all rows, or one image in row bands of nr rows
    int64_t nb = g.n, nr = g.ho;
    size_t col_img = (size_t)g.k * (size_t)pixels * es;
    if (!pointwise) {
        if (col_img <= IM2COL_BUDGET_BYTES) {
            nb = (int64_t)(IM2COL_BUDGET_BYTES / (col_img ? col_img : 1));
            nb = nb < 1 ? 1 : nb > g.n ? g.n : nb;
        } else {
            nb = 1;
            nr = (int64_t)(IM2COL_BUDGET_BYTES / ((size_t)g.k * (size_t)g.wo * es));
            nr = nr < 1 ? 1 : nr;
        }
    }
    size_t w_bytes = cuda_align_up(cuda_weight_workspace_bytes(w, dt), 256);
    size_t col_bytes = pointwise ? 0 : (size_t)nb * (size_t)g.k * (size_t)nr * (size_t)g.wo * es;
    void *ws = NULL;
    if (w_bytes + col_bytes) LS_TRY(cuda_workspace(ctx, w_bytes + col_bytes, &ws));
    const void *wp;
    LS_TRY(cuda_weight_as(ctx, w, dt, ws, &wp));
    T *col = (T *)((char *)ws + w_bytes);
    if (bias) LS_TRY(cuda_bias_fill(ctx, out->data, bias->data, dt, g.n, g.co, pixels));

    struct cuda_gemm gm = {};
    gm.beta = bias ? 1.0f : 0.0f;
    if (pointwise) { // out[n] (Co, P) = W (Co, Ci) x[n] (Ci, P)
        gm.m = pixels, gm.n = g.co, gm.k = g.ci;
        gm.a = x->data, gm.lda = pixels, gm.stride_a = g.ci * pixels;
        gm.b = wp, gm.ldb = g.ci, gm.stride_b = 0;
        gm.c = out->data, gm.ldc = pixels, gm.stride_c = g.co * pixels;
        gm.batch = g.n;
        return cuda_gemm_run(ctx, dt, &gm);
    }
    for (int64_t grp = 0; grp < g.groups; grp++) {
        for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
            int64_t cnt = g.n - n0 < nb ? g.n - n0 : nb;
            for (int64_t r0 = 0; r0 < g.ho; r0 += nr) {
                int64_t rows = g.ho - r0 < nr ? g.ho - r0 : nr, len = rows * g.wo;
                im2col_kernel_1<T><<<cuda_grid(ctx, cnt * g.k * len, 256), 256, 0, ctx->stream>>>(
                    col, (const T *)x->data, g, n0, cnt, r0, rows, grp);
                CUDA_LAUNCHED();
                // out[n][grp*cog + co][r0*Wo + p] (cog, len) = W_grp (cog, K) col[n] (K, len)
                gm.m = len, gm.n = g.cog, gm.k = g.k;
                gm.a = col, gm.lda = len, gm.stride_a = g.k * len;
                gm.b = (const char *)wp + (size_t)(grp * g.cog * g.k) * es, gm.ldb = g.k, gm.stride_b = 0;
                gm.c = (char *)out->data + (size_t)((n0 * g.co + grp * g.cog) * pixels + r0 * g.wo) * es;
                gm.ldc = pixels, gm.stride_c = g.co * pixels;
                gm.batch = cnt;
                LS_TRY(cuda_gemm_run(ctx, dt, &gm));
            }
        }
    }
    return LS_OK;
}

// --- choice ---------------------------------------------------------------------------------------------------

static int choose_conv2d(const struct cuda_ctx *ctx, op_kind kind, const conv_geom &g, const tensor *x,
                         const struct conv2d_params *p) {
    int forced = cuda_forced(ctx, kind);
    if (forced) return forced;
    if (g.groups > 1 && g.k <= 64) return 1;
#ifdef LS_HAVE_CUDNN
    if (ctx->cudnn && cuda_conv2d_cudnn_fits(x, p)) return 3;
#else
    (void)x, (void)p;
#endif
    return 2;
}

template <typename T>
static ls_status conv_variant(struct cuda_ctx *ctx, int variant, const tensor *out, const tensor *x, const tensor *w,
                              const tensor *bias, const conv_geom &g) {
    if (variant == 1) {
        size_t w_bytes = cuda_weight_workspace_bytes(w, out->dtype);
        void *ws = NULL;
        if (w_bytes) LS_TRY(cuda_workspace(ctx, w_bytes, &ws));
        const void *wp;
        LS_TRY(cuda_weight_as(ctx, w, out->dtype, ws, &wp));
        return conv_direct_1<T>(ctx, out, x, wp, bias, g);
    }
    return conv_im2col_2<T>(ctx, out, x, w, bias, g);
}

static ls_status conv_run(struct cuda_ctx *ctx, op_kind kind, const tensor *out, const tensor *x, const tensor *w,
                          const tensor *bias, const struct conv2d_params *p) {
    if (tensor_n_elems(out) == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    conv_geom g = geom_of(out, x, w, p);
    int variant = choose_conv2d(ctx, kind, g, x, p);
    if (variant == 3) {
#ifdef LS_HAVE_CUDNN
        ls_status s = cuda_conv2d_cudnn(ctx, out, x, w, bias, p);
        if (s != LS_ERR_UNSUPPORTED || cuda_forced(ctx, kind)) return s;
        ls_error_clear();
        variant = 2;
#else
        return cuda_forced_unusable(op_kind_name(kind), 3, "this build has no cuDNN");
#endif
    }
    switch (out->dtype) {
    case DTYPE_F32: return conv_variant<float>(ctx, variant, out, x, w, bias, g);
    case DTYPE_F16: return conv_variant<__half>(ctx, variant, out, x, w, bias, g);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: %s on %s", op_kind_name(kind), dtype_name(out->dtype));
    }
}

extern "C" ls_status cuda_conv2d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                                 const struct conv2d_params *p) {
    return conv_run((struct cuda_ctx *)ctx, OP_CONV2D, out, x, w, bias, p);
}

// (B, C, L) as (B, C, 1, L): views of the same memory, no copy.
static tensor as_height1(const tensor *t) {
    tensor v = *t;
    v.n_dims = 4;
    v.shape[3] = t->shape[2], v.stride[3] = t->stride[2];
    v.shape[2] = 1, v.stride[2] = t->shape[2] * t->stride[2];
    return v;
}

extern "C" ls_status cuda_conv1d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                                 const struct conv1d_params *p) {
    tensor o4 = as_height1(out), x4 = as_height1(x), w4 = as_height1(w);
    struct conv2d_params p2 = {1, p->stride, 0, 0, p->pad, p->pad, 1, p->dilation, 1};
    return conv_run((struct cuda_ctx *)ctx, OP_CONV1D, &o4, &x4, &w4, bias, &p2);
}
