// timestep_embedding.c — CPU sinusoidal timestep embedding, computed in float32 step by step as
// diffusers' get_timestep_embedding does (exponent, exp, t * freq, sin/cos, optional flip).
// Tested by tests/ops/test_timestep_embedding.c (against torch fixtures).
#include <math.h>

#include "cpu-impl.h"

ls_status cpu_timestep_embedding(void *ctx, const tensor *out, const tensor *t, const struct timestep_params *p) {
    (void)ctx;
    int64_t dim = out->shape[1], half = dim / 2;
    const float *ts = t->data;
    float *o = out->data;
    float log_period = (float)-log((double)p->max_period);
    float denom = (float)half - p->freq_shift;
    for (int64_t b = 0; b < out->shape[0]; b++) {
        for (int64_t k = 0; k < half; k++) {
            float e = log_period * (float)k;
            float freq = expf(e / denom);
            float arg = ts[b] * freq;
            float s = sinf(arg), c = cosf(arg);
            o[b * dim + k] = p->flip_sin_to_cos ? c : s;
            o[b * dim + half + k] = p->flip_sin_to_cos ? s : c;
        }
    }
    return LS_OK;
}
