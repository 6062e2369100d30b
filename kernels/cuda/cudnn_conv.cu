// cudnn_conv.cu — conv2d variant 3 (see conv2d.cu): cuDNN's convolution forward on NCHW tensors of the
// activation dtype, fp32 compute. The algorithm comes from cuDNN's heuristics (cudnnGetConvolutionForward-
// Algorithm_v7), taking the first one that succeeds within the workspace cap; f32 convolutions are held to
// FMA kernels (CUDNN_FMA_MATH: no TF32, so the f32 path stays accurate), f16 ones may use tensor cores.
// The bias is pre-filled into out and cuDNN accumulates onto it (beta = 1). cuDNN takes symmetric padding
// only (the SD VAE's asymmetric downsampler pad goes to variant 2) and 32-bit element counts.
// This is cuDNN's legacy (v7-style) API, deprecated in cuDNN 9 in favour of the graph API but still shipped;
// descriptors are created per call (a few microseconds).
#include <limits.h>

#include "cuda-device.cuh"

#define CUDNN_WORKSPACE_CAP ((size_t)1 << 30)

static bool cudnn_unsupported(cudnnStatus_t s) {
    return s >= CUDNN_STATUS_NOT_SUPPORTED && s < CUDNN_STATUS_INTERNAL_ERROR;
}

extern "C" bool cuda_conv2d_cudnn_fits(const tensor *x, const struct conv2d_params *p) {
    return p->pad_top == p->pad_bottom && p->pad_left == p->pad_right && tensor_n_elems(x) <= INT_MAX;
}

struct cudnn_objects {
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
};

static void cudnn_release(struct cudnn_objects *o) {
    if (o->conv) cudnnDestroyConvolutionDescriptor(o->conv);
    if (o->w) cudnnDestroyFilterDescriptor(o->w);
    if (o->y) cudnnDestroyTensorDescriptor(o->y);
    if (o->x) cudnnDestroyTensorDescriptor(o->x);
}

static ls_status unsupported(cudnnStatus_t s, const char *what) {
    return ls_fail(LS_ERR_UNSUPPORTED, "cudnn: %s: %s", what, cudnnGetErrorString(s));
}

static ls_status cudnn_conv(struct cuda_ctx *ctx, struct cudnn_objects *o, const tensor *out, const tensor *x,
                            const tensor *w, const tensor *bias, const struct conv2d_params *p) {
    if (!ctx->cudnn) return ls_fail(LS_ERR_UNSUPPORTED, "cudnn: not available (see the warning at backend init)");
    if (!cuda_conv2d_cudnn_fits(x, p) || tensor_n_elems(out) > INT_MAX)
        return ls_fail(LS_ERR_UNSUPPORTED, "cudnn: asymmetric padding or more than 2^31 elements");
    dtype dt = out->dtype;
    cudnnDataType_t cdt = dt == DTYPE_F16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    int n = (int)x->shape[0], ci = (int)x->shape[1], h = (int)x->shape[2], wd = (int)x->shape[3];
    int co = (int)out->shape[1], ho = (int)out->shape[2], wo = (int)out->shape[3];
    int cig = (int)w->shape[1], kh = (int)w->shape[2], kw = (int)w->shape[3];
    CUDNN_TRY(cudnnCreateTensorDescriptor(&o->x));
    CUDNN_TRY(cudnnCreateTensorDescriptor(&o->y));
    CUDNN_TRY(cudnnCreateFilterDescriptor(&o->w));
    CUDNN_TRY(cudnnCreateConvolutionDescriptor(&o->conv));
    CUDNN_TRY(cudnnSetTensor4dDescriptor(o->x, CUDNN_TENSOR_NCHW, cdt, n, ci, h, wd));
    CUDNN_TRY(cudnnSetTensor4dDescriptor(o->y, CUDNN_TENSOR_NCHW, cdt, n, co, ho, wo));
    CUDNN_TRY(cudnnSetFilter4dDescriptor(o->w, cdt, CUDNN_TENSOR_NCHW, co, cig, kh, kw));
    CUDNN_TRY(cudnnSetConvolution2dDescriptor(o->conv, p->pad_top, p->pad_left, p->stride_h, p->stride_w, p->dilation_h,
                                              p->dilation_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_TRY(cudnnSetConvolutionGroupCount(o->conv, p->groups));
    cudnnMathType_t math = dt == DTYPE_F32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
    CUDNN_TRY(cudnnSetConvolutionMathType(o->conv, math));
    int dims[4];
    CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(o->conv, o->x, o->w, &dims[0], &dims[1], &dims[2], &dims[3]));
    if (dims[0] != n || dims[1] != co || dims[2] != ho || dims[3] != wo)
        return ls_fail(LS_ERR_DEVICE, "cudnn: output (%d, %d, %d, %d), expected (%d, %d, %d, %d)", dims[0], dims[1],
                       dims[2], dims[3], n, co, ho, wo);

    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n_perf = 0;
    cudnnStatus_t st = cudnnGetConvolutionForwardAlgorithm_v7(ctx->cudnn, o->x, o->w, o->conv, o->y,
                                                              CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n_perf, perf);
    if (cudnn_unsupported(st)) return unsupported(st, "no forward algorithm");
    CUDNN_TRY(st);
    // f32: any algorithm that does not need tensor-core math, run with the descriptor kept at FMA math; f16: the
    // algorithm with the math type it was ranked under (cuDNN's advice for the _v7 heuristics).
    int pick = -1;
    for (int i = 0; i < n_perf && pick < 0; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= CUDNN_WORKSPACE_CAP &&
            (dt != DTYPE_F32 || perf[i].mathType == CUDNN_FMA_MATH || perf[i].mathType == CUDNN_DEFAULT_MATH))
            pick = i;
    if (pick < 0)
        return ls_fail(LS_ERR_UNSUPPORTED, "cudnn: no forward algorithm within %zu MiB%s", CUDNN_WORKSPACE_CAP >> 20,
                       dt == DTYPE_F32 ? " without tensor-core math" : "");
    if (dt != DTYPE_F32) CUDNN_TRY(cudnnSetConvolutionMathType(o->conv, perf[pick].mathType));

    size_t w_bytes = cuda_align_up(cuda_weight_workspace_bytes(w, dt), 256);
    void *ws = NULL;
    if (w_bytes + perf[pick].memory) LS_TRY(cuda_workspace(ctx, w_bytes + perf[pick].memory, &ws));
    const void *wp;
    LS_TRY(cuda_weight_as(ctx, w, dt, ws, &wp));
    if (bias) LS_TRY(cuda_bias_fill(ctx, out->data, bias->data, dt, n, co, (int64_t)ho * wo));
    const float alpha = 1.0f, beta = bias ? 1.0f : 0.0f;
    st = cudnnConvolutionForward(ctx->cudnn, &alpha, o->x, x->data, o->w, wp, o->conv, perf[pick].algo,
                                 perf[pick].memory ? (char *)ws + w_bytes : NULL, perf[pick].memory, &beta, o->y,
                                 out->data);
    if (cudnn_unsupported(st)) return unsupported(st, "convolution forward");
    CUDNN_TRY(st);
    return LS_OK;
}

extern "C" ls_status cuda_conv2d_cudnn(struct cuda_ctx *ctx, const tensor *out, const tensor *x, const tensor *w,
                                       const tensor *bias, const struct conv2d_params *p) {
    struct cudnn_objects o = {};
    ls_status s = cudnn_conv(ctx, &o, out, x, w, bias, p);
    cudnn_release(&o);
    return s;
}
