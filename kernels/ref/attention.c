// attention.c — reference attention, the naive way: materialise softmax(scale q k^T) per (batch, head),
// then multiply by v. Also the "naive" baseline that `latentsync bench ops` compares the kernels with.
#include <math.h>
#include <stdlib.h>

#include "ref.h"

ls_status ref_attention(const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                        const struct attention_params *p) {
    int64_t b = q->shape[0], tq = q->shape[1], tk = k->shape[1];
    int64_t dk = q->shape[2] / p->heads, dv = v->shape[2] / p->heads;
    double *s = malloc((size_t)(tq * tk) * sizeof *s);
    if (!s) return ls_fail(LS_ERR_OOM, "reference attention: cannot allocate %lld scores", (long long)(tq * tk));
    for (int64_t bb = 0; bb < b; bb++)
        for (int64_t h = 0; h < p->heads; h++) {
            for (int64_t i = 0; i < tq; i++) {
                double m = -INFINITY, sum = 0.0;
                for (int64_t j = 0; j < tk; j++) {
                    double acc = 0.0;
                    for (int64_t d = 0; d < dk; d++)
                        acc += ref_get(q, (bb * tq + i) * q->shape[2] + h * dk + d) *
                               ref_get(k, (bb * tk + j) * k->shape[2] + h * dk + d);
                    s[i * tk + j] = acc * p->scale;
                    m = fmax(m, s[i * tk + j]);
                }
                for (int64_t j = 0; j < tk; j++) sum += (s[i * tk + j] = exp(s[i * tk + j] - m));
                for (int64_t j = 0; j < tk; j++) s[i * tk + j] /= sum;
            }
            for (int64_t i = 0; i < tq; i++)
                for (int64_t d = 0; d < dv; d++) {
                    double acc = 0.0;
                    for (int64_t j = 0; j < tk; j++) acc += s[i * tk + j] * ref_get(v, (bb * tk + j) * v->shape[2] + h * dv + d);
                    ref_set(out, (bb * tq + i) * out->shape[2] + h * dv + d, acc);
                }
        }
    free(s);
    return LS_OK;
}
