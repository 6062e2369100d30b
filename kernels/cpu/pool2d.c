// pool2d.c — CPU max/average pooling of (B, C, H, W): one pass per output row, windows clipped to the
// image so padding never enters (runtime.h pool2d_params). One variant: plain loops, threaded over
// (plane, output row). Tested by tests/ops/test_pool2d.c.
#include <math.h>

#include "cpu-impl.h"

struct pool_job {
    const float *x;
    float *out;
    int64_t h, w, ho, wo;
    struct pool2d_params p;
};

static void pool_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct pool_job *j = arg;
    const struct pool2d_params *p = &j->p;
    for (int64_t r = begin; r < end; r++) { // r = plane * ho + oy
        int64_t plane = r / j->ho, oy = r % j->ho;
        const float *src = j->x + plane * j->h * j->w;
        float *dst = j->out + r * j->wo;
        int64_t y0 = oy * p->stride_h - p->pad_top, y1 = y0 + p->kernel_h;
        if (y0 < 0) y0 = 0;
        if (y1 > j->h) y1 = j->h;
        for (int64_t ox = 0; ox < j->wo; ox++) {
            int64_t x0 = ox * p->stride_w - p->pad_left, x1 = x0 + p->kernel_w;
            if (x0 < 0) x0 = 0;
            if (x1 > j->w) x1 = j->w;
            float acc = p->kind == POOL_MAX ? -INFINITY : 0.0f;
            for (int64_t y = y0; y < y1; y++) {
                const float *row = src + y * j->w;
                if (p->kind == POOL_MAX)
                    for (int64_t x = x0; x < x1; x++)
                        acc = row[x] > acc ? row[x] : acc;
                else
                    for (int64_t x = x0; x < x1; x++)
                        acc += row[x];
            }
            dst[ox] = p->kind == POOL_MAX ? acc : acc / (float)((y1 - y0) * (x1 - x0));
        }
    }
}

ls_status cpu_pool2d(void *ctx, const tensor *out, const tensor *x, const struct pool2d_params *p) {
    struct pool_job job = {x->data, out->data, x->shape[2], x->shape[3], out->shape[2], out->shape[3], *p};
    int64_t rows = out->shape[0] * out->shape[1] * out->shape[2];
    int64_t per_row = out->shape[3] * p->kernel_h * p->kernel_w;
    cpu_parallel_for(ctx, rows, per_row ? (16384 + per_row - 1) / per_row : 1, pool_range, &job);
    return LS_OK;
}
