// attention.c — CPU multi-head attention, softmax(scale q k^T) v, without ever forming a Tq x Tk matrix.
// Variants:
//   1 direct loops for short sequences (Tq, Tk <= 32: the motion modules' 16-frame attention), one
//     (batch, head) per task, scores on the stack;
//   2 flash-style tiles for everything else: per (batch, head, 64-query block), loop over 256-key blocks:
//     S = Q K^T on the blocked GEMM, online softmax (running max and sum), O^T += V^T P^T (the transposed
//     product keeps head widths of 40/80 in full MR row panels). Scratch per thread is O(block x width).
// The naive reference (kernels/ref) materialises the scores; `latentsync bench ops` prints the ratio.
// Tested by tests/ops/test_attention.c.
#include <math.h>
#include <string.h>

#include "cpu-impl.h"
#include "vecmath.h"

#define SMALL_SEQ 32
#define BLOCK_Q 64
#define BLOCK_K 256

struct attn_job {
    struct cpu_ctx *ctx;
    const tensor *out, *q, *k, *v;
    int heads;
    int64_t dk, dv, tq, tk, q_blocks;
    float scale;
};

// Keys transposed and zero-padded to whole vectors: scores of one query are vector FMAs over key dims, with
// the accumulators in registers (accumulating through memory stalls on store forwarding: 2x slower).
#define SMALL_MAX_DK 160
#define SMALL_PAD ((SMALL_SEQ + VEC_LANES - 1) / VEC_LANES * VEC_LANES)

static void attention_small(const struct attn_job *job, int64_t b, int64_t h) {
    const tensor *q = job->q, *k = job->k, *v = job->v, *out = job->out;
    int64_t dk = job->dk, dv = job->dv, tq = job->tq, tk = job->tk;
    const float *qb = (const float *)q->data + b * q->stride[0] + h * dk;
    const float *kb = (const float *)k->data + b * k->stride[0] + h * dk;
    const float *vb = (const float *)v->data + b * v->stride[0] + h * dv;
    float *ob = (float *)out->data + b * out->stride[0] + h * dv;
    float kt[SMALL_MAX_DK * SMALL_PAD];
    float s[SMALL_PAD];
    int64_t chunks = (tk + VEC_LANES - 1) / VEC_LANES;
    bool fits = dk <= SMALL_MAX_DK;
    if (fits)
        for (int64_t d = 0; d < dk; d++)
            for (int64_t j = 0; j < chunks * VEC_LANES; j++) kt[d * SMALL_PAD + j] = j < tk ? kb[j * k->stride[1] + d] : 0.0f;
    for (int64_t i = 0; i < tq; i++) {
        const float *qi = qb + i * q->stride[1];
        if (fits) {
            for (int64_t c = 0; c < chunks; c++) {
                vf acc = vsplat(0.0f);
                for (int64_t d = 0; d < dk; d++) acc += vload(kt + d * SMALL_PAD + c * VEC_LANES) * qi[d];
                vstore(s + c * VEC_LANES, acc * job->scale);
            }
        } else {
            for (int64_t j = 0; j < tk; j++) {
                const float *kj = kb + j * k->stride[1];
                float acc = 0.0f;
                for (int64_t d = 0; d < dk; d++) acc += qi[d] * kj[d];
                s[j] = acc * job->scale;
            }
        }
        float m = -INFINITY;
        for (int64_t j = 0; j < tk; j++) m = s[j] > m ? s[j] : m;
        for (int64_t j = tk; j < chunks * VEC_LANES; j++) s[j] = -INFINITY;
        vf sum = vsplat(0.0f);
        for (int64_t c = 0; c < chunks; c++) {
            vf e = vexp(vload(s + c * VEC_LANES) - m);
            vstore(s + c * VEC_LANES, e);
            sum += e;
        }
        float inv = 1.0f / vhsum(sum);
        float *oi = ob + i * out->stride[1];
        int64_t d = 0;
        for (; d + VEC_LANES <= dv; d += VEC_LANES) {
            vf acc = vsplat(0.0f);
            for (int64_t j = 0; j < tk; j++) acc += vload(vb + j * v->stride[1] + d) * s[j];
            vstore(oi + d, acc * inv);
        }
#if VEC_LANES > 8
        for (; d + 8 <= dv; d += 8) { // head width 40 = 16 + 16 + 8
            typedef float vf8 __attribute__((vector_size(32)));
            vf8 acc = {0};
            for (int64_t j = 0; j < tk; j++) {
                vf8 x;
                memcpy(&x, vb + j * v->stride[1] + d, sizeof x);
                acc += x * s[j];
            }
            acc *= inv;
            memcpy(oi + d, &acc, sizeof acc);
        }
#endif
        for (; d < dv; d++) {
            float acc = 0.0f;
            for (int64_t j = 0; j < tk; j++) acc += vb[j * v->stride[1] + d] * s[j];
            oi[d] = acc * inv;
        }
    }
}

// Scratch layout per thread (SCRATCH_OP): S (BLOCK_Q x BLOCK_K), O^T (dv x BLOCK_Q), row max, row sum,
// then the GEMM's A buffer; SCRATCH_GEMM_B holds the B micro-panel.
static size_t flash_scratch_floats(int64_t dv) {
    return (size_t)BLOCK_Q * BLOCK_K + (size_t)dv * BLOCK_Q + 2 * BLOCK_Q +
           gemm_a_buf_floats(dv > BLOCK_Q ? dv : BLOCK_Q);
}

static void attention_flash(const struct attn_job *job, int64_t b, int64_t h, int64_t q0, int thread) {
    const tensor *q = job->q, *k = job->k, *v = job->v, *out = job->out;
    int64_t dk = job->dk, dv = job->dv;
    int64_t nq = job->tq - q0 < BLOCK_Q ? job->tq - q0 : BLOCK_Q;
    float *s = cpu_scratch(job->ctx, thread, SCRATCH_OP);
    float *ot = s + BLOCK_Q * BLOCK_K; // O^T: (dv, nq), row stride BLOCK_Q
    float *row_max = ot + dv * BLOCK_Q, *row_sum = row_max + BLOCK_Q;
    float *a_buf = row_sum + BLOCK_Q, *b_buf = cpu_scratch(job->ctx, thread, SCRATCH_GEMM_B);
    for (int64_t i = 0; i < nq; i++) row_max[i] = -INFINITY, row_sum[i] = 0.0f;
    memset(ot, 0, (size_t)(dv * BLOCK_Q) * 4);

    const float *qb = (const float *)q->data + b * q->stride[0] + q0 * q->stride[1] + h * dk;
    struct gemm_a a_q = {.pack = gemm_pack_a_rows, .data = qb, .ld = q->stride[1], .dt = DTYPE_F32};
    for (int64_t k0 = 0; k0 < job->tk; k0 += BLOCK_K) {
        int64_t nk = job->tk - k0 < BLOCK_K ? job->tk - k0 : BLOCK_K;
        // S (nq, nk) = Q K^T, K read transposed: element (d, j) = k[j][d]
        struct gemm_b b_k = {.pack = gemm_pack_b_transposed,
                             .data = (const float *)k->data + b * k->stride[0] + k0 * k->stride[1] + h * dk,
                             .ld = k->stride[1], .dt = DTYPE_F32};
        struct gemm_c c_s = {.data = s, .ld = BLOCK_K, .cols_per_group = BLOCK_K};
        gemm_serial(nq, nk, dk, &a_q, &b_k, &c_s, a_buf, b_buf);
        // online softmax on the block; rescale the running output columns
        for (int64_t i = 0; i < nq; i++) {
            float *si = s + i * BLOCK_K;
            float m = row_max[i];
            for (int64_t j = 0; j < nk; j++) m = si[j] * job->scale > m ? si[j] * job->scale : m;
            float correction = expf(row_max[i] - m);
            row_max[i] = m;
            vf acc = vsplat(0.0f);
            int64_t j = 0;
            for (; j + VEC_LANES <= nk; j += VEC_LANES) {
                vf e = vexp(vload(si + j) * job->scale - m);
                vstore(si + j, e);
                acc += e;
            }
            float sum = vhsum(acc);
            for (; j < nk; j++) {
                si[j] = expf(si[j] * job->scale - m);
                sum += si[j];
            }
            row_sum[i] = row_sum[i] * correction + sum;
            if (correction != 1.0f)
                for (int64_t d = 0; d < dv; d++) ot[d * BLOCK_Q + i] *= correction;
        }
        // O^T (dv, nq) += V^T (dv, nk) P^T (nk, nq)
        struct gemm_a a_v = {.pack = gemm_pack_a_transposed,
                             .data = (const float *)v->data + b * v->stride[0] + k0 * v->stride[1] + h * dv,
                             .ld = v->stride[1], .dt = DTYPE_F32};
        struct gemm_b b_p = {.pack = gemm_pack_b_transposed, .data = s, .ld = BLOCK_K, .dt = DTYPE_F32};
        struct gemm_c c_o = {.data = ot, .ld = BLOCK_Q, .cols_per_group = BLOCK_Q, .accumulate = true};
        gemm_serial(dv, nq, nk, &a_v, &b_p, &c_o, a_buf, b_buf);
    }
    float *ob = (float *)out->data + b * out->stride[0] + q0 * out->stride[1] + h * dv;
    for (int64_t i = 0; i < nq; i++) {
        float inv = 1.0f / row_sum[i];
        float *oi = ob + i * out->stride[1];
        for (int64_t d = 0; d < dv; d++) oi[d] = ot[d * BLOCK_Q + i] * inv;
    }
}

static void attn_task(void *arg, int64_t task, int thread) {
    const struct attn_job *job = arg;
    int64_t qb = task % job->q_blocks, bh = task / job->q_blocks;
    int64_t b = bh / job->heads, h = bh % job->heads;
    if (job->tq <= SMALL_SEQ && job->tk <= SMALL_SEQ) attention_small(job, b, h);
    else attention_flash(job, b, h, qb * BLOCK_Q, thread);
}

ls_status cpu_attention(void *vctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                        const struct attention_params *p) {
    struct cpu_ctx *ctx = vctx;
    struct attn_job job = {ctx, out, q, k, v, p->heads, q->shape[2] / p->heads, v->shape[2] / p->heads,
                           q->shape[1], k->shape[1], 0, p->scale};
    bool small = job.tq <= SMALL_SEQ && job.tk <= SMALL_SEQ;
    job.q_blocks = small ? 1 : (job.tq + BLOCK_Q - 1) / BLOCK_Q;
    if (!small) {
        int64_t dmax = job.dk > job.dv ? job.dk : job.dv;
        LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_OP, flash_scratch_floats(dmax) * 4));
        LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_GEMM_B, (size_t)GEMM_KC * GEMM_NR * 4));
    }
    pool_run(ctx->pool, q->shape[0] * p->heads * job.q_blocks, attn_task, &job);
    return LS_OK;
}
