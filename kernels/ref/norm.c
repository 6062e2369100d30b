// norm.c — reference GroupNorm (optionally across frames, fused SiLU), LayerNorm and softmax.
#include <math.h>

#include "ref.h"

void ref_group_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                    const struct group_norm_params *p) {
    int64_t b = x->shape[0], c = x->shape[1], sp = tensor_n_elems(x) / (b * c), cg = c / p->groups;
    for (int64_t s = 0; s < b / p->frames; s++)
        for (int64_t g = 0; g < p->groups; g++) {
            double sum = 0.0, ss = 0.0, n = (double)p->frames * (double)(cg * sp);
            for (int64_t f = 0; f < p->frames; f++)
                for (int64_t ch = 0; ch < cg; ch++)
                    for (int64_t i = 0; i < sp; i++) sum += ref_get(x, ((s * p->frames + f) * c + g * cg + ch) * sp + i);
            double mean = sum / n;
            for (int64_t f = 0; f < p->frames; f++)
                for (int64_t ch = 0; ch < cg; ch++)
                    for (int64_t i = 0; i < sp; i++) {
                        double d = ref_get(x, ((s * p->frames + f) * c + g * cg + ch) * sp + i) - mean;
                        ss += d * d;
                    }
            double rstd = 1.0 / sqrt(ss / n + p->eps);
            for (int64_t f = 0; f < p->frames; f++)
                for (int64_t ch = 0; ch < cg; ch++) {
                    int64_t cc = g * cg + ch;
                    for (int64_t i = 0; i < sp; i++) {
                        int64_t idx = ((s * p->frames + f) * c + cc) * sp + i;
                        double v = (ref_get(x, idx) - mean) * rstd;
                        v = v * (gamma ? ref_get(gamma, cc) : 1.0) + (beta ? ref_get(beta, cc) : 0.0);
                        if (p->silu) v = v / (1.0 + exp(-v));
                        ref_set(out, idx, v);
                    }
                }
        }
}

void ref_layer_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta, float eps) {
    int64_t c = x->shape[x->n_dims - 1], rows = tensor_n_elems(x) / c;
    for (int64_t r = 0; r < rows; r++) {
        double sum = 0.0, ss = 0.0;
        for (int64_t i = 0; i < c; i++) sum += ref_get(x, r * c + i);
        double mean = sum / (double)c;
        for (int64_t i = 0; i < c; i++) ss += (ref_get(x, r * c + i) - mean) * (ref_get(x, r * c + i) - mean);
        double rstd = 1.0 / sqrt(ss / (double)c + eps);
        for (int64_t i = 0; i < c; i++) {
            double v = (ref_get(x, r * c + i) - mean) * rstd;
            ref_set(out, r * c + i, v * (gamma ? ref_get(gamma, i) : 1.0) + (beta ? ref_get(beta, i) : 0.0));
        }
    }
}

void ref_softmax(const tensor *out, const tensor *x) {
    int64_t c = x->shape[x->n_dims - 1], rows = tensor_n_elems(x) / c;
    for (int64_t r = 0; r < rows; r++) {
        double m = -INFINITY, sum = 0.0;
        for (int64_t i = 0; i < c; i++) m = fmax(m, ref_get(x, r * c + i));
        for (int64_t i = 0; i < c; i++) sum += exp(ref_get(x, r * c + i) - m);
        for (int64_t i = 0; i < c; i++) ref_set(out, r * c + i, exp(ref_get(x, r * c + i) - m) / sum);
    }
}
