// dtype.c — element sizes, names, and f16/bf16 <-> f32 conversions (F16C when the CPU has it).
#include <string.h>

#include "runtime.h"

#if defined(__F16C__) && defined(__AVX__)
#include <immintrin.h>
#define HAVE_F16C 1
#endif

size_t dtype_size(dtype dt) {
    switch (dt) {
    case DTYPE_F32: return 4;
    case DTYPE_F16: return 2;
    case DTYPE_BF16: return 2;
    case DTYPE_I8: return 1;
    case DTYPE_I32: return 4;
    case DTYPE_COUNT: break;
    }
    return 0;
}

const char *dtype_name(dtype dt) {
    static const char *const names[] = {"f32", "f16", "bf16", "i8", "i32"};
    return (unsigned)dt < DTYPE_COUNT ? names[dt] : "?";
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (mant << 13)); // inf / nan
    if (exp == 0) {
        if (mant == 0) return bits_f32(sign);
        // subnormal: value = mant * 2^-24
        float v = (float)mant * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0)); // inf / nan
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);                                  // rounds to inf
    if (abs < 0x38800000u) {
        // result is subnormal or zero: add a magic number so the FPU rounds the mantissa (nearest even)
        float v = bits_f32(abs) + 0.5f;
        return (uint16_t)(sign | (uint16_t)(f32_bits(v) - f32_bits(0.5f)));
    }
    uint32_t mant_odd = (abs >> 13) & 1;
    abs += 0xc8000fffu + mant_odd; // rebias exponent (-112 << 23) and round to nearest even
    return (uint16_t)(sign | (abs >> 13));
}

float bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); // quiet nan
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

void convert_f16_to_f32(float *dst, const uint16_t *src, size_t n) {
    size_t i = 0;
#ifdef HAVE_F16C
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
#endif
    for (; i < n; i++) dst[i] = f16_to_f32(src[i]);
}

void convert_f32_to_f16(uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
#ifdef HAVE_F16C
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; i++) dst[i] = f32_to_f16(src[i]);
}

void convert_bf16_to_f32(float *dst, const uint16_t *src, size_t n) {
    uint32_t *d = (uint32_t *)(void *)dst;
    for (size_t i = 0; i < n; i++) d[i] = (uint32_t)src[i] << 16;
}

void convert_f32_to_bf16(uint16_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f32_to_bf16(src[i]);
}
