// timestep_embedding.cu — CUDA sinusoidal timestep embedding (diffusers' get_timestep_embedding): t (B) f32 ->
// out (B, D) = [sin(t f_k), cos(t f_k)] (flipped to [cos | sin] if asked), f_k = exp(-ln(max_period) k /
// (D/2 - freq_shift)). Computed in float32 step by step as torch does, except that exp is evaluated in double
// and rounded once, so f_k is the correctly rounded float (the CPU backend's glibc expf gives the same
// value); sinf/cosf are CUDA's full-range accurate versions.
// Variants:
//   1 timestep_embedding_kernel_1: one (b, k) pair per thread, writing both halves.
// Tested by tests/ops/test_elementwise.c and tests/ops/test_f16.c.
#include <math.h>

#include "cuda-device.cuh"

template <typename T>
static __global__ void timestep_embedding_kernel_1(T *out, const float *t, int64_t t_stride, int64_t batch,
                                                   int64_t half, float log_period, float denom, bool flip) {
    int64_t n = batch * half;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = i / half, k = i - b * half;
        float e = log_period * (float)k;
        float freq = (float)exp((double)(e / denom));
        float arg = t[b * t_stride] * freq;
        float s = sinf(arg), c = cosf(arg);
        out[b * 2 * half + k] = from_f32<T>(flip ? c : s);
        out[b * 2 * half + half + k] = from_f32<T>(flip ? s : c);
    }
}

extern "C" ls_status cuda_timestep_embedding(void *vctx, const tensor *out, const tensor *t,
                                             const struct timestep_params *p) {
    struct cuda_ctx *ctx = (struct cuda_ctx *)vctx;
    int64_t batch = out->shape[0], half = out->shape[1] / 2;
    if (batch * half == 0) return LS_OK;
    LS_TRY(cuda_enter(ctx));
    float log_period = (float)-log((double)p->max_period); // as the CPU backend computes it
    float denom = (float)half - p->freq_shift;
    unsigned grid = cuda_grid(ctx, batch * half, 256);
    switch (out->dtype) {
    case DTYPE_F32:
        timestep_embedding_kernel_1<<<grid, 256, 0, ctx->stream>>>((float *)out->data, (const float *)t->data,
                                                                   t->stride[0], batch, half, log_period, denom,
                                                                   p->flip_sin_to_cos);
        break;
    case DTYPE_F16:
        timestep_embedding_kernel_1<<<grid, 256, 0, ctx->stream>>>((__half *)out->data, (const float *)t->data,
                                                                   t->stride[0], batch, half, log_period, denom,
                                                                   p->flip_sin_to_cos);
        break;
    default: return ls_fail(LS_ERR_DTYPE, "cuda: timestep embedding in %s", dtype_name(out->dtype));
    }
    CUDA_LAUNCHED();
    return LS_OK;
}
