// cpu-impl.h — the CPU backend's context, per-thread scratch, and the blocked GEMM every matrix op uses.
#ifndef LS_CPU_IMPL_H
#define LS_CPU_IMPL_H

#include "backends.h"
#include "runtime.h"

enum { SCRATCH_GEMM_A, SCRATCH_GEMM_B, SCRATCH_OP, SCRATCH_OP2, SCRATCH_SLOTS };

struct scratch {
    void *data;
    size_t n_bytes;
};

struct cpu_ctx {
    struct backend be;
    pool *pool;
    int n_threads;
    struct scratch *scratch; // [n_threads][SCRATCH_SLOTS]
};

// Makes every thread's `slot` buffer at least n_bytes (64-byte aligned); kept for later calls.
ls_status cpu_scratch_reserve(struct cpu_ctx *ctx, int slot, size_t n_bytes);
static inline void *cpu_scratch(struct cpu_ctx *ctx, int thread, int slot) {
    return ctx->scratch[thread * SCRATCH_SLOTS + slot].data;
}

// Reads element i of a weight row (any weight dtype) as f32, without the i8 scale.
void weight_row_to_f32(float *dst, const void *src, dtype dt, int64_t n_elems);

// --- blocked GEMM: C (M x N) = A (M x K) B (K x N) [+ row bias] [+ col bias] -----------------------------
// Operands are read through packers, so im2col, transposes and dtype conversion happen while packing.

#if defined(__AVX512F__)
#define GEMM_MR 14
#define GEMM_NR 32
#elif defined(__AVX2__) || defined(__AVX__)
#define GEMM_MR 6
#define GEMM_NR 16
#else
#define GEMM_MR 6
#define GEMM_NR 8
#endif
#ifndef GEMM_KC
#define GEMM_KC 512 // deepest K block; gemm_run uses KC/2 unless M is small (see there)
#endif

struct gemm_a;
struct gemm_b;
// Packs rows [i0, i0+rows) x cols [k0, k0+kc) of A as dst[(r / MR) panel][k][r % MR]; rows beyond are 0.
typedef void (*gemm_pack_a_fn)(const struct gemm_a *a, float *dst, int64_t i0, int64_t rows, int64_t k0, int kc);
// Packs rows [k0, k0+kc) x cols [j0, j0+cols) of B as dst[k][c] (NR wide); cols beyond are 0.
typedef void (*gemm_pack_b_fn)(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols);

struct gemm_a {
    gemm_pack_a_fn pack;
    const void *data; // plain packers: row-major M x K (any weight dtype), or K x M ("transposed", f32)
    int64_t ld;
    dtype dt;
    const float *scale; // i8 per-row scales
};

struct gemm_b {
    gemm_pack_b_fn pack;
    const void *data; // plain packers: K x N row-major (f32), or N x K ("transposed", any weight dtype)
    int64_t ld;
    dtype dt;
    const float *scale; // i8 per-column scales (transposed weights)
    const void *user;   // custom packers (im2col)
};

struct gemm_c {
    float *data;
    int64_t ld;             // between rows
    int64_t cols_per_group; // C(i, j) at data + i*ld + (j / cols_per_group)*group_stride + j % cols_per_group
    int64_t group_stride;
    const float *row_bias; // (M) or NULL
    const float *col_bias; // (N) or NULL
    bool accumulate;       // C += A B (biases ignored)
};

void gemm_pack_a_rows(const struct gemm_a *a, float *dst, int64_t i0, int64_t rows, int64_t k0, int kc);
void gemm_pack_a_transposed(const struct gemm_a *a, float *dst, int64_t i0, int64_t rows, int64_t k0, int kc);
void gemm_pack_b_rows(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols);
void gemm_pack_b_transposed(const struct gemm_b *b, float *dst, int64_t k0, int kc, int64_t j0, int cols);

// Multi-threaded over the context's pool; reserves scratch. K may be 0 (C = bias).
ls_status gemm_run(struct cpu_ctx *ctx, int64_t m, int64_t n, int64_t k, const struct gemm_a *a,
                   const struct gemm_b *b, const struct gemm_c *c);
// Single-threaded on caller-provided buffers (for use inside other kernels' tasks).
// a_buf: gemm_a_buf_floats(m), b_buf: GEMM_KC * GEMM_NR floats.
size_t gemm_a_buf_floats(int64_t m);
void gemm_serial(int64_t m, int64_t n, int64_t k, const struct gemm_a *a, const struct gemm_b *b,
                 const struct gemm_c *c, float *a_buf, float *b_buf);

// --- kernels (one file each) ------------------------------------------------------------------------------
ls_status cpu_linear(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias);
ls_status cpu_conv2d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                     const struct conv2d_params *p);
ls_status cpu_conv1d(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                     const struct conv1d_params *p);
ls_status cpu_group_norm(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                         const struct group_norm_params *p);
ls_status cpu_layer_norm(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                         float eps);
ls_status cpu_softmax(void *ctx, const tensor *out, const tensor *x);
ls_status cpu_attention(void *ctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                        const struct attention_params *p);
ls_status cpu_unary(void *ctx, const tensor *out, const tensor *x, unary_op op);
ls_status cpu_geglu(void *ctx, const tensor *out, const tensor *x);
ls_status cpu_binary(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op);
ls_status cpu_axpby(void *ctx, const tensor *out, float alpha, const tensor *x, float beta, const tensor *y);
ls_status cpu_fill(void *ctx, const tensor *out, float value);
ls_status cpu_upsample2x(void *ctx, const tensor *out, const tensor *x);
ls_status cpu_copy(void *ctx, const tensor *out, const tensor *x);
ls_status cpu_timestep_embedding(void *ctx, const tensor *out, const tensor *t, const struct timestep_params *p);
ls_status cpu_pool2d(void *ctx, const tensor *out, const tensor *x, const struct pool2d_params *p);

// Splits [0, n) into pool tasks of `grain` items: fn(arg, begin, end, thread).
typedef void (*cpu_range_fn)(void *arg, int64_t begin, int64_t end, int thread);
void cpu_parallel_for(struct cpu_ctx *ctx, int64_t n, int64_t grain, cpu_range_fn fn, void *arg);

#endif
