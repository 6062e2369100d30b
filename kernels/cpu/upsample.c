// upsample.c — CPU nearest-neighbour x2 upsampling of (B, C, H, W). Tested by test_upsample.c.
#include "cpu-impl.h"

struct up_job {
    const tensor *out, *x;
    int64_t h, w;
};

static void up_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct up_job *job = arg;
    int64_t h = job->h, w = job->w;
    for (int64_t r = begin; r < end; r++) { // r = plane * h + y
        const float *src = (const float *)job->x->data + r * w;
        float *dst = (float *)job->out->data + (r / h) * 4 * h * w + (r % h) * 2 * 2 * w;
        for (int64_t x = 0; x < w; x++) dst[2 * x] = dst[2 * x + 1] = src[x];
        for (int64_t x = 0; x < 2 * w; x++) dst[2 * w + x] = dst[x];
    }
}

ls_status cpu_upsample2x(void *ctx, const tensor *out, const tensor *x) {
    struct up_job job = {out, x, x->shape[2], x->shape[3]};
    int64_t rows = x->shape[0] * x->shape[1] * x->shape[2];
    cpu_parallel_for(ctx, rows, x->shape[3] ? (8192 + x->shape[3] - 1) / x->shape[3] : 1, up_range, &job);
    return LS_OK;
}
