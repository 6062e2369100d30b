// pt_copy.c — a checkpoint tensor as contiguous memory: a strided gather over any offset, shape and strides
// (views, transposes, expanded dims), converting floating-point data to f32, f16 or bf16 on the way with
// the runtime's round-to-nearest-even converters; or a zero-copy runtime view when the tensor allows one.
#include <stdint.h>
#include <string.h>

#include "weights-convert-impl.h"

#define CHUNK_ELEMS 1024 // elements gathered or converted per step (stack buffers)

static bool is_float(pt_dtype dt) { return dt == PT_F32 || dt == PT_F16 || dt == PT_BF16 || dt == PT_F64; }

static void to_f32(pt_dtype src_dt, const void *src, float *dst, size_t n) {
    switch (src_dt) {
    case PT_F32: memcpy(dst, src, n * 4); break;
    case PT_F16: convert_f16_to_f32(dst, src, n); break;
    case PT_BF16: convert_bf16_to_f32(dst, src, n); break;
    case PT_F64:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)((const double *)src)[i];
        break;
    default: LS_ASSERT(!"to_f32 of a non-float dtype");
    }
}

// n elements of aligned `src` into `dst`; dst_dt is src_dt, f32, f16 or bf16 (checked by the caller).
static void convert_run(pt_dtype src_dt, pt_dtype dst_dt, const void *src, void *dst, size_t n) {
    if (src_dt == dst_dt) {
        memcpy(dst, src, n * pt_dtype_size(src_dt));
        return;
    }
    if (dst_dt == PT_F32) {
        to_f32(src_dt, src, dst, n);
        return;
    }
    float tmp[CHUNK_ELEMS];
    uint16_t *out = dst;
    for (size_t i = 0; i < n; i += CHUNK_ELEMS) {
        size_t m = n - i < CHUNK_ELEMS ? n - i : CHUNK_ELEMS;
        const float *f32;
        if (src_dt == PT_F32)
            f32 = (const float *)src + i;
        else
            to_f32(src_dt, (const uint8_t *)src + i * pt_dtype_size(src_dt), tmp, m), f32 = tmp;
        if (dst_dt == PT_F16)
            convert_f32_to_f16(out + i, f32, m);
        else
            convert_f32_to_bf16(out + i, f32, m);
    }
}

ls_status pt_tensor_copy(const struct pt_tensor *t, pt_dtype dst_dt, void *dst, size_t dst_bytes) {
    char name[160];
    wc_printable(name, sizeof name, t->name);
    bool ok = dst_dt == t->dtype || (is_float(t->dtype) && (dst_dt == PT_F32 || dst_dt == PT_F16 || dst_dt == PT_BF16));
    if (!ok || (unsigned)dst_dt >= PT_DTYPE_COUNT)
        return ls_fail(LS_ERR_DTYPE, "tensor '%s' is %s and cannot be copied as %s%s", name, pt_dtype_name(t->dtype),
                       pt_dtype_name(dst_dt),
                       is_float(t->dtype) ? " (f32, f16, bf16 or its own dtype)" : " (only as itself)");
    size_t src_size = pt_dtype_size(t->dtype), dst_size = pt_dtype_size(dst_dt);
    uint64_t need = (uint64_t)t->n_elems * dst_size;
    if (need != dst_bytes) {
        char s[200];
        shape_str(t->n_dims, t->shape, s, sizeof s);
        return ls_fail(LS_ERR_SHAPE, "tensor '%s': a %s copy of shape %s needs %llu bytes, the buffer has %zu", name,
                       pt_dtype_name(dst_dt), s, (unsigned long long)need, dst_bytes);
    }
    if ((uintptr_t)dst % dst_size)
        return ls_fail(LS_ERR_INPUT, "tensor '%s': destination not aligned to %zu bytes", name, dst_size);
    if (t->n_elems == 0) return LS_OK;
    const uint8_t *base = t->storage;
    uint8_t *out = dst;
    if (t->contiguous && (uintptr_t)t->data % src_size == 0) {
        convert_run(t->dtype, dst_dt, t->data, dst, (size_t)t->n_elems);
        return LS_OK;
    }
    // Rows along the innermost dimension; the outer index runs like an odometer.
    int last = t->n_dims - 1;
    int64_t row_len = last >= 0 ? t->shape[last] : 1, row_stride = last >= 0 ? t->stride[last] : 1;
    int64_t idx[PT_MAX_DIMS] = {0};
    uint64_t gather[CHUNK_ELEMS]; // 8-byte aligned room for any dtype
    for (int64_t done = 0; done < t->n_elems; done += row_len) {
        int64_t at = t->storage_offset;
        for (int d = 0; d < last; d++)
            at += idx[d] * t->stride[d];
        for (int64_t i = 0; i < row_len; i += CHUNK_ELEMS) {
            int64_t m = row_len - i < CHUNK_ELEMS ? row_len - i : CHUNK_ELEMS;
            uint8_t *g = (uint8_t *)gather;
            for (int64_t k = 0; k < m; k++)
                memcpy(g + k * src_size, base + (size_t)(at + (i + k) * row_stride) * src_size, src_size);
            convert_run(t->dtype, dst_dt, gather, out, (size_t)m);
            out += (size_t)m * dst_size;
        }
        for (int d = last - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) break;
            idx[d] = 0;
        }
    }
    return LS_OK;
}

ls_status pt_tensor_view(const struct pt_tensor *t, tensor *out) {
    char name[160];
    wc_printable(name, sizeof name, t->name);
    dtype dt;
    if (!pt_dtype_to_runtime(t->dtype, &dt))
        return ls_fail(LS_ERR_DTYPE, "tensor '%s' is %s, which the engine has no type for", name,
                       pt_dtype_name(t->dtype));
    if (!t->contiguous)
        return ls_fail(LS_ERR_INPUT, "tensor '%s' is a strided view; copy it with pt_tensor_copy", name);
    if (t->n_dims > TENSOR_MAX_DIMS)
        return ls_fail(LS_ERR_SHAPE, "tensor '%s' has %d dimensions (the engine takes %d)", name, t->n_dims,
                       TENSOR_MAX_DIMS);
    if ((uintptr_t)t->data % pt_dtype_size(t->dtype))
        return ls_fail(LS_ERR_INPUT, "tensor '%s' is not aligned in the file; copy it with pt_tensor_copy", name);
    return tensor_wrap(out, NULL, dt, t->n_dims, t->shape, (void *)t->data);
}
