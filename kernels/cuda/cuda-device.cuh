// cuda-device.cuh — device-side helpers shared by the CUDA kernels: loading/storing f32, f16 and bf16 as f32,
// warp and block reductions, and strided tensor views (up to TENSOR_MAX_DIMS dims, merged on the host so
// kernels index as few dims as possible). Internal to kernels/cuda.
#ifndef LS_CUDA_DEVICE_CUH
#define LS_CUDA_DEVICE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda-impl.h"

// --- element types -------------------------------------------------------------------------------------------

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> __device__ __forceinline__ T from_f32(float x);
template <> __device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <> __device__ __forceinline__ __half from_f32<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// --- reductions ------------------------------------------------------------------------------------------------

#define FULL_MASK 0xffffffffu

template <typename T> __device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024), returned to every thread.
// `scratch` holds 33 values in shared memory; the trailing __syncthreads lets callers reuse it at once.
template <typename T> __device__ __forceinline__ T block_sum(T v, T *scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = lane < n_warps ? scratch[lane] : T(0);
        w = warp_sum(w);
        if (lane == 0) scratch[32] = w;
    }
    __syncthreads();
    T total = scratch[32];
    __syncthreads();
    return total;
}

// --- strided views -----------------------------------------------------------------------------------------------

struct view5 {
    int n_dims;
    int64_t shape[TENSOR_MAX_DIMS];
    int64_t stride[TENSOR_MAX_DIMS]; // elements
};

// Element offset of row-major flat index `flat` over v's shape.
__device__ __forceinline__ int64_t view_offset(const view5 &v, int64_t flat) {
    int64_t off = 0;
#pragma unroll
    for (int d = TENSOR_MAX_DIMS - 1; d >= 0; d--) {
        if (d < v.n_dims) {
            int64_t i = flat % v.shape[d];
            flat /= v.shape[d];
            off += i * v.stride[d];
        }
    }
    return off;
}

// Views of n_t tensors of one shape with their dims merged where every tensor is contiguous across the
// boundary, and size-1 dims dropped (at least one dim is kept). strides[i] are tensor i's strides.
static inline void views_merged(int n_dims, const int64_t *shape, int n_t, const int64_t *const *strides,
                                view5 *views) {
    for (int t = 0; t < n_t; t++)
        views[t] = view5{};
    int n = 0;
    for (int d = 0; d < n_dims; d++) {
        if (shape[d] == 1) continue;
        bool merge = n > 0;
        for (int t = 0; merge && t < n_t; t++)
            merge = views[t].stride[n - 1] == strides[t][d] * shape[d];
        if (merge) {
            for (int t = 0; t < n_t; t++) {
                views[t].shape[n - 1] *= shape[d];
                views[t].stride[n - 1] = strides[t][d];
            }
            continue;
        }
        for (int t = 0; t < n_t; t++) {
            views[t].shape[n] = shape[d];
            views[t].stride[n] = strides[t][d];
        }
        n++;
    }
    if (n == 0) {
        for (int t = 0; t < n_t; t++)
            views[t].shape[0] = 1, views[t].stride[0] = 1;
        n = 1;
    }
    for (int t = 0; t < n_t; t++)
        views[t].n_dims = n;
}

// True when a merged view is one unit-stride run.
static inline bool view_is_flat(const view5 &v) { return v.n_dims == 1 && v.stride[0] == 1; }

#endif
