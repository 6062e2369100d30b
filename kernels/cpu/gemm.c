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

// Stores an MR x NR tile whose columns are not one contiguous run of C (image boundaries inside the
// panel, or a partial panel): split the columns into runs that are contiguous in C.
static void store_tile_slow(const struct gemm_c *c, const float *tile, int64_t i0, int rows, int64_t j0, int cols,
                            bool accumulate) {
    for (int j = 0; j < cols;) {
        int64_t jj = j0 + j, off = jj % c->cols_per_group;
        int len = (int)(c->cols_per_group - off < cols - j ? c->cols_per_group - off : cols - j);
        float *base = c->data + (jj / c->cols_per_group) * c->group_stride + off;
        for (int i = 0; i < rows; i++) {
            float *p = base + (i0 + i) * c->ld;
            const float *t = tile + i * GEMM_NR + j;
            if (accumulate) {
                for (int q = 0; q < len; q++) p[q] += t[q];
            } else {
                float rb = c->row_bias ? c->row_bias[i0 + i] : 0.0f;
                const float *cb = c->col_bias ? c->col_bias + jj : NULL;
                for (int q = 0; q < len; q++) p[q] = t[q] + rb + (cb ? cb[q] : 0.0f);
            }
        }
        j += len;
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

// --- multi-threaded driver (BLIS loop order) ----------------------------------------------------------
// for each column block jc (NC wide) and K block pc (KC deep):
//   phase 1: all threads pack A[:, pc] (MR-row panels) and B[pc, jc] (NR-column panels) into shared buffers;
//   phase 2: tasks = MC-row blocks x column groups run the micro-kernels; each B micro-panel (KC x NR,
//            in L1) is reused by the MC / MR row panels of the A block (MC x KC, in L2).
// Every operand element is packed exactly once per (jc, pc). Column groups only exist to give every
// thread work when M is small (e.g. 320 output channels).

#define GEMM_MC (24 * GEMM_MR)
#define GEMM_NC 2048

struct gemm_job {
    struct cpu_ctx *ctx;
    int64_t m, k, jc, nc, pc;
    int kc;
    int64_t a_panels, b_panels, tasks_m, groups, panels_per_group;
    const struct gemm_a *a;
    const struct gemm_b *b;
    const struct gemm_c *c;
    float *a_shared; // (a_panels * MR) x kc
    float *b_shared; // kc x (b_panels * NR)
};

static void pack_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const struct gemm_job *job = arg;
    if (task < job->b_panels) {
        int64_t j0 = job->jc + task * GEMM_NR;
        int cols = (int)(job->jc + job->nc - j0 < GEMM_NR ? job->jc + job->nc - j0 : GEMM_NR);
        job->b->pack(job->b, job->b_shared + task * GEMM_NR * job->kc, job->pc, job->kc, j0, cols);
    } else {
        int64_t p = task - job->b_panels, i0 = p * GEMM_MR;
        int64_t rows = job->m - i0 < GEMM_MR ? job->m - i0 : GEMM_MR;
        job->a->pack(job->a, job->a_shared + p * GEMM_MR * job->kc, i0, rows, job->pc, job->kc);
    }
}

static void compute_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const struct gemm_job *job = arg;
    const struct gemm_c *c = job->c;
    int64_t im = task / job->groups, g = task % job->groups;
    int64_t i0 = im * GEMM_MC, i1 = i0 + GEMM_MC < job->m ? i0 + GEMM_MC : job->m;
    int64_t p0 = g * job->panels_per_group;
    int64_t p1 = p0 + job->panels_per_group < job->b_panels ? p0 + job->panels_per_group : job->b_panels;
    int kc = job->kc;
    bool accumulate = job->pc > 0 || c->accumulate;
    float tile[GEMM_MR * GEMM_NR];
    for (int64_t p = p0; p < p1; p++) {
        int64_t jr = job->jc + p * GEMM_NR;
        int cols = (int)(job->jc + job->nc - jr < GEMM_NR ? job->jc + job->nc - jr : GEMM_NR);
        const float *bp = job->b_shared + p * GEMM_NR * kc;
        int64_t off = jr % c->cols_per_group;
        bool contiguous = cols == GEMM_NR && off + GEMM_NR <= c->cols_per_group;
        float *cbase = c->data + (jr / c->cols_per_group) * c->group_stride + off;
        for (int64_t ir = i0; ir < i1; ir += GEMM_MR) {
            int rows = (int)(i1 - ir < GEMM_MR ? i1 - ir : GEMM_MR);
            const float *ap = job->a_shared + ir * kc;
            if (contiguous && rows == GEMM_MR) {
                micro_kernel(kc, ap, bp, cbase + ir * c->ld, c->ld, accumulate, c->row_bias ? c->row_bias + ir : NULL,
                             c->col_bias ? c->col_bias + jr : NULL);
            } else {
                micro_kernel(kc, ap, bp, tile, GEMM_NR, false, NULL, NULL);
                store_tile_slow(c, tile, ir, rows, jr, cols, accumulate);
            }
        }
    }
}

ls_status gemm_run(struct cpu_ctx *ctx, int64_t m, int64_t n, int64_t k, const struct gemm_a *a,
                   const struct gemm_b *b, const struct gemm_c *c) {
    if (m <= 0 || n <= 0) return LS_OK;
    if (k == 0) {
        if (!c->accumulate) fill_bias(0, m, 0, n, c);
        return LS_OK;
    }
    int64_t nc_max = n < GEMM_NC ? n : GEMM_NC;
    int64_t a_panels = (m + GEMM_MR - 1) / GEMM_MR, b_panels_max = (nc_max + GEMM_NR - 1) / GEMM_NR;
    LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_GEMM_A, (size_t)a_panels * GEMM_MR * GEMM_KC * 4));
    LS_TRY(cpu_scratch_reserve(ctx, SCRATCH_GEMM_B, (size_t)b_panels_max * GEMM_NR * GEMM_KC * 4));
    struct gemm_job job = {.ctx = ctx, .m = m, .k = k, .a = a, .b = b, .c = c, .a_panels = a_panels,
                           .a_shared = cpu_scratch(ctx, 0, SCRATCH_GEMM_A),
                           .b_shared = cpu_scratch(ctx, 0, SCRATCH_GEMM_B)};
    job.tasks_m = (m + GEMM_MC - 1) / GEMM_MC;
    int64_t want = 8 * (int64_t)ctx->n_threads; // dynamic scheduling evens out 8 tasks per thread
    // Few rows (VAE convs: 128 channels) make each K pass over C expensive relative to its FLOPs: take
    // deeper K blocks there (the B micro-panel then lives in L2 instead of L1).
    int64_t kc_max = m <= 256 ? GEMM_KC : GEMM_KC / 2;
    for (int64_t jc = 0; jc < n; jc += GEMM_NC) {
        job.jc = jc;
        job.nc = n - jc < GEMM_NC ? n - jc : GEMM_NC;
        job.b_panels = (job.nc + GEMM_NR - 1) / GEMM_NR;
        job.groups = job.tasks_m >= want ? 1 : (want + job.tasks_m - 1) / job.tasks_m;
        if (job.groups > job.b_panels) job.groups = job.b_panels;
        job.panels_per_group = (job.b_panels + job.groups - 1) / job.groups;
        job.groups = (job.b_panels + job.panels_per_group - 1) / job.panels_per_group;
        for (int64_t pc = 0; pc < k; pc += kc_max) {
            job.pc = pc;
            job.kc = (int)(k - pc < kc_max ? k - pc : kc_max);
            pool_run(ctx->pool, job.b_panels + job.a_panels, pack_task, &job);
            pool_run(ctx->pool, job.tasks_m * job.groups, compute_task, &job);
        }
    }
    return LS_OK;
}
