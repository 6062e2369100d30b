// gemm.c — the blocked single-precision GEMM under linear, conv2d, conv1d and attention.
// C (M x N) = A (M x K) B (K x N) + biases. BLIS-style: A is packed in MR-row panels per KC block for the
// whole task, each B micro-panel (KC x NR) is packed just before use so it stays in L1, and an MR x NR
// register-tile micro-kernel (vector extensions: 14 x 32 on AVX-512, 6 x 16 on AVX2) does the FMAs.
// Packers do the operand-specific work (dtype conversion, transposes, im2col), so no operand is ever
// materialised in a converted or unfolded form.
// Variants: 1 OpenBLAS sgemm per im2col tile (lost: repacks the weights per tile, ~60% of peak at 8x8
// convs); 2 this file (2-core Zen 4: ~95 GFLOP/s/core at UNet conv shapes, `latentsync bench ops`).
// Tested by tests/ops/test_linear.c, test_conv2d.c against kernels/ref.
#include <string.h>

#include "cpu-impl.h"
#include "vecmath.h"

#define NV (GEMM_NR / VEC_LANES)

_Static_assert(GEMM_NR % VEC_LANES == 0, "NR must be a whole number of vectors");

// C tile (MR x NR at c, row stride ldc) = or += A panel x B panel. When not accumulating, adds the
// biases (row_bias: MR values, col_bias: NR values; either may be NULL).
static void micro_kernel(int kc, const float *restrict ap, const float *restrict bp, float *restrict c, int64_t ldc,
                         bool accumulate, const float *row_bias, const float *col_bias) {
    vf acc[GEMM_MR][NV];
    for (int i = 0; i < GEMM_MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = vsplat(0.0f);
    for (int k = 0; k < kc; k++) {
        vf b[NV];
        for (int v = 0; v < NV; v++) b[v] = vload(bp + k * GEMM_NR + v * VEC_LANES);
        const float *a = ap + k * GEMM_MR;
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++) {
            float s = a[i];
            for (int v = 0; v < NV; v++) acc[i][v] += b[v] * s;
        }
    }
    for (int i = 0; i < GEMM_MR; i++) {
        for (int v = 0; v < NV; v++) {
            float *p = c + i * ldc + v * VEC_LANES;
            vf r = acc[i][v];
            if (accumulate) {
                r += vload(p);
            } else {
                if (row_bias) r += row_bias[i];
                if (col_bias) r += vload(col_bias + v * VEC_LANES);
            }
            vstore(p, r);
        }
    }
}

// --- packers -------------------------------------------------------------------------------------------

void gemm_pack_a_rows(const struct gemm_a *a, float *dst, int64_t i0, int64_t rows, int64_t k0, int kc) {
    float row[GEMM_KC];
    size_t esize = dtype_size(a->dt);
    int64_t padded = (rows + GEMM_MR - 1) / GEMM_MR * GEMM_MR;
    for (int64_t r = 0; r < padded; r++) {
        float *panel = dst + (r / GEMM_MR) * GEMM_MR * kc + r % GEMM_MR;
        if (r >= rows) {
            for (int k = 0; k < kc; k++) panel[k * GEMM_MR] = 0.0f;
            continue;
        }
        const char *src = (const char *)a->data + ((i0 + r) * a->ld + k0) * (int64_t)esize;
        if (a->dt == DTYPE_F32) {
            const float *s = (const float *)(const void *)src;
            for (int k = 0; k < kc; k++) panel[k * GEMM_MR] = s[k];
            continue;
        }
        weight_row_to_f32(row, src, a->dt, kc);
        float scale = a->dt == DTYPE_I8 ? a->scale[i0 + r] : 1.0f;
        for (int k = 0; k < kc; k++) panel[k * GEMM_MR] = row[k] * scale;
    }
}

void gemm_pack_a_transposed(const struct gemm_a *a, float *dst, int64_t i0, int64_t rows, int64_t k0, int kc) {
    const float *src = (const float *)a->data + k0 * a->ld + i0;
    int64_t panels = (rows + GEMM_MR - 1) / GEMM_MR;
    for (int64_t pnl = 0; pnl < panels; pnl++) {
        int64_t r0 = pnl * GEMM_MR;
        int n = (int)(rows - r0 < GEMM_MR ? rows - r0 : GEMM_MR);
        float *d = dst + pnl * GEMM_MR * kc;
        for (int k = 0; k < kc; k++) {
            const float *s = src + k * a->ld + r0;
            int r = 0;
            for (; r < n; r++) d[k * GEMM_MR + r] = s[r];
            for (; r < GEMM_MR; r++) d[k * GEMM_MR + r] = 0.0f;
        }
    }
}

void gemm_pack_b_rows(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols) {
    const float *src = (const float *)b->data + k0 * b->ld + j0;
    for (int k = 0; k < kc; k++) {
        float *d = dst + k * GEMM_NR;
        memcpy(d, src + k * b->ld, (size_t)cols * 4);
        for (int c = cols; c < GEMM_NR; c++) d[c] = 0.0f;
    }
}

void gemm_pack_b_transposed(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols) {
    float row[GEMM_KC];
    size_t esize = dtype_size(b->dt);
    for (int c = 0; c < GEMM_NR; c++) {
        if (c >= cols) {
            for (int k = 0; k < kc; k++) dst[k * GEMM_NR + c] = 0.0f;
            continue;
        }
        const char *src = (const char *)b->data + ((j0 + c) * b->ld + k0) * (int64_t)esize;
        if (b->dt == DTYPE_F32) {
            const float *s = (const float *)(const void *)src;
            for (int k = 0; k < kc; k++) dst[k * GEMM_NR + c] = s[k];
            continue;
        }
        weight_row_to_f32(row, src, b->dt, kc);
        float scale = b->dt == DTYPE_I8 ? b->scale[j0 + c] : 1.0f;
        for (int k = 0; k < kc; k++) dst[k * GEMM_NR + c] = row[k] * scale;
    }
}

// --- driver --------------------------------------------------------------------------------------------

size_t gemm_a_buf_floats(int64_t m) { return (size_t)((m + GEMM_MR - 1) / GEMM_MR * GEMM_MR) * GEMM_KC; }

static void store_tile_slow(const struct gemm_c *c, const float *tile, int64_t i0, int rows, int64_t j0, int cols,
                            bool accumulate) {
    for (int i = 0; i < rows; i++) {
        float rb = !accumulate && c->row_bias ? c->row_bias[i0 + i] : 0.0f;
        float *row = c->data + (i0 + i) * c->ld;
        for (int j = 0; j < cols; j++) {
            int64_t jj = j0 + j;
            float *p = row + (jj / c->cols_per_group) * c->group_stride + jj % c->cols_per_group;
            float v = tile[i * GEMM_NR + j];
            if (accumulate) v += *p;
            else v += rb + (c->col_bias ? c->col_bias[jj] : 0.0f);
            *p = v;
        }
    }
}

static void fill_bias(int64_t i0, int64_t i1, int64_t j0, int64_t j1, const struct gemm_c *c) {
    for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++)
            c->data[i * c->ld + (j / c->cols_per_group) * c->group_stride + j % c->cols_per_group] =
                (c->row_bias ? c->row_bias[i] : 0.0f) + (c->col_bias ? c->col_bias[j] : 0.0f);
}

// Computes rows [i0, i1) x cols [j0, j1) of C.
static void gemm_block(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k, const struct gemm_a *a,
                       const struct gemm_b *b, const struct gemm_c *c, float *a_buf, float *b_buf) {
    if (k == 0) {
        if (!c->accumulate) fill_bias(i0, i1, j0, j1, c);
        return;
    }
    float tile[GEMM_MR * GEMM_NR];
    int64_t rows_all = i1 - i0;
    for (int64_t pc = 0; pc < k; pc += GEMM_KC) {
        int kc = (int)(k - pc < GEMM_KC ? k - pc : GEMM_KC);
        bool accumulate = pc > 0 || c->accumulate;
        a->pack(a, a_buf, i0, rows_all, pc, kc);
        for (int64_t jr = j0; jr < j1; jr += GEMM_NR) {
            int cols = (int)(j1 - jr < GEMM_NR ? j1 - jr : GEMM_NR);
            b->pack(b, b_buf, pc, kc, jr, cols);
            int64_t off = jr % c->cols_per_group;
            bool contiguous = cols == GEMM_NR && off + GEMM_NR <= c->cols_per_group;
            float *cbase = c->data + (jr / c->cols_per_group) * c->group_stride + off;
            for (int64_t ir = i0; ir < i1; ir += GEMM_MR) {
                int rows = (int)(i1 - ir < GEMM_MR ? i1 - ir : GEMM_MR);
                const float *ap = a_buf + (ir - i0) * kc;
                if (contiguous && rows == GEMM_MR) {
                    micro_kernel(kc, ap, b_buf, cbase + ir * c->ld, c->ld, accumulate,
                                 c->row_bias ? c->row_bias + ir : NULL, c->col_bias ? c->col_bias + jr : NULL);
                } else {
                    micro_kernel(kc, ap, b_buf, tile, GEMM_NR, false, NULL, NULL);
                    store_tile_slow(c, tile, ir, rows, jr, cols, accumulate);
                }
            }
        }
    }
}

void gemm_serial(int64_t m, int64_t n, int64_t k, const struct gemm_a *a, const struct gemm_b *b,
                 const struct gemm_c *c, float *a_buf, float *b_buf) {
    gemm_block(0, m, 0, n, k, a, b, c, a_buf, b_buf);
}

struct gemm_job {
    struct cpu_ctx *ctx;
    int64_t m, n, k, tile_m, tile_n, tasks_n;
    const struct gemm_a *a;
    const struct gemm_b *b;
    const struct gemm_c *c;
};

static void gemm_task(void *arg, int64_t task, int thread) {
    const struct gemm_job *job = arg;
    int64_t i0 = (task / job->tasks_n) * job->tile_m, j0 = (task % job->tasks_n) * job->tile_n;
    int64_t i1 = i0 + job->tile_m < job->m ? i0 + job->tile_m : job->m;
    int64_t j1 = j0 + job->tile_n < job->n ? j0 + job->tile_n : job->n;
    gemm_block(i0, i1, j0, j1, job->k, job->a, job->b, job->c, cpu_scratch(job->ctx, thread, SCRATCH_GEMM_A),
               cpu_scratch(job->ctx, thread, SCRATCH_GEMM_B));
}

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

ls_status gemm_run(struct cpu_ctx *ctx, int64_t m, int64_t n, int64_t k, const struct gemm_a *a,
                   const struct gemm_b *b, const struct gemm_c *c) {
    if (m <= 0 || n <= 0) return LS_OK;
    // Tiles as large as possible (each task repacks A once per KC block and B once per MR panel row),
    // but enough of them to keep every thread busy with dynamic scheduling.
    int64_t tile_m = round_up(m < 1024 ? m : 1024, GEMM_MR);
    int64_t tile_n = round_up(n < 512 ? n : 512, GEMM_NR);
    int64_t want = 4 * (int64_t)ctx->n_threads;
    for (;;) {
        int64_t tasks = ((m + tile_m - 1) / tile_m) * ((n + tile_n - 1) / tile_n);
        if (tasks >= want) break;
        bool can_n = tile_n > 4 * GEMM_NR, can_m = tile_m > 8 * GEMM_MR;
        if (can_n && (tile_n >= tile_m || !can_m)) tile_n = round_up(tile_n / 2, GEMM_NR);
        else if (can_m) tile_m = round_up(tile_m / 2, GEMM_MR);
        else break;
    }
    LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_GEMM_A, gemm_a_buf_floats(tile_m) * 4));
    LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_GEMM_B, (size_t)GEMM_KC * GEMM_NR * 4));
    struct gemm_job job = {ctx, m, n, k, tile_m, tile_n, (n + tile_n - 1) / tile_n, a, b, c};
    int64_t tasks = ((m + tile_m - 1) / tile_m) * job.tasks_n;
    pool_run(ctx->pool, tasks, gemm_task, &job);
    return LS_OK;
}
