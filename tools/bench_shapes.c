// bench_shapes.c — UNet/VAE/Whisper shapes for `latentsync bench ops` (spec/unet.md §4, vae-whisper.md).
#include "bench_shapes.h"

const struct conv_shape bench_conv_shapes[] = {
    {"unet conv 32x32 320", 32, 320, 32, 32, 320, 3, 1, 1},
    {"unet conv 16x16 640", 32, 640, 16, 16, 640, 3, 1, 1},
    {"unet conv 8x8 1280", 32, 1280, 8, 8, 1280, 3, 1, 1},
    {"unet conv 4x4 2560->1280", 32, 2560, 4, 4, 1280, 3, 1, 1},
    {"unet shortcut 1x1 960->320", 32, 960, 32, 32, 320, 1, 1, 0},
    {"vae conv 256x256 128", 1, 128, 256, 256, 128, 3, 1, 1},
};
const int bench_n_conv_shapes = sizeof bench_conv_shapes / sizeof bench_conv_shapes[0];

const struct gemm_shape bench_gemm_shapes[] = {
    {"linear 1024x320->1280", 1024, 320, 1280},
    {"linear 1024x1280->320", 1024, 1280, 320},
    {"linear geglu 16384x320->2560", 16384, 320, 2560},
    {"linear whisper 1500x384->1536", 1500, 384, 1536},
};
const int bench_n_gemm_shapes = sizeof bench_gemm_shapes / sizeof bench_gemm_shapes[0];

const struct attn_shape bench_attn_shapes[] = {
    {"attention self 1024 tok", 4, 1024, 1024, 8, 40},
    {"attention cross 1024x50", 8, 1024, 50, 8, 40},
    {"attention temporal 16 tok", 8192, 16, 16, 8, 40}, // 65536 (sequence, head) pairs
    {"attention vae 1024 tok", 2, 1024, 1024, 1, 512},
};
const int bench_n_attn_shapes = sizeof bench_attn_shapes / sizeof bench_attn_shapes[0];
