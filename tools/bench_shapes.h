// bench_shapes.h — the real model shapes the benchmarks use, listed once (STYLE 7.5). UNet at 256 px
// (latent 32x32), batch 2 (CFG) x 16 frames = 32 images per conv.
#ifndef LS_BENCH_SHAPES_H
#define LS_BENCH_SHAPES_H

#include <stdint.h>

struct conv_shape {
    const char *label;
    int64_t n, c_in, h, w, c_out;
    int k, stride, pad;
};

struct gemm_shape {
    const char *label;
    int64_t m, k, n; // tokens x in -> out
};

struct attn_shape {
    const char *label;
    int64_t batch, tq, tk, heads, head_dim;
};

extern const struct conv_shape bench_conv_shapes[];
extern const int bench_n_conv_shapes;
extern const struct gemm_shape bench_gemm_shapes[];
extern const int bench_n_gemm_shapes;
extern const struct attn_shape bench_attn_shapes[];
extern const int bench_n_attn_shapes;

#endif
