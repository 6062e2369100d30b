// weight_convert.cu — weights in another dtype than the activations are converted, per call, into the
// compute dtype before a GEMM or convolution reads them (cuBLAS and cuDNN take A and B of one type):
//   f16/bf16/f32 -> f32 is exact; f32 -> f16 rounds to nearest even; bf16 -> f16 is exact except below 6.1e-5
//   (f16 subnormals, absolute error <= 3e-8) and above 65504 (inf);
//   i8 -> q * scale[row] in f32, then rounded to the compute dtype.
// The cost is one read of the weight and one write of the converted copy per call, against a GEMM that reads
// the copy once; weights stored in the activation dtype (f16 on CUDA) skip it.
// Variants:
//   1 weight_convert_kernel_1: one element per thread, grid-stride.
#include "cuda-device.cuh"

template <typename TO, typename TI> static __global__ void weight_convert_kernel_1(TO *dst, const TI *src, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = from_f32<TO>(to_f32(src[i]));
}

template <typename TO>
static __global__ void weight_dequant_kernel_1(TO *dst, const int8_t *src, const float *scale, int64_t n,
                                               int64_t row_elems) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = from_f32<TO>((float)src[i] * scale[i / row_elems]);
}

extern "C" size_t cuda_weight_workspace_bytes(const tensor *w, dtype to) {
    return w->dtype == to ? 0 : (size_t)tensor_n_elems(w) * dtype_size(to);
}

template <typename TO> static ls_status convert_to(struct cuda_ctx *ctx, const tensor *w, TO *dst) {
    int64_t n = tensor_n_elems(w);
    unsigned grid = cuda_grid(ctx, n, 256);
    switch (w->dtype) {
    case DTYPE_F32: weight_convert_kernel_1<<<grid, 256, 0, ctx->stream>>>(dst, (const float *)w->data, n); break;
    case DTYPE_F16: weight_convert_kernel_1<<<grid, 256, 0, ctx->stream>>>(dst, (const __half *)w->data, n); break;
    case DTYPE_BF16:
        weight_convert_kernel_1<<<grid, 256, 0, ctx->stream>>>(dst, (const __nv_bfloat16 *)w->data, n);
        break;
    case DTYPE_I8: {
        int64_t rows = w->shape[0] > 0 ? w->shape[0] : 1;
        weight_dequant_kernel_1<<<grid, 256, 0, ctx->stream>>>(dst, (const int8_t *)w->data, w->scale, n, n / rows);
        break;
    }
    default: return ls_fail(LS_ERR_DTYPE, "cuda: weight dtype %s cannot be converted", dtype_name(w->dtype));
    }
    CUDA_LAUNCHED();
    return LS_OK;
}

extern "C" ls_status cuda_weight_as(struct cuda_ctx *ctx, const tensor *w, dtype to, void *dst, const void **out_ptr) {
    *out_ptr = w->data;
    if (w->dtype == to || tensor_n_elems(w) == 0) return LS_OK;
    if (w->dtype == DTYPE_I8 && !w->scale) return ls_fail(LS_ERR_DTYPE, "cuda: i8 weight without scales");
    if (to == DTYPE_F32)
        LS_TRY(convert_to(ctx, w, (float *)dst));
    else if (to == DTYPE_F16)
        LS_TRY(convert_to(ctx, w, (__half *)dst));
    else
        return ls_fail(LS_ERR_DTYPE, "cuda: weights cannot be computed in %s", dtype_name(to));
    *out_ptr = dst;
    return LS_OK;
}
