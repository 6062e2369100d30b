// denoise.c — one batch of frames through the sampling loop, as bytedance/LatentSync
// latentsync/pipelines/lipsync_pipeline.py LipsyncPipeline.__call__ runs it: per step, the UNet input is
// [latents, mask, masked-image latents, reference latents] (13 channels, duplicated for classifier-free
// guidance with zero audio in the first half), eps = uncond + g (cond - uncond), then a DDIM step.
// DeepCache (scripts/inference.py enables DeepCacheSDHelper with cache_interval 3, branch 0): the full
// UNet runs on steps j % interval == 0, the shallow branch on the others (unet.md §9).
#include "models.h"

struct loop_tensors {
    tensor input, out, eps, x0, audio, features;
};

static ls_status alloc_loop(arena *act, const struct unet_config *c, int64_t batch, int64_t f, int64_t h, int64_t w,
                            int64_t tokens, bool cache, dtype dt, struct loop_tensors *t) {
    LS_TRY(arena_tensor(act, &t->input, dt, 5, (int64_t[]){batch, c->in_channels, f, h, w}));
    LS_TRY(arena_tensor(act, &t->out, dt, 5, (int64_t[]){batch, c->out_channels, f, h, w}));
    LS_TRY(arena_tensor(act, &t->eps, dt, 5, (int64_t[]){1, c->out_channels, f, h, w}));
    LS_TRY(arena_tensor(act, &t->x0, dt, 5, (int64_t[]){1, c->out_channels, f, h, w}));
    LS_TRY(arena_tensor(act, &t->audio, dt, 3, (int64_t[]){batch * f, tokens, c->cross_dim}));
    if (cache) LS_TRY(arena_tensor(act, &t->features, dt, 4, (int64_t[]){batch * f, c->channels[0], h, w}));
    return LS_OK;
}

// input[b, c0:c0+n] = src (broadcast over the CFG batch)
static ls_status put_channels(const tensor *input, int64_t c0, const tensor *src) {
    for (int64_t b = 0; b < input->shape[0]; b++) {
        tensor part;
        LS_TRY(tensor_slice(&part, input, 0, b, 1));
        LS_TRY(tensor_slice(&part, &part, 1, c0, src->shape[1]));
        LS_TRY(op_copy(&part, src));
    }
    return LS_OK;
}

static ls_status check(const struct unet_config *c, const struct denoise_inputs *in, const tensor *latents) {
    char a[96], b[96];
    const tensor *n = in->noise;
    if (n->n_dims != 5 || n->shape[0] != 1 || n->shape[1] != 4)
        return ls_fail(LS_ERR_SHAPE, "denoise: noise %s, expected (1, 4, F, h, w)", tensor_shape_str(n, a, sizeof a));
    const tensor *parts[3] = {in->mask, in->masked, in->ref};
    const int64_t chans[3] = {1, 4, 4};
    const char *names[3] = {"mask", "masked-image latents", "reference latents"};
    for (int i = 0; i < 3; i++) {
        const tensor *p = parts[i];
        if (p->n_dims != 5 || p->shape[0] != 1 || p->shape[1] != chans[i] || p->shape[2] != n->shape[2] ||
            p->shape[3] != n->shape[3] || p->shape[4] != n->shape[4])
            return ls_fail(LS_ERR_SHAPE, "denoise: %s %s, expected (1, %lld, %lld, %lld, %lld)", names[i],
                           tensor_shape_str(p, a, sizeof a), (long long)chans[i], (long long)n->shape[2],
                           (long long)n->shape[3], (long long)n->shape[4]);
    }
    if (c->in_channels != 13 || c->out_channels != 4)
        return ls_fail(LS_ERR_INPUT, "denoise: the UNet has %d -> %d channels, LatentSync's take 13 -> 4", c->in_channels,
                       c->out_channels);
    if (in->audio->n_dims != 3 || in->audio->shape[0] != n->shape[2] || in->audio->shape[2] != c->cross_dim)
        return ls_fail(LS_ERR_SHAPE, "denoise: audio %s, expected (%lld, tokens, %d)",
                       tensor_shape_str(in->audio, a, sizeof a), (long long)n->shape[2], c->cross_dim);
    if (!tensor_same_shape(latents, n))
        return ls_fail(LS_ERR_SHAPE, "denoise: output %s, expected %s", tensor_shape_str(latents, a, sizeof a),
                       tensor_shape_str(n, b, sizeof b));
    if (in->steps < 1 || in->steps > DDIM_MAX_STEPS)
        return ls_fail(LS_ERR_USAGE, "denoise: %d steps, expected 1 to %d", in->steps, DDIM_MAX_STEPS);
    if (!(in->guidance >= 0.0f && in->guidance <= 100.0f))
        return ls_fail(LS_ERR_USAGE, "denoise: guidance %g outside [0, 100]", in->guidance);
    return LS_OK;
}

ls_status denoise(const struct unet *u, arena *act, const struct denoise_inputs *in, const tensor *latents) {
    const struct unet_config *c = &u->config;
    LS_TRY(check(c, in, latents));
    struct ddim sched;
    LS_TRY(ddim_init(&sched, in->steps));
    bool cfg = in->guidance > 1.0f, cache = in->deepcache_interval > 1;
    int64_t batch = cfg ? 2 : 1, f = latents->shape[2], h = latents->shape[3], w = latents->shape[4];
    dtype dt = latents->dtype;
    size_t mark = arena_mark(act);
    struct loop_tensors t;
    LS_TRY(alloc_loop(act, c, batch, f, h, w, in->audio->shape[1], cache, dt, &t));
    struct unet_cache uc = {t.features, false};
    // audio: [zeros; real] with guidance, else the real audio only
    tensor real;
    if (cfg) {
        tensor zeros;
        LS_TRY(tensor_slice(&zeros, &t.audio, 0, 0, f));
        LS_TRY(op_fill(&zeros, 0.0f));
        LS_TRY(tensor_slice(&real, &t.audio, 0, f, f));
    } else {
        real = t.audio;
    }
    LS_TRY(op_copy(&real, in->audio));
    LS_TRY(put_channels(&t.input, 4, in->mask));
    LS_TRY(put_channels(&t.input, 5, in->masked));
    LS_TRY(put_channels(&t.input, 9, in->ref));
    LS_TRY(op_copy(latents, in->noise));
    for (int j = 0; j < sched.n_steps; j++) {
        model_trace_begin(act, "denoise step");
        LS_TRY(put_channels(&t.input, 0, latents));
        unet_mode mode = !cache ? UNET_FULL : j % in->deepcache_interval == 0 ? UNET_FULL_STORE : UNET_CACHED;
        struct unet_inputs ui = {&t.input, (float)sched.timesteps[j], &t.audio, cfg ? 1 : 0, mode, cache ? &uc : NULL};
        LS_TRY(unet_forward(u, act, &ui, &t.out));
        if (cfg) {
            tensor uncond, cond;
            LS_TRY(tensor_slice(&uncond, &t.out, 0, 0, 1));
            LS_TRY(tensor_slice(&cond, &t.out, 0, 1, 1));
            LS_TRY(op_axpby(&t.eps, 1.0f - in->guidance, &uncond, in->guidance, &cond));
        } else {
            LS_TRY(op_copy(&t.eps, &t.out));
        }
        LS_TRY(ddim_step(&sched, j, &t.eps, latents, &t.x0));
        model_trace_end(act);
    }
    arena_release(act, mark);
    return LS_OK;
}

ls_status denoise_plan(const struct unet *u, int64_t frames, int64_t h, int64_t w, int64_t tokens, float guidance,
                       int deepcache_interval, size_t *peak_bytes) {
    arena p;
    arena_init_plan(&p);
    tensor noise, mask, masked, ref, audio, out;
    int64_t s4[5] = {1, 4, frames, h, w}, s1[5] = {1, 1, frames, h, w};
    LS_TRY(arena_tensor(&p, &noise, DTYPE_F32, 5, s4));
    LS_TRY(arena_tensor(&p, &mask, DTYPE_F32, 5, s1));
    LS_TRY(arena_tensor(&p, &masked, DTYPE_F32, 5, s4));
    LS_TRY(arena_tensor(&p, &ref, DTYPE_F32, 5, s4));
    LS_TRY(arena_tensor(&p, &audio, DTYPE_F32, 3, (int64_t[]){frames, tokens, u->config.cross_dim}));
    LS_TRY(arena_tensor(&p, &out, DTYPE_F32, 5, s4));
    size_t io = arena_mark(&p);
    struct denoise_inputs in = {&noise, &mask, &masked, &ref, &audio, 1, guidance, deepcache_interval};
    LS_TRY(denoise(u, &p, &in, &out));
    *peak_bytes = p.peak_bytes - io + 1024;
    return LS_OK;
}
