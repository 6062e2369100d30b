// layer_norm.c — CPU LayerNorm over the last dim (two-pass mean/variance per row, like torch).
// Tested by tests/ops/test_layer_norm.c.
#include <math.h>

#include "cpu-impl.h"
#include "vecmath.h"

struct ln_job {
    const tensor *out, *x, *gamma, *beta;
    float eps;
    int64_t c;
};

static void ln_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct ln_job *job = arg;
    int64_t c = job->c;
    const float *gamma = job->gamma ? job->gamma->data : NULL, *beta = job->beta ? job->beta->data : NULL;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)job->x->data + r * c;
        float *o = (float *)job->out->data + r * c;
        vf acc = vsplat(0.0f);
        int64_t i = 0;
        for (; i + VEC_LANES <= c; i += VEC_LANES) acc += vload(x + i);
        double sum = vhsum(acc);
        for (; i < c; i++) sum += x[i];
        float mean = (float)(sum / (double)c);
        acc = vsplat(0.0f);
        for (i = 0; i + VEC_LANES <= c; i += VEC_LANES) {
            vf d = vload(x + i) - mean;
            acc += d * d;
        }
        double ss = vhsum(acc);
        for (; i < c; i++) ss += (double)(x[i] - mean) * (x[i] - mean);
        float rstd = (float)(1.0 / sqrt(ss / (double)c + (double)job->eps));
        for (i = 0; i < c; i++) {
            float v = (x[i] - mean) * rstd;
            o[i] = v * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f);
        }
    }
}

ls_status cpu_layer_norm(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                         float eps) {
    int64_t c = x->shape[x->n_dims - 1];
    struct ln_job job = {out, x, gamma, beta, eps, c};
    int64_t rows = c ? tensor_n_elems(x) / c : 0;
    cpu_parallel_for(ctx, rows, 64, ln_range, &job);
    return LS_OK;
}
