// conv2d.c — CPU conv2d. Dense and grouped: implicit-GEMM on the blocked GEMM, with im2col done inside the
// B packer one KC x NR micro-panel at a time (no unfolded input buffer at all); C = weights (Co x Ci*KH*KW)
// times patches (Ci*KH*KW x pixels of every image), so 1x1 convs are plain GEMMs and small spatial sizes
// still give long GEMM rows (columns run across images). Depthwise (one input channel per group): direct
// loops over planes, variants:
//   1. per output pixel, every tap bounds-checked: face-api SSD's 13 depthwise layers 148 ms per 512² input
//   2. per output row and tap, the in-image span found once, inner loop vectorised: 32 ms on the same
//      (2 shared cores, AVX-512 build)
// GEMM variants and figures: see gemm.c. Tested by tests/ops/test_conv2d.c.
#include <string.h>

#include "cpu-impl.h"

struct im2col {
    const float *x;
    int64_t chan_offset, img_stride; // first channel of the group; elements between images
    int64_t h, w, ho, wo;
    int kh, kw;
    struct conv2d_params p;
};

struct segment {
    int64_t n, oy, ox0;
    int len, dst;
};

static void pack_im2col(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols) {
    const struct im2col *g = b->user;
    const struct conv2d_params *p = &g->p;
    struct segment seg[GEMM_NR];
    int n_seg = 0;
    int64_t hw_out = g->ho * g->wo;
    for (int c = 0; c < cols;) { // runs of columns within one output row
        int64_t j = j0 + c, n = j / hw_out, r = j % hw_out, oy = r / g->wo, ox = r % g->wo;
        int len = (int)(g->wo - ox < cols - c ? g->wo - ox : cols - c);
        seg[n_seg++] = (struct segment){n, oy, ox, len, c};
        c += len;
    }
    int khw = g->kh * g->kw;
    for (int kk = 0; kk < kc; kk++) {
        int64_t k = k0 + kk, ci = k / khw;
        int ky = (int)(k % khw) / g->kw, kx = (int)(k % g->kw);
        float *d = dst + kk * GEMM_NR;
        for (int s = 0; s < n_seg; s++) {
            const struct segment *sg = &seg[s];
            float *ds = d + sg->dst;
            int64_t iy = sg->oy * p->stride_h - p->pad_top + (int64_t)ky * p->dilation_h;
            if (iy < 0 || iy >= g->h) {
                memset(ds, 0, (size_t)sg->len * 4);
                continue;
            }
            const float *row = g->x + sg->n * g->img_stride + (g->chan_offset + ci) * g->h * g->w + iy * g->w;
            int64_t ix0 = sg->ox0 * p->stride_w - p->pad_left + (int64_t)kx * p->dilation_w;
            if (p->stride_w == 1) {
                int lo = ix0 < 0 ? (int)(-ix0 < sg->len ? -ix0 : sg->len) : 0;
                int hi = (int)(g->w - ix0 < sg->len ? g->w - ix0 : sg->len);
                if (hi < lo) hi = lo;
                for (int t = 0; t < lo; t++) ds[t] = 0.0f;
                if (hi > lo) memcpy(ds + lo, row + ix0 + lo, (size_t)(hi - lo) * 4);
                for (int t = hi; t < sg->len; t++) ds[t] = 0.0f;
            } else {
                for (int t = 0; t < sg->len; t++) {
                    int64_t ix = ix0 + (int64_t)t * p->stride_w;
                    ds[t] = ix >= 0 && ix < g->w ? row[ix] : 0.0f;
                }
            }
        }
        for (int c = cols; c < GEMM_NR; c++) d[c] = 0.0f;
    }
}

struct depthwise_job {
    struct cpu_ctx *ctx;
    const tensor *out, *x, *w, *bias;
    const struct conv2d_params *p;
};

// One depthwise plane: per output row, each kernel tap is applied to the span of the row where it stays
// inside the image (bounds found once per row and tap, the inner loop vectorises); taps are summed in
// (ky, kx) order starting from 0, as the per-pixel loop it replaced did.
static void depthwise_plane(const float *src, float *dst, const float *wf, int64_t h, int64_t wd, int64_t ho,
                            int64_t wo, int kh, int kw, const struct conv2d_params *p) {
    int64_t sw = p->stride_w;
    for (int64_t oy = 0; oy < ho; oy++) {
        float *d = dst + oy * wo;
        for (int64_t ox = 0; ox < wo; ox++) d[ox] = 0.0f;
        for (int ky = 0; ky < kh; ky++) {
            int64_t iy = oy * p->stride_h - p->pad_top + (int64_t)ky * p->dilation_h;
            if (iy < 0 || iy >= h) continue;
            const float *row = src + iy * wd;
            for (int kx = 0; kx < kw; kx++) {
                float wv = wf[ky * kw + kx];
                int64_t off = (int64_t)kx * p->dilation_w - p->pad_left; // input column = ox * sw + off
                int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int64_t hi = wd - 1 - off >= 0 ? (wd - 1 - off) / sw + 1 : 0;
                if (hi > wo) hi = wo;
                if (sw == 1)
                    for (int64_t ox = lo; ox < hi; ox++) d[ox] += wv * row[ox + off];
                else
                    for (int64_t ox = lo; ox < hi; ox++) d[ox] += wv * row[ox * sw + off];
            }
        }
    }
}

static void depthwise_range(void *arg, int64_t begin, int64_t end, int thread) {
    const struct depthwise_job *job = arg;
    const tensor *out = job->out, *x = job->x, *w = job->w;
    const struct conv2d_params *p = job->p;
    int64_t ci = x->shape[1], co = out->shape[1], h = x->shape[2], wd = x->shape[3];
    int64_t ho = out->shape[2], wo = out->shape[3], mult = co / ci;
    int kh = (int)w->shape[2], kw = (int)w->shape[3];
    float *wf = cpu_scratch(job->ctx, thread, SCRATCH_OP);
    for (int64_t nc = begin; nc < end; nc++) {
        int64_t n = nc / co, oc = nc % co, ic = oc / mult;
        weight_row_to_f32(wf, (const char *)w->data + oc * kh * kw * (int64_t)dtype_size(w->dtype), w->dtype, kh * kw);
        float scale = w->dtype == DTYPE_I8 ? w->scale[oc] : 1.0f;
        float b = job->bias ? ((const float *)job->bias->data)[oc] : 0.0f;
        const float *src = (const float *)x->data + (n * ci + ic) * h * wd;
        float *dst = (float *)out->data + (n * co + oc) * ho * wo;
        depthwise_plane(src, dst, wf, h, wd, ho, wo, kh, kw, p);
        for (int64_t i = 0; i < ho * wo; i++) dst[i] = dst[i] * scale + b;
    }
}

ls_status cpu_conv2d(void *vctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                     const struct conv2d_params *p) {
    struct cpu_ctx *ctx = vctx;
    int64_t batch = x->shape[0], ci = x->shape[1], co = out->shape[1];
    int64_t cig = ci / p->groups, cog = co / p->groups;
    int kh = (int)w->shape[2], kw = (int)w->shape[3];
    int64_t ohw = out->shape[2] * out->shape[3];
    if (cig == 1 && p->groups > 1) {
        LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_OP, (size_t)(kh * kw) * 4));
        struct depthwise_job job = {ctx, out, x, w, bias, p};
        cpu_parallel_for(ctx, batch * co, 4, depthwise_range, &job);
        return LS_OK;
    }
    int64_t k = cig * kh * kw;
    size_t w_row_bytes = (size_t)k * dtype_size(w->dtype);
    for (int g = 0; g < p->groups; g++) {
        struct im2col geo = {.x = x->data, .chan_offset = g * cig, .img_stride = ci * x->shape[2] * x->shape[3],
                             .h = x->shape[2], .w = x->shape[3], .ho = out->shape[2], .wo = out->shape[3],
                             .kh = kh, .kw = kw, .p = *p};
        struct gemm_a a = {.pack = gemm_pack_a_rows, .data = (const char *)w->data + (size_t)(g * cog) * w_row_bytes,
                           .ld = k, .dt = w->dtype, .scale = w->scale ? w->scale + g * cog : NULL};
        struct gemm_b b = {.pack = pack_im2col, .user = &geo};
        struct gemm_c c = {.data = (float *)out->data + g * cog * ohw, .ld = ohw, .cols_per_group = ohw,
                           .group_stride = co * ohw, .row_bias = bias ? (const float *)bias->data + g * cog : NULL};
        LS_TRY(gemm_run(ctx, cog, batch * ohw, k, &a, &b, &c));
    }
    return LS_OK;
}

ls_status cpu_conv1d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                     const struct conv1d_params *p) {
    // A 1-D convolution is a 2-D one over (B, C, 1, L) with a (Co, Ci, 1, K) kernel.
    tensor x4, w4, o4;
    LS_TRY(tensor_reshape(&x4, x, 4, (const int64_t[]){x->shape[0], x->shape[1], 1, x->shape[2]}));
    LS_TRY(tensor_reshape(&w4, w, 4, (const int64_t[]){w->shape[0], w->shape[1], 1, w->shape[2]}));
    LS_TRY(tensor_reshape(&o4, out, 4, (const int64_t[]){out->shape[0], out->shape[1], 1, out->shape[2]}));
    struct conv2d_params p2 = {.stride_h = 1, .stride_w = p->stride, .pad_left = p->pad, .pad_right = p->pad,
                               .dilation_h = 1, .dilation_w = p->dilation, .groups = 1};
    return cpu_conv2d(ctx, &o4, &x4, &w4, bias, &p2);
}
