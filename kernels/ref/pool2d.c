// pool2d.c — reference max/average pooling: every window tap tested against the image bounds, double
// accumulation; padding is skipped (max) or not counted (average).
#include <math.h>

#include "ref.h"

void ref_pool2d(const tensor *out, const tensor *x, const struct pool2d_params *p) {
    int64_t b = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
    int64_t ho = out->shape[2], wo = out->shape[3];
    for (int64_t n = 0; n < b * c; n++)
        for (int64_t oy = 0; oy < ho; oy++)
            for (int64_t ox = 0; ox < wo; ox++) {
                double acc = p->kind == POOL_MAX ? -INFINITY : 0.0;
                int64_t count = 0;
                for (int ky = 0; ky < p->kernel_h; ky++)
                    for (int kx = 0; kx < p->kernel_w; kx++) {
                        int64_t y = oy * p->stride_h - p->pad_top + ky, xx = ox * p->stride_w - p->pad_left + kx;
                        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                        double v = ref_get(x, (n * h + y) * w + xx);
                        acc = p->kind == POOL_MAX ? fmax(acc, v) : acc + v;
                        count++;
                    }
                ref_set(out, (n * ho + oy) * wo + ox, p->kind == POOL_MAX ? acc : acc / (double)count);
            }
}
