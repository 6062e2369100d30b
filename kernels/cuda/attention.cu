// attention.cu — CUDA multi-head attention, softmax(scale q k^T) v, flash-style: keys are visited in tiles
// with a running max and sum per query (online softmax), so memory is O(T * D) and no Tq x Tk matrix exists.
// q (B, Tq, H*Dk), k (B, Tk, H*Dk), v (B, Tk, H*Dv), out (B, Tq, H*Dv); channels contiguous, rows strided.
// Variants:
//   1 attention_kernel_1, SIMT with fp32 math for f32 and f16 storage: a block of ATT_WARPS warps, each warp
//     ATT_ROWS query rows; keys in tiles of 32 whose channels are staged through shared memory 64 at a time
//     (with the block's query rows); lane j of a warp scores key j of the tile, then the lanes own output
//     channels (lane, lane + 32, ...) and accumulate p_j v_j with p_j shuffled from lane j. Output channels
//     are covered ATT_DV_MAX at a time: wider heads (the VAE's 512) take several launches that recompute the
//     scores. No tensor cores: a wmma/mma variant is the next step for the UNet's long spatial sequences.
// Tested by tests/ops/test_attention.c and tests/ops/test_f16.c.
#include <math.h>

#include "cuda-device.cuh"

#define ATT_WARPS  4
#define ATT_ROWS   4                      // query rows per warp
#define ATT_Q      (ATT_WARPS * ATT_ROWS) // query rows per block
#define ATT_KT     32                     // keys per tile (one per lane)
#define ATT_DC     64                     // channels staged per step
#define ATT_DV_MAX 256                    // output channels per launch
#define ATT_NCH    (ATT_DV_MAX / 32)      // output channel registers per lane and row

struct att_args {
    int64_t q_b, q_t, k_b, k_t, v_b, v_t, o_b, o_t; // batch and row strides (elements)
    int64_t heads, dk, dv, tq, tk, q_tiles;
    int64_t dv_off, dv_len; // this launch's window of output channels within a head
    float scale;
};

template <typename T>
static __global__ void __launch_bounds__(ATT_WARPS * 32)
    attention_kernel_1(T *out, const T *q, const T *k, const T *v, att_args a) {
    __shared__ float ks[ATT_KT][ATT_DC + 1]; // +1: lane j reads row j, conflict-free
    __shared__ float qs[ATT_Q][ATT_DC];      // read as broadcasts
    __shared__ float vs[ATT_KT][ATT_DC];     // lanes read consecutive channels
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int64_t qt = blockIdx.x % a.q_tiles, bh = blockIdx.x / a.q_tiles;
    const int64_t b = bh / a.heads, h = bh % a.heads, q0 = qt * ATT_Q;
    const T *qb = q + b * a.q_b + h * a.dk;
    const T *kb = k + b * a.k_b + h * a.dk;
    const T *vb = v + b * a.v_b + h * a.dv + a.dv_off;
    T *ob = out + b * a.o_b + h * a.dv + a.dv_off;

    float m[ATT_ROWS], l[ATT_ROWS], p[ATT_ROWS], o[ATT_ROWS][ATT_NCH];
#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++) {
        m[r] = -INFINITY, l[r] = 0.0f;
#pragma unroll
        for (int c = 0; c < ATT_NCH; c++)
            o[r][c] = 0.0f;
    }

    for (int64_t key0 = 0; key0 < a.tk; key0 += ATT_KT) {
        const int nk = (int)(a.tk - key0 < ATT_KT ? a.tk - key0 : ATT_KT); // same for the whole block
        float s[ATT_ROWS];
#pragma unroll
        for (int r = 0; r < ATT_ROWS; r++)
            s[r] = 0.0f;
        // scores: s[r] = q[row r] . k[key0 + lane], channels staged ATT_DC at a time
        for (int64_t d0 = 0; d0 < a.dk; d0 += ATT_DC) {
            const int dlen = (int)(a.dk - d0 < ATT_DC ? a.dk - d0 : ATT_DC);
            __syncthreads(); // the previous step's readers are done with ks/qs
            for (int e = tid; e < ATT_KT * ATT_DC; e += ATT_WARPS * 32) {
                int j = e / ATT_DC, d = e % ATT_DC;
                ks[j][d] = j < nk && d < dlen ? to_f32(kb[(key0 + j) * a.k_t + d0 + d]) : 0.0f;
            }
            for (int e = tid; e < ATT_Q * ATT_DC; e += ATT_WARPS * 32) {
                int rr = e / ATT_DC, d = e % ATT_DC;
                int64_t row = q0 + rr;
                qs[rr][d] = row < a.tq && d < dlen ? to_f32(qb[row * a.q_t + d0 + d]) : 0.0f;
            }
            __syncthreads();
            for (int d = 0; d < dlen; d++) {
                float kv = ks[lane][d];
#pragma unroll
                for (int r = 0; r < ATT_ROWS; r++)
                    s[r] += qs[warp * ATT_ROWS + r][d] * kv;
            }
        }
        // online softmax: new running max, rescale what was accumulated under the old one
#pragma unroll
        for (int r = 0; r < ATT_ROWS; r++) {
            float sc = lane < nk ? s[r] * a.scale : -INFINITY;
            float mn = fmaxf(m[r], warp_max(sc)); // finite: key0 itself is always a valid key
            float corr = expf(m[r] - mn);         // 0 on the first tile (m = -inf)
            p[r] = expf(sc - mn);                 // 0 for keys past the end
            l[r] = l[r] * corr + warp_sum(p[r]);
            m[r] = mn;
#pragma unroll
            for (int c = 0; c < ATT_NCH; c++)
                o[r][c] *= corr;
        }
        // o[r] += sum_j p_j v_j, value channels staged ATT_DC at a time
#pragma unroll
        for (int c2 = 0; c2 < ATT_DV_MAX / ATT_DC; c2++) {
            if (c2 * ATT_DC >= a.dv_len) break; // same for the whole block
            const int clen = (int)(a.dv_len - c2 * ATT_DC < ATT_DC ? a.dv_len - c2 * ATT_DC : ATT_DC);
            __syncthreads();
            for (int e = tid; e < ATT_KT * ATT_DC; e += ATT_WARPS * 32) {
                int j = e / ATT_DC, c = e % ATT_DC;
                vs[j][c] = j < nk && c < clen ? to_f32(vb[(key0 + j) * a.v_t + c2 * ATT_DC + c]) : 0.0f;
            }
            __syncthreads();
            for (int j = 0; j < nk; j++) {
                float v0 = vs[j][lane], v1 = vs[j][32 + lane];
#pragma unroll
                for (int r = 0; r < ATT_ROWS; r++) {
                    float pj = __shfl_sync(FULL_MASK, p[r], j);
                    o[r][2 * c2] += pj * v0;
                    o[r][2 * c2 + 1] += pj * v1;
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++) {
        int64_t row = q0 + warp * ATT_ROWS + r;
        if (row >= a.tq) continue;
        float inv = 1.0f / l[r];
#pragma unroll
        for (int c = 0; c < ATT_NCH; c++) {
            int64_t col = c * 32 + lane;
            if (col < a.dv_len) ob[row * a.o_t + col] = from_f32<T>(o[r][c] * inv);
        }
    }
}

template <typename T>
static ls_status launch(struct cuda_ctx *ctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                        att_args a) {
    int64_t blocks = q->shape[0] * a.heads * a.q_tiles;
    if (blocks > INT32_MAX)
        return ls_fail(LS_ERR_UNSUPPORTED, "cuda: attention over %lld blocks of queries", (long long)blocks);
    for (a.dv_off = 0; a.dv_off < a.dv; a.dv_off += ATT_DV_MAX) {
        a.dv_len = a.dv - a.dv_off < ATT_DV_MAX ? a.dv - a.dv_off : ATT_DV_MAX;
        attention_kernel_1<T><<<(unsigned)blocks, ATT_WARPS * 32, 0, ctx->stream>>>(
            (T *)out->data, (const T *)q->data, (const T *)k->data, (const T *)v->data, a);
        CUDA_LAUNCHED();
    }
    return LS_OK;
}

extern "C" ls_status cuda_attention(void *vctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                                    const struct attention_params *p) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    att_args a = {};
    a.q_b = q->stride[0], a.q_t = q->stride[1], a.k_b = k->stride[0], a.k_t = k->stride[1];
    a.v_b = v->stride[0], a.v_t = v->stride[1], a.o_b = out->stride[0], a.o_t = out->stride[1];
    a.heads = p->heads, a.dk = q->shape[2] / p->heads, a.dv = v->shape[2] / p->heads;
    a.tq = q->shape[1], a.tk = k->shape[1];
    a.q_tiles = (a.tq + ATT_Q - 1) / ATT_Q;
    a.scale = p->scale;
    if (q->shape[0] == 0 || a.tq == 0 || a.dv == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    switch (out->dtype) {
    case DTYPE_F32: return launch<float>(ctx, out, q, k, v, a);
    case DTYPE_F16: return launch<__half>(ctx, out, q, k, v, a);
    default: return ls_fail(LS_ERR_DTYPE, "cuda: attention on %s", dtype_name(out->dtype));
    }
}
