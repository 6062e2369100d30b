// unet.c — LatentSync's UNet3DConditionModel (bytedance/LatentSync latentsync/models/unet.py, blocks in
// unet_blocks.py) assembled from the ResNet, transformer and motion-module files, plus DeepCache's
// shallow-branch evaluation (horseee/DeepCache DeepCache/extension/deepcache.py, branch 0; unet.md §9).
// Memory: two ping-pong buffers sized for the largest activation, the skip tensors in push order, and
// each block's temporaries above them, released per block; unet_plan measures the peak on the plan backend.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "unet-impl.h"

// --- config and weights ------------------------------------------------------------------------------------

ls_status unet_config_from_weights(struct unet_config *cfg, const struct weight_source *src, int heads) {
    tensor t;
    char name[160], s[96];
    memset(cfg, 0, sizeof *cfg);
    cfg->heads = heads > 0 ? heads : 8;
    cfg->groups = 32;
    cfg->norm_eps = 1e-5f;
    if (!weights_peek(src, "conv_in.weight", &t) || t.n_dims != 4)
        return ls_fail(LS_ERR_INPUT, "%s: not a LatentSync UNet: tensor 'conv_in.weight' missing", src->label);
    cfg->in_channels = (int)t.shape[1];
    for (int i = 0;; i++) {
        snprintf(name, sizeof name, "down_blocks.%d.resnets.0.conv1.weight", i);
        if (!weights_peek(src, name, &t)) break;
        if (i == UNET_MAX_LEVELS) return ls_fail(LS_ERR_INPUT, "%s: more than %d down blocks", src->label, UNET_MAX_LEVELS);
        if (t.n_dims != 4 || t.shape[0] % cfg->groups || t.shape[0] % cfg->heads)
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': shape %s: channels must be multiples of %d groups and %d heads",
                           src->label, name, tensor_shape_str(&t, s, sizeof s), cfg->groups, cfg->heads);
        cfg->channels[i] = (int)t.shape[0];
        cfg->n_levels = i + 1;
        snprintf(name, sizeof name, "down_blocks.%d.attentions.0.norm.weight", i);
        cfg->attention[i] = weights_peek(src, name, &t);
    }
    if (cfg->n_levels == 0) return ls_fail(LS_ERR_INPUT, "%s: not a LatentSync UNet: no down blocks", src->label);
    for (int j = 0;; j++) {
        snprintf(name, sizeof name, "down_blocks.0.resnets.%d.conv1.weight", j);
        if (!weights_peek(src, name, &t)) break;
        if (j + 1 >= UNET_MAX_LAYERS + 1) return ls_fail(LS_ERR_INPUT, "%s: too many ResNets per block", src->label);
        cfg->layers = j + 1;
    }
    if (cfg->layers + 1 > UNET_MAX_LAYERS)
        return ls_fail(LS_ERR_INPUT, "%s: %d layers per block, at most %d supported", src->label, cfg->layers,
                       UNET_MAX_LAYERS - 1);
    if (!weights_peek(src, "conv_out.weight", &t) || t.n_dims != 4)
        return ls_fail(LS_ERR_INPUT, "%s: not a LatentSync UNet: tensor 'conv_out.weight' missing", src->label);
    cfg->out_channels = (int)t.shape[0];
    if (!weights_peek(src, "time_embedding.linear_1.weight", &t) || t.n_dims != 2)
        return ls_fail(LS_ERR_INPUT, "%s: not a LatentSync UNet: tensor 'time_embedding.linear_1.weight' missing",
                       src->label);
    cfg->time_dim = (int)t.shape[0];
    cfg->cross_dim = 0;
    for (int i = 0; i < cfg->n_levels && !cfg->cross_dim; i++)
        if (cfg->attention[i]) {
            snprintf(name, sizeof name, "down_blocks.%d.attentions.0.transformer_blocks.0.attn2.to_k.weight", i);
            if (!weights_peek(src, name, &t) || t.n_dims != 2)
                return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' missing: LatentSync UNets have audio cross-attention",
                               src->label, name);
            cfg->cross_dim = (int)t.shape[1];
        }
    cfg->motion = weights_peek(src, "down_blocks.0.motion_modules.0.temporal_transformer.norm.weight", &t);
    cfg->pe_len = 24;
    if (cfg->motion) {
        if (!weights_peek(src, "down_blocks.0.motion_modules.0.temporal_transformer.transformer_blocks.0."
                               "attention_blocks.0.pos_encoder.pe", &t) || t.n_dims != 3 || t.shape[1] < 1)
            return ls_fail(LS_ERR_INPUT, "%s: motion-module positional table 'pos_encoder.pe' missing or malformed",
                           src->label);
        cfg->pe_len = (int)t.shape[1];
    }
    return LS_OK;
}

static void bind_unet(struct weight_binder *b, void *model) {
    struct unet *u = model;
    const struct unet_config *c = &u->config;
    char p[128];
    int64_t c0 = c->channels[0], td = c->time_dim;
    weights_bind(b, &u->conv_in_w, WEIGHT_MATRIX, 4, (int64_t[]){c0, c->in_channels, 3, 3}, "conv_in.weight");
    weights_bind(b, &u->conv_in_b, WEIGHT_PARAM, 1, (int64_t[]){c0}, "conv_in.bias");
    weights_bind(b, &u->time1_w, WEIGHT_MATRIX, 2, (int64_t[]){td, c0}, "time_embedding.linear_1.weight");
    weights_bind(b, &u->time1_b, WEIGHT_PARAM, 1, (int64_t[]){td}, "time_embedding.linear_1.bias");
    weights_bind(b, &u->time2_w, WEIGHT_MATRIX, 2, (int64_t[]){td, td}, "time_embedding.linear_2.weight");
    weights_bind(b, &u->time2_b, WEIGHT_PARAM, 1, (int64_t[]){td}, "time_embedding.linear_2.bias");
    int64_t cin = c0;
    for (int i = 0; i < c->n_levels; i++) {
        int64_t ch = c->channels[i];
        struct unet_down *d = &u->down[i];
        for (int j = 0; j < c->layers; j++) {
            snprintf(p, sizeof p, "down_blocks.%d.resnets.%d", i, j);
            unet_bind_resnet(b, &d->resnets[j], j ? ch : cin, ch, td, p);
            if (c->attention[i]) {
                snprintf(p, sizeof p, "down_blocks.%d.attentions.%d", i, j);
                unet_bind_transformer(b, &d->attentions[j], ch, c->cross_dim, p);
            }
            if (c->motion) {
                snprintf(p, sizeof p, "down_blocks.%d.motion_modules.%d", i, j);
                unet_bind_motion(b, &d->motions[j], ch, c->pe_len, p);
            }
        }
        if (i < c->n_levels - 1) {
            weights_bind(b, &d->down_w, WEIGHT_MATRIX, 4, (int64_t[]){ch, ch, 3, 3}, "down_blocks.%d.downsamplers.0.conv.weight", i);
            weights_bind(b, &d->down_b, WEIGHT_PARAM, 1, (int64_t[]){ch}, "down_blocks.%d.downsamplers.0.conv.bias", i);
        }
        cin = ch;
    }
    int64_t top = c->channels[c->n_levels - 1];
    unet_bind_resnet(b, &u->mid_res0, top, top, td, "mid_block.resnets.0");
    unet_bind_transformer(b, &u->mid_attn, top, c->cross_dim, "mid_block.attentions.0");
    unet_bind_resnet(b, &u->mid_res1, top, top, td, "mid_block.resnets.1");
    // up block i mirrors down block L-1-i; each layer's ResNet takes [h, skip] (unet.md §4)
    int64_t prev = top;
    for (int i = 0; i < c->n_levels; i++) {
        int lvl = c->n_levels - 1 - i;
        int64_t ch = c->channels[lvl];
        struct unet_up *up = &u->up[i];
        for (int j = 0; j <= c->layers; j++) {
            int64_t skip = j < c->layers ? ch : (lvl > 0 ? c->channels[lvl - 1] : c0);
            int64_t hin = j == 0 ? prev : ch;
            snprintf(p, sizeof p, "up_blocks.%d.resnets.%d", i, j);
            unet_bind_resnet(b, &up->resnets[j], hin + skip, ch, td, p);
            if (c->attention[lvl]) {
                snprintf(p, sizeof p, "up_blocks.%d.attentions.%d", i, j);
                unet_bind_transformer(b, &up->attentions[j], ch, c->cross_dim, p);
            }
            if (c->motion) {
                snprintf(p, sizeof p, "up_blocks.%d.motion_modules.%d", i, j);
                unet_bind_motion(b, &up->motions[j], ch, c->pe_len, p);
            }
        }
        if (i < c->n_levels - 1) {
            weights_bind(b, &up->up_w, WEIGHT_MATRIX, 4, (int64_t[]){ch, ch, 3, 3}, "up_blocks.%d.upsamplers.0.conv.weight", i);
            weights_bind(b, &up->up_b, WEIGHT_PARAM, 1, (int64_t[]){ch}, "up_blocks.%d.upsamplers.0.conv.bias", i);
        }
        prev = ch;
    }
    weights_bind(b, &u->norm_out_w, WEIGHT_PARAM, 1, (int64_t[]){c0}, "conv_norm_out.weight");
    weights_bind(b, &u->norm_out_b, WEIGHT_PARAM, 1, (int64_t[]){c0}, "conv_norm_out.bias");
    weights_bind(b, &u->conv_out_w, WEIGHT_MATRIX, 4, (int64_t[]){c->out_channels, c0, 3, 3}, "conv_out.weight");
    weights_bind(b, &u->conv_out_b, WEIGHT_PARAM, 1, (int64_t[]){c->out_channels}, "conv_out.bias");
}

ls_status unet_load(struct unet *u, const struct weight_source *src, struct backend *be, int heads) {
    memset(u, 0, sizeof *u);
    LS_TRY(unet_config_from_weights(&u->config, src, heads));
    return weights_load(&u->store, src, be, bind_unet, u, NULL);
}

struct unet_config unet_config_stage2(void) {
    return (struct unet_config){.in_channels = 13, .out_channels = 4, .n_levels = 4, .channels = {320, 640, 1280, 1280},
                                .layers = 2, .attention = {true, true, true, false}, .motion = true, .heads = 8,
                                .cross_dim = 384, .time_dim = 1280, .groups = 32, .norm_eps = 1e-5f, .pe_len = 24};
}

ls_status unet_init_random(struct unet *u, const struct unet_config *cfg, struct backend *be, dtype matrix_dt,
                           uint64_t seed) {
    memset(u, 0, sizeof *u);
    u->config = *cfg;
    return weights_init_random(&u->store, be, bind_unet, u, matrix_dt, seed);
}

void unet_free(struct unet *u) {
    if (!u) return;
    weights_free(&u->store);
}

// --- forward -------------------------------------------------------------------------------------------------

struct flow {
    struct unet_ctx ctx;
    void *buf[2]; // ping-pong activations
    int cur;
    tensor skips[1 + UNET_MAX_LEVELS * (UNET_MAX_LAYERS + 1)];
    int n_skips;
};

static ls_status next_buffer(struct flow *fl, tensor *t, dtype dt, int64_t bf, int64_t c, int64_t h, int64_t w) {
    fl->cur ^= 1;
    return tensor_wrap(t, fl->ctx.act->backend, dt, 4, (int64_t[]){bf, c, h, w}, fl->buf[fl->cur]);
}

static ls_status push_skip(struct flow *fl, tensor *t, dtype dt, int64_t bf, int64_t c, int64_t h, int64_t w) {
    LS_TRY(arena_tensor(fl->ctx.act, t, dt, 4, (int64_t[]){bf, c, h, w}));
    fl->skips[fl->n_skips++] = *t;
    return LS_OK;
}

// One layer: ResNet -> [transformer] -> [motion module]; the last module writes into `out` (a skip slot
// or a ping-pong buffer chosen by the caller through `out_skip`).
static ls_status layer_forward(struct flow *fl, const struct unet_resnet *r, const struct unet_transformer *t,
                               const struct unet_motion *m, const tensor *x, int64_t ch, bool out_skip, tensor *out) {
    const struct unet_config *cfg = fl->ctx.cfg;
    (void)cfg;
    int64_t bf = x->shape[0], h = x->shape[2], w = x->shape[3];
    bool has_t = t != NULL, has_m = m != NULL;
    tensor a, b;
    // where each stage writes: the last stage goes to `out` (skip or buffer), the others to buffers
    if (!has_t && !has_m && out_skip) LS_TRY(push_skip(fl, &a, x->dtype, bf, ch, h, w));
    else LS_TRY(next_buffer(fl, &a, x->dtype, bf, ch, h, w));
    LS_TRY(unet_resnet_forward(r, &fl->ctx, x, &a));
    if (has_t) {
        if (!has_m && out_skip) LS_TRY(push_skip(fl, &b, x->dtype, bf, ch, h, w));
        else LS_TRY(next_buffer(fl, &b, x->dtype, bf, ch, h, w));
        LS_TRY(unet_transformer_forward(t, &fl->ctx, &a, &b));
        a = b;
    }
    if (has_m) {
        if (out_skip) LS_TRY(push_skip(fl, &b, x->dtype, bf, ch, h, w));
        else LS_TRY(next_buffer(fl, &b, x->dtype, bf, ch, h, w));
        LS_TRY(unet_motion_forward(m, &fl->ctx, &a, &b));
        a = b;
    }
    *out = a;
    return LS_OK;
}

static int64_t max_elems_per_frame(const struct unet_config *c, int64_t h, int64_t w) {
    // the largest of: any level's activation, any up layer's [h, skip] concatenation, upsampled tensors
    int64_t m = (int64_t)c->in_channels * h * w, hh = h, ww = w;
    int64_t sizes_h[UNET_MAX_LEVELS], sizes_w[UNET_MAX_LEVELS];
    for (int i = 0; i < c->n_levels; i++) {
        sizes_h[i] = hh, sizes_w[i] = ww;
        int64_t e = (int64_t)c->channels[i] * hh * ww;
        m = e > m ? e : m;
        if (i < c->n_levels - 1) hh = (hh + 1) / 2, ww = (ww + 1) / 2;
    }
    int64_t prev = c->channels[c->n_levels - 1];
    for (int i = 0; i < c->n_levels; i++) {
        int lvl = c->n_levels - 1 - i;
        int64_t ch = c->channels[lvl], px = sizes_h[lvl] * sizes_w[lvl];
        for (int j = 0; j <= c->layers; j++) {
            int64_t skip = j < c->layers ? ch : (lvl > 0 ? c->channels[lvl - 1] : c->channels[0]);
            int64_t hin = j == 0 ? prev : ch;
            m = (hin + skip) * px > m ? (hin + skip) * px : m;
        }
        if (lvl > 0) m = ch * sizes_h[lvl - 1] * sizes_w[lvl - 1] > m ? ch * sizes_h[lvl - 1] * sizes_w[lvl - 1] : m;
        prev = ch;
    }
    return m;
}

static ls_status check_inputs(const struct unet *u, const struct unet_inputs *in, const tensor *out) {
    const struct unet_config *c = &u->config;
    const tensor *s = in->sample;
    char a[96], b[96];
    int64_t f = 1 << (c->n_levels - 1);
    if (s->n_dims != 5 || s->shape[1] != c->in_channels || s->shape[3] % f || s->shape[4] % f || s->shape[3] == 0 ||
        s->shape[4] == 0 || s->shape[0] < 1 || s->shape[2] < 1)
        return ls_fail(LS_ERR_SHAPE, "unet: sample %s, expected (B, %d, F, H, W) with H, W multiples of %lld",
                       tensor_shape_str(s, a, sizeof a), c->in_channels, (long long)f);
    if (out->n_dims != 5 || out->shape[0] != s->shape[0] || out->shape[1] != c->out_channels ||
        out->shape[2] != s->shape[2] || out->shape[3] != s->shape[3] || out->shape[4] != s->shape[4])
        return ls_fail(LS_ERR_SHAPE, "unet: output %s, expected (%lld, %d, %lld, %lld, %lld)",
                       tensor_shape_str(out, a, sizeof a), (long long)s->shape[0], c->out_channels,
                       (long long)s->shape[2], (long long)s->shape[3], (long long)s->shape[4]);
    if (in->audio) {
        const tensor *au = in->audio;
        if (au->n_dims != 3 || au->shape[0] != s->shape[0] * s->shape[2] || au->shape[2] != c->cross_dim)
            return ls_fail(LS_ERR_SHAPE, "unet: audio %s, expected (%lld, tokens, %d) for sample %s",
                           tensor_shape_str(au, a, sizeof a), (long long)(s->shape[0] * s->shape[2]), c->cross_dim,
                           tensor_shape_str(s, b, sizeof b));
    }
    if (in->zero_audio_batches < 0 || in->zero_audio_batches > s->shape[0])
        return ls_fail(LS_ERR_INPUT, "unet: zero_audio_batches %d outside [0, %lld]", in->zero_audio_batches,
                       (long long)s->shape[0]);
    if (in->mode != UNET_FULL) {
        const tensor *g = in->cache ? &in->cache->features : NULL;
        if (!g || g->n_dims != 4 || g->shape[0] != s->shape[0] * s->shape[2] || g->shape[1] != c->channels[0] ||
            g->shape[2] != s->shape[3] || g->shape[3] != s->shape[4])
            return ls_fail(LS_ERR_SHAPE, "unet: DeepCache needs a (%lld, %d, %lld, %lld) feature cache",
                           (long long)(s->shape[0] * s->shape[2]), c->channels[0], (long long)s->shape[3],
                           (long long)s->shape[4]);
        if (in->mode == UNET_CACHED && !in->cache->valid)
            return ls_fail(LS_ERR_INPUT, "unet: a cached step before any full step filled the DeepCache features");
    }
    if (!isfinite(in->timestep)) return ls_fail(LS_ERR_INPUT, "unet: timestep is not finite");
    return LS_OK;
}

// time embedding: sinusoid(t) -> linear -> SiLU -> linear, then SiLU once more for every ResNet's projection
static ls_status time_embedding(const struct unet *u, arena *act, float timestep, int64_t batch, dtype dt, tensor *temb_act) {
    const struct unet_config *c = &u->config;
    tensor t, sin, h;
    LS_TRY(arena_tensor(act, temb_act, dt, 2, (int64_t[]){batch, c->time_dim}));
    size_t mark = arena_mark(act);
    LS_TRY(arena_tensor(act, &t, DTYPE_F32, 1, (int64_t[]){batch}));
    if (!act->planning) {
        float ts[64];
        for (int64_t i = 0; i < batch && i < 64; i++) ts[i] = timestep;
        if (batch > 64) return ls_fail(LS_ERR_INPUT, "unet: batch %lld above 64", (long long)batch);
        LS_TRY(tensor_upload(&t, ts));
    }
    LS_TRY(arena_tensor(act, &sin, dt, 2, (int64_t[]){batch, c->channels[0]}));
    LS_TRY(arena_tensor(act, &h, dt, 2, (int64_t[]){batch, c->time_dim}));
    LS_TRY(op_timestep_embedding(&sin, &t, &(struct timestep_params){true, 0.0f, 10000.0f}));
    LS_TRY(op_linear(&h, &sin, &u->time1_w, &u->time1_b));
    LS_TRY(op_silu(&h, &h));
    LS_TRY(op_linear(temb_act, &h, &u->time2_w, &u->time2_b));
    LS_TRY(op_silu(temb_act, temb_act));
    arena_release(act, mark);
    return LS_OK;
}

// conv_norm_out -> SiLU -> conv_out, then frames back to (B, C, F, H, W)
static ls_status head(const struct unet *u, struct flow *fl, const tensor *h, const tensor *out) {
    const struct unet_config *c = &u->config;
    arena *act = fl->ctx.act;
    size_t mark = arena_mark(act);
    tensor n, o;
    LS_TRY(arena_tensor(act, &n, h->dtype, 4, h->shape));
    LS_TRY(arena_tensor(act, &o, h->dtype, 4, (int64_t[]){h->shape[0], c->out_channels, h->shape[2], h->shape[3]}));
    LS_TRY(op_group_norm(&n, h, &u->norm_out_w, &u->norm_out_b,
                         &(struct group_norm_params){c->groups, c->norm_eps, (int)fl->ctx.frames, true}));
    LS_TRY(op_conv2d(&o, &n, &u->conv_out_w, &u->conv_out_b, &CONV2D_SAME(1, 1)));
    LS_TRY(op_frames_to_bcfhw(out, &o, fl->ctx.frames));
    arena_release(act, mark);
    return LS_OK;
}

ls_status unet_forward(const struct unet *u, arena *act, const struct unet_inputs *in, const tensor *out) {
    const struct unet_config *c = &u->config;
    LS_TRY(check_inputs(u, in, out));
    const tensor *s = in->sample;
    int64_t b = s->shape[0], f = s->shape[2], bf = b * f, h = s->shape[3], w = s->shape[4];
    dtype dt = s->dtype;
    size_t mark = arena_mark(act);
    struct flow fl = {.ctx = {.cfg = c, .act = act, .batch = b, .frames = f, .audio = in->audio,
                              .zero_audio_batches = in->zero_audio_batches}};
    model_trace_begin(act, in->mode == UNET_CACHED ? "unet (cached step)" : "unet");
    tensor temb, x0, hcur;
    LS_TRY(time_embedding(u, act, in->timestep, b, dt, &temb));
    fl.ctx.temb_act = &temb;
    size_t buf_bytes = (size_t)(bf * max_elems_per_frame(c, h, w)) * dtype_size(dt);
    LS_TRY(arena_bytes(act, buf_bytes, &fl.buf[0]));
    LS_TRY(arena_bytes(act, buf_bytes, &fl.buf[1]));
    // (B, Cin, F, H, W) -> (B*F, Cin, H, W), then conv_in into the first skip
    LS_TRY(arena_tensor(act, &x0, dt, 4, (int64_t[]){bf, c->in_channels, h, w}));
    LS_TRY(op_bcfhw_to_frames(&x0, s));
    LS_TRY(push_skip(&fl, &hcur, dt, bf, c->channels[0], h, w));
    LS_TRY(op_conv2d(&hcur, &x0, &u->conv_in_w, &u->conv_in_b, &CONV2D_SAME(1, 1)));

    int last = c->n_levels - 1;
    if (in->mode == UNET_CACHED) {
        // DeepCache: only the last up layer runs, on the cached features and the fresh conv_in output
        const struct unet_up *up = &u->up[last];
        int j = c->layers;
        tensor cat, o;
        const tensor *g = &in->cache->features;
        LS_TRY(next_buffer(&fl, &cat, dt, bf, g->shape[1] + hcur.shape[1], h, w));
        LS_TRY(op_concat(&cat, g, &hcur, 1));
        LS_TRY(layer_forward(&fl, &up->resnets[j], c->attention[0] ? &up->attentions[j] : NULL,
                             c->motion ? &up->motions[j] : NULL, &cat, c->channels[0], false, &o));
        LS_TRY(head(u, &fl, &o, out));
        model_trace_end(act);
        arena_release(act, mark);
        return LS_OK;
    }

    for (int i = 0; i < c->n_levels; i++) {
        const struct unet_down *d = &u->down[i];
        model_trace_begin(act, "unet down block");
        for (int j = 0; j < c->layers; j++)
            LS_TRY(layer_forward(&fl, &d->resnets[j], c->attention[i] ? &d->attentions[j] : NULL,
                                 c->motion ? &d->motions[j] : NULL, &hcur, c->channels[i], true, &hcur));
        if (i < last) {
            tensor o;
            LS_TRY(push_skip(&fl, &o, dt, bf, c->channels[i], (hcur.shape[2] + 1) / 2, (hcur.shape[3] + 1) / 2));
            LS_TRY(op_conv2d(&o, &hcur, &d->down_w, &d->down_b, &CONV2D_SAME(2, 1)));
            hcur = o;
        }
        model_trace_end(act);
    }
    model_trace_begin(act, "unet mid block");
    {
        tensor a, bb;
        int64_t top = c->channels[last];
        LS_TRY(next_buffer(&fl, &a, dt, bf, top, hcur.shape[2], hcur.shape[3]));
        LS_TRY(unet_resnet_forward(&u->mid_res0, &fl.ctx, &hcur, &a));
        LS_TRY(next_buffer(&fl, &bb, dt, bf, top, hcur.shape[2], hcur.shape[3]));
        LS_TRY(unet_transformer_forward(&u->mid_attn, &fl.ctx, &a, &bb));
        LS_TRY(next_buffer(&fl, &a, dt, bf, top, hcur.shape[2], hcur.shape[3]));
        LS_TRY(unet_resnet_forward(&u->mid_res1, &fl.ctx, &bb, &a));
        hcur = a;
    }
    model_trace_end(act);
    for (int i = 0; i < c->n_levels; i++) {
        int lvl = last - i;
        const struct unet_up *up = &u->up[i];
        model_trace_begin(act, "unet up block");
        for (int j = 0; j <= c->layers; j++) {
            const tensor *skip = &fl.skips[--fl.n_skips];
            tensor cat;
            if (i == last && j == c->layers && in->mode == UNET_FULL_STORE) // DeepCache's g (unet.md §9)
                LS_TRY(op_copy(&in->cache->features, &hcur));
            LS_TRY(next_buffer(&fl, &cat, dt, bf, hcur.shape[1] + skip->shape[1], hcur.shape[2], hcur.shape[3]));
            LS_TRY(op_concat(&cat, &hcur, skip, 1)); // [h, skip] (h first)
            LS_TRY(layer_forward(&fl, &up->resnets[j], c->attention[lvl] ? &up->attentions[j] : NULL,
                                 c->motion ? &up->motions[j] : NULL, &cat, c->channels[lvl], false, &hcur));
        }
        if (i < last) {
            tensor u2, o;
            LS_TRY(next_buffer(&fl, &u2, dt, bf, hcur.shape[1], 2 * hcur.shape[2], 2 * hcur.shape[3]));
            LS_TRY(op_upsample2x(&u2, &hcur));
            LS_TRY(next_buffer(&fl, &o, dt, bf, hcur.shape[1], 2 * hcur.shape[2], 2 * hcur.shape[3]));
            LS_TRY(op_conv2d(&o, &u2, &up->up_w, &up->up_b, &CONV2D_SAME(1, 1)));
            hcur = o;
        }
        model_trace_end(act);
    }
    if (in->mode == UNET_FULL_STORE) in->cache->valid = !act->planning;
    LS_TRY(head(u, &fl, &hcur, out));
    model_trace_end(act);
    arena_release(act, mark);
    return LS_OK;
}

ls_status unet_plan(const struct unet *u, int64_t batch, int64_t frames, int64_t h, int64_t w, size_t *peak_bytes) {
    const struct unet_config *c = &u->config;
    arena p;
    arena_init_plan(&p);
    tensor s, a, o, g;
    LS_TRY(arena_tensor(&p, &s, DTYPE_F32, 5, (int64_t[]){batch, c->in_channels, frames, h, w}));
    LS_TRY(arena_tensor(&p, &a, DTYPE_F32, 3, (int64_t[]){batch * frames, 50, c->cross_dim}));
    LS_TRY(arena_tensor(&p, &o, DTYPE_F32, 5, (int64_t[]){batch, c->out_channels, frames, h, w}));
    LS_TRY(arena_tensor(&p, &g, DTYPE_F32, 4, (int64_t[]){batch * frames, c->channels[0], h, w}));
    struct unet_cache cache = {g, false};
    size_t io = arena_mark(&p);
    struct unet_inputs in = {&s, 951.0f, &a, 0, UNET_FULL_STORE, &cache};
    LS_TRY(unet_forward(u, &p, &in, &o));
    *peak_bytes = p.peak_bytes - io + 1024;
    return LS_OK;
}
