// linear.c — CPU linear: out (M, N) = x (M, K) w^T + bias, on the blocked GEMM with the weight read
// transposed (and converted from f16/bf16/i8) while packing.
#include "cpu-impl.h"

ls_status cpu_linear(void *vctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias) {
    struct cpu_ctx *ctx = vctx;
    int64_t n = w->shape[0], k = w->shape[1];
    int64_t m = n ? tensor_n_elems(out) / n : 0;
    struct gemm_a a = {.pack = gemm_pack_a_rows, .data = x->data, .ld = k, .dt = DTYPE_F32};
    struct gemm_b b = {.pack = gemm_pack_b_transposed, .data = w->data, .ld = k, .dt = w->dtype, .scale = w->scale};
    struct gemm_c c = {.data = out->data, .ld = n, .cols_per_group = n ? n : 1, .group_stride = 0,
                       .col_bias = bias ? bias->data : NULL};
    return gemm_run(ctx, m, n, k, &a, &b, &c);
}
