// ddim.c — diffusers' DDIMScheduler (v0.32.2 schedulers/scheduling_ddim.py) as LatentSync configures it
// (configs/scheduler_config.json): scaled-linear betas, 1000 training steps, "leading" timesteps with
// steps_offset 1, set_alpha_to_one false (the last step's previous alpha is alphas_cumprod[0]), eta 0,
// epsilon prediction, no clipping. The schedule is computed in float32 in torch's order.
#include <math.h>

#include "models.h"

// torch.linspace for float32: start + i*step in the first half, end - (n-1-i)*step in the second.
static float linspace_f32(float start, float end, int n, int i) {
    float step = (end - start) / (float)(n - 1);
    return i < n / 2 ? start + step * (float)i : end - step * (float)(n - 1 - i);
}

ls_status ddim_init(struct ddim *d, int n_steps) {
    if (n_steps < 1 || n_steps > DDIM_TRAIN_STEPS)
        return ls_fail(LS_ERR_USAGE, "ddim: %d steps, expected 1 to %d", n_steps, DDIM_TRAIN_STEPS);
    float start = (float)sqrt(0.00085), end = (float)sqrt(0.012), prod = 1.0f;
    for (int i = 0; i < DDIM_TRAIN_STEPS; i++) {
        float s = linspace_f32(start, end, DDIM_TRAIN_STEPS, i);
        prod *= 1.0f - s * s;
        d->alphas_cumprod[i] = prod;
    }
    d->final_alpha_cumprod = d->alphas_cumprod[0];
    d->n_steps = n_steps;
    int ratio = DDIM_TRAIN_STEPS / n_steps;
    for (int j = 0; j < n_steps; j++) d->timesteps[j] = (n_steps - 1 - j) * ratio + 1;
    return LS_OK;
}

ls_status ddim_step(const struct ddim *d, int j, const tensor *eps, const tensor *x, const tensor *x0) {
    if (j < 0 || j >= d->n_steps) return ls_fail(LS_ERR_INPUT, "ddim: step %d of %d", j, d->n_steps);
    int t = d->timesteps[j], prev = t - DDIM_TRAIN_STEPS / d->n_steps;
    float a = d->alphas_cumprod[t], ap = prev >= 0 ? d->alphas_cumprod[prev] : d->final_alpha_cumprod;
    float sa = sqrtf(a), sb = sqrtf(1.0f - a);
    // x0 = (x - sqrt(1 - a) eps) / sqrt(a); x = sqrt(ap) x0 + sqrt(1 - ap) eps
    LS_TRY(op_axpby(x0, 1.0f / sa, x, -sb / sa, eps));
    LS_TRY(op_axpby(x, sqrtf(ap), x0, sqrtf(1.0f - ap), eps));
    return LS_OK;
}
