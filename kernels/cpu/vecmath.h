// vecmath.h — portable SIMD through GCC/Clang vector extensions: the widest float vector the build target
// has (AVX-512: 16 lanes, AVX2: 8, otherwise 4), unaligned load/store, and vectorised exp, erf, tanh
// accurate to a few ulp of float (checked against libm in tests/ops/test_vecmath.c).
#ifndef LS_VECMATH_H
#define LS_VECMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__)
#define VEC_LANES 16
#elif defined(__AVX2__) || defined(__AVX__)
#define VEC_LANES 8
#else
#define VEC_LANES 4
#endif

typedef float vf __attribute__((vector_size(VEC_LANES * 4)));
typedef int32_t vi __attribute__((vector_size(VEC_LANES * 4)));

static inline vf vload(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vsplat(float x) { return (vf){0} + x; }
// Lane-wise select: m ? a : b, with m from a vector comparison (-1 or 0 per lane).
static inline vf vselect(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
static inline vf vmax(vf a, vf b) { return vselect(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return vselect(a < b, a, b); }
static inline vf vabs(vf a) { return (vf)((vi)a & 0x7fffffff); }

static inline float vhsum(vf v) {
    float s = 0;
    for (int i = 0; i < VEC_LANES; i++) s += v[i];
    return s;
}
static inline float vhmax(vf v) {
    float m = v[0];
    for (int i = 1; i < VEC_LANES; i++) m = v[i] > m ? v[i] : m;
    return m;
}

// exp(x): x = n ln2 + r, |r| <= ln2/2, Cephes degree-5 polynomial; underflows to 0 below -87.3,
// saturates at +88.7 (callers never exceed it: softmax arguments are <= 0).
static inline vf vexp(vf x) {
    x = vmin(x, vsplat(88.37626f));
    x = vmax(x, vsplat(-87.33654f));
    vf fx = x * 1.44269504088896341f;
    const vf magic = vsplat(12582912.0f); // 1.5 * 2^23: adding it rounds to an integer
    vf n = (fx + magic) - magic;
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf r2 = r * r;
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    return p * (vf)e;
}

// erf(x) from erfc's Chebyshev fit (Numerical Recipes erfcc, relative error < 1.2e-7 on erfc).
static inline vf verf(vf x) {
    vf z = vabs(x);
    vf t = 1.0f / (1.0f + 0.5f * z);
    vf p = vsplat(0.17087277f);
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    vf erfc = t * vexp(p - z * z);
    vf r = 1.0f - erfc;
    return vselect(x < vsplat(0.0f), -r, r);
}

// tanh(x) = 1 - 2 / (exp(2x) + 1), with the small-|x| range done by an odd polynomial for accuracy.
static inline vf vtanh(vf x) {
    vf z = vabs(x);
    vf e = vexp(vmin(2.0f * z, vsplat(88.0f)));
    vf big = 1.0f - 2.0f / (e + 1.0f);
    vf x2 = x * x;
    vf small = x + x * x2 * (-0.333333333f + x2 * (0.133333333f + x2 * (-0.053968254f + x2 * 0.021869488f)));
    vf r = vselect(x < vsplat(0.0f), -big, big);
    return vselect(z < vsplat(0.125f), small, r);
}

static inline vf vgelu(vf x) { return 0.5f * x * (1.0f + verf(x * 0.70710678118654752f)); }
static inline vf vgelu_tanh(vf x) {
    return 0.5f * x * (1.0f + vtanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
static inline vf vsilu(vf x) { return x / (1.0f + vexp(-x)); }

#endif
