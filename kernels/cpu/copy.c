// copy.c — CPU strided copy with dtype conversion (f32/f16/bf16 among themselves, i32 to i32): the
// kernel under op_copy, op_permute, op_concat and the UNet layout changes. Contiguous runs go through
// memcpy/bulk conversion; permutes whose input is contiguous along another dim than the output's last one
// go through 32 x 32 tiles so both sides are read and written in cache lines. Tested by test_copy.c.
#include <string.h>

#include "cpu-impl.h"

#define TILE 32

static inline float load_as_f32(const void *base, int64_t i, dtype dt) {
    switch (dt) {
    case DTYPE_F16: return f16_to_f32(((const uint16_t *)base)[i]);
    case DTYPE_BF16: return bf16_to_f32(((const uint16_t *)base)[i]);
    default: return ((const float *)base)[i];
    }
}

static inline void store_f32_as(void *base, int64_t i, dtype dt, float v) {
    switch (dt) {
    case DTYPE_F16: ((uint16_t *)base)[i] = f32_to_f16(v); break;
    case DTYPE_BF16: ((uint16_t *)base)[i] = f32_to_bf16(v); break;
    default: ((float *)base)[i] = v; break;
    }
}

// Contiguous run of n elements.
static void copy_run(void *dst, dtype dd, const void *src, dtype sd, int64_t n) {
    size_t es = dtype_size(sd);
    if (dd == sd) memcpy(dst, src, (size_t)n * es);
    else if (sd == DTYPE_F16 && dd == DTYPE_F32) convert_f16_to_f32(dst, src, (size_t)n);
    else if (sd == DTYPE_F32 && dd == DTYPE_F16) convert_f32_to_f16(dst, src, (size_t)n);
    else if (sd == DTYPE_BF16 && dd == DTYPE_F32) convert_bf16_to_f32(dst, src, (size_t)n);
    else if (sd == DTYPE_F32 && dd == DTYPE_BF16) convert_f32_to_bf16(dst, src, (size_t)n);
    else
        for (int64_t i = 0; i < n; i++) store_f32_as(dst, i, dd, load_as_f32(src, i, sd));
}

struct copy_job {
    const tensor *out, *x;
    int n_dims;
    int64_t shape[TENSOR_MAX_DIMS], so[TENSOR_MAX_DIMS], sx[TENSOR_MAX_DIMS]; // merged dims
    int fast_x;                                                                // x's unit-stride dim, or -1
};

// Merges adjacent dims that are contiguous in both tensors; drops size-1 dims.
static void merge_dims(struct copy_job *job) {
    const tensor *o = job->out, *x = job->x;
    int n = 0;
    for (int d = 0; d < o->n_dims; d++) {
        if (o->shape[d] == 1) continue;
        if (n > 0 && job->so[n - 1] == o->stride[d] * o->shape[d] && job->sx[n - 1] == x->stride[d] * o->shape[d]) {
            job->shape[n - 1] *= o->shape[d];
            job->so[n - 1] = o->stride[d];
            job->sx[n - 1] = x->stride[d];
            continue;
        }
        job->shape[n] = o->shape[d];
        job->so[n] = o->stride[d];
        job->sx[n] = x->stride[d];
        n++;
    }
    if (n == 0) { // a single element
        job->shape[0] = 1;
        job->so[0] = job->sx[0] = 1;
        n = 1;
    }
    job->n_dims = n;
}

// Rows: every index over dims [0, n-1) (the last merged dim is the row).
static void rows_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct copy_job *job = arg;
    int last = job->n_dims - 1;
    int64_t len = job->shape[last], so = job->so[last], sx = job->sx[last];
    dtype dd = job->out->dtype, sd = job->x->dtype;
    size_t eo = dtype_size(dd), ex = dtype_size(sd);
    for (int64_t r = begin; r < end; r++) {
        int64_t oo = 0, ox = 0, rem = r;
        for (int d = last - 1; d >= 0; d--) {
            int64_t i = rem % job->shape[d];
            rem /= job->shape[d];
            oo += i * job->so[d];
            ox += i * job->sx[d];
        }
        char *dst = (char *)job->out->data + oo * (int64_t)eo;
        const char *src = (const char *)job->x->data + ox * (int64_t)ex;
        if (so == 1 && sx == 1) {
            copy_run(dst, dd, src, sd, len);
        } else if (dd == DTYPE_F32 && sd == DTYPE_F32) {
            float *o = (float *)(void *)dst;
            const float *x = (const float *)(const void *)src;
            for (int64_t i = 0; i < len; i++) o[i * so] = x[i * sx];
        } else if (dd == DTYPE_I32) {
            int32_t *o = (int32_t *)(void *)dst;
            const int32_t *x = (const int32_t *)(const void *)src;
            for (int64_t i = 0; i < len; i++) o[i * so] = x[i * sx];
        } else {
            for (int64_t i = 0; i < len; i++) store_f32_as(dst, i * so, dd, load_as_f32(src, i * sx, sd));
        }
    }
}

// Transposing copy: tiles over (fast_x dim, last dim), every other index in the outer loop.
static void tiles_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct copy_job *job = arg;
    int last = job->n_dims - 1, fx = job->fast_x;
    int64_t n_i = job->shape[fx], n_j = job->shape[last];
    int64_t ti = (n_i + TILE - 1) / TILE, tj = (n_j + TILE - 1) / TILE;
    dtype dd = job->out->dtype, sd = job->x->dtype;
    for (int64_t t = begin; t < end; t++) {
        int64_t tile = t % (ti * tj), rem = t / (ti * tj);
        int64_t i0 = (tile / tj) * TILE, j0 = (tile % tj) * TILE;
        int64_t oo = 0, ox = 0;
        for (int d = last - 1; d >= 0; d--) {
            if (d == fx) continue;
            int64_t i = rem % job->shape[d];
            rem /= job->shape[d];
            oo += i * job->so[d];
            ox += i * job->sx[d];
        }
        int64_t i1 = i0 + TILE < n_i ? i0 + TILE : n_i, j1 = j0 + TILE < n_j ? j0 + TILE : n_j;
        if (dd == DTYPE_F32 && sd == DTYPE_F32) {
            float *o = (float *)job->out->data + oo;
            const float *x = (const float *)job->x->data + ox;
            for (int64_t j = j0; j < j1; j++)
                for (int64_t i = i0; i < i1; i++) o[i * job->so[fx] + j * job->so[last]] = x[i + j * job->sx[last]];
        } else {
            for (int64_t j = j0; j < j1; j++)
                for (int64_t i = i0; i < i1; i++)
                    store_f32_as(job->out->data, oo + i * job->so[fx] + j * job->so[last], dd,
                                 load_as_f32(job->x->data, ox + i + j * job->sx[last], sd));
        }
    }
}

ls_status cpu_copy(void *ctx, const tensor *out, const tensor *x) {
    if (tensor_n_elems(out) == 0 || out->data == x->data) return LS_OK;
    struct copy_job job = {.out = out, .x = x, .fast_x = -1};
    merge_dims(&job);
    int last = job.n_dims - 1;
    if (job.sx[last] != 1 && job.so[last] == 1 && dtype_size(out->dtype) > 0) {
        for (int d = 0; d < last; d++)
            if (job.sx[d] == 1 && job.shape[d] > 1) job.fast_x = d;
    }
    if (job.fast_x >= 0 && job.shape[last] >= 8) {
        int64_t outer = 1;
        for (int d = 0; d < last; d++)
            if (d != job.fast_x) outer *= job.shape[d];
        int64_t tiles = ((job.shape[job.fast_x] + TILE - 1) / TILE) * ((job.shape[last] + TILE - 1) / TILE);
        cpu_parallel_for(ctx, outer * tiles, 16, tiles_range, &job);
        return LS_OK;
    }
    int64_t rows = tensor_n_elems(out) / job.shape[last];
    cpu_parallel_for(ctx, rows, (32768 + job.shape[last] - 1) / job.shape[last], rows_range, &job);
    return LS_OK;
}
