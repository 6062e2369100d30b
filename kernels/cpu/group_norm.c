// group_norm.c — CPU GroupNorm over (B, C, ...) with statistics shared by `frames` consecutive batch items
// (LatentSync's non-inflated ResNet norms span all frames of a sample), affine and optional fused SiLU.
// Two passes per group: mean, then the centred sum of squares (as torch does, no E[x^2]-E[x]^2
// cancellation), accumulated in double per chunk. Tested by tests/ops/test_group_norm.c.
#include <math.h>

#include "cpu-impl.h"
#include "vecmath.h"

struct gn_job {
    const tensor *out, *x, *gamma, *beta;
    const struct group_norm_params *p;
    int64_t c, spatial; // channels, elements per channel per item
};

static double sum_f32(const float *x, int64_t n) {
    vf acc = vsplat(0.0f);
    int64_t i = 0;
    double total = 0.0;
    for (; i + VEC_LANES <= n; i += VEC_LANES) {
        acc += vload(x + i);
        if ((i & 4095) == 0) { // keep float partial sums short
            total += vhsum(acc);
            acc = vsplat(0.0f);
        }
    }
    total += vhsum(acc);
    for (; i < n; i++) total += x[i];
    return total;
}

static double sum_sq_dev(const float *x, int64_t n, float mean) {
    vf acc = vsplat(0.0f);
    int64_t i = 0;
    double total = 0.0;
    for (; i + VEC_LANES <= n; i += VEC_LANES) {
        vf d = vload(x + i) - mean;
        acc += d * d;
        if ((i & 4095) == 0) {
            total += vhsum(acc);
            acc = vsplat(0.0f);
        }
    }
    total += vhsum(acc);
    for (; i < n; i++) total += (double)(x[i] - mean) * (x[i] - mean);
    return total;
}

static void gn_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct gn_job *job = arg;
    const struct group_norm_params *p = job->p;
    int64_t cg = job->c / p->groups, sp = job->spatial, item = job->c * sp;
    const float *gamma = job->gamma ? job->gamma->data : NULL, *beta = job->beta ? job->beta->data : NULL;
    for (int64_t idx = begin; idx < end; idx++) {
        int64_t s = idx / p->groups, g = idx % p->groups; // sample (of `frames` items), group
        const float *x0 = (const float *)job->x->data + s * p->frames * item + g * cg * sp;
        float *o0 = (float *)job->out->data + s * p->frames * item + g * cg * sp;
        double sum = 0.0;
        for (int f = 0; f < p->frames; f++) sum += sum_f32(x0 + f * item, cg * sp);
        double n = (double)p->frames * (double)(cg * sp);
        float mean = (float)(sum / n);
        double ss = 0.0;
        for (int f = 0; f < p->frames; f++) ss += sum_sq_dev(x0 + f * item, cg * sp, mean);
        float rstd = (float)(1.0 / sqrt(ss / n + (double)p->eps));
        for (int f = 0; f < p->frames; f++) {
            for (int64_t ch = 0; ch < cg; ch++) {
                int64_t cc = g * cg + ch;
                float a = rstd * (gamma ? gamma[cc] : 1.0f);
                float b = (beta ? beta[cc] : 0.0f) - mean * a;
                const float *xs = x0 + f * item + ch * sp;
                float *os = o0 + f * item + ch * sp;
                int64_t i = 0;
                for (; i + VEC_LANES <= sp; i += VEC_LANES) {
                    vf v = vload(xs + i) * a + b;
                    if (p->silu) v = vsilu(v);
                    vstore(os + i, v);
                }
                for (; i < sp; i++) {
                    float v = xs[i] * a + b;
                    os[i] = p->silu ? v / (1.0f + expf(-v)) : v;
                }
            }
        }
    }
}

ls_status cpu_group_norm(void *vctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                         const struct group_norm_params *p) {
    int64_t c = x->shape[1];
    int64_t spatial = c ? tensor_n_elems(x) / (x->shape[0] * c) : 0;
    struct gn_job job = {out, x, gamma, beta, p, c, spatial};
    int64_t samples = x->shape[0] / p->frames;
    cpu_parallel_for(vctx, samples * p->groups, 1, gn_range, &job);
    return LS_OK;
}
