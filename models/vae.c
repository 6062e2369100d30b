// vae.c — the SD VAE (huggingface/diffusers v0.32.2 AutoencoderKL: models/autoencoders/vae.py Encoder and
// Decoder, unet_2d_blocks.py DownEncoderBlock2D/UpDecoderBlock2D/UNetMidBlock2D, resnet.py ResnetBlock2D,
// attention_processor.py single-head mid-block attention) for the sd-vae-ft-mse configuration.
// Activations ping-pong between two buffers sized for the largest block output; ResNet temporaries sit
// above them and are released per block, so the arena peak is about four of the largest activations.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models.h"

// --- config and weights ------------------------------------------------------------------------------------

ls_status vae_config_from_weights(struct vae_config *cfg, const struct weight_source *src) {
    tensor t;
    char name[128], s[96];
    memset(cfg, 0, sizeof *cfg);
    cfg->groups = 32;
    cfg->eps = 1e-6f;
    cfg->scaling = 0.18215f;
    if (!weights_peek(src, "encoder.conv_in.weight", &t) || t.n_dims != 4 || t.shape[1] != 3)
        return ls_fail(LS_ERR_INPUT, "%s: not an SD VAE: tensor 'encoder.conv_in.weight' missing or not (C, 3, 3, 3)",
                       src->label);
    for (int i = 0;; i++) {
        snprintf(name, sizeof name, "encoder.down_blocks.%d.resnets.0.conv2.weight", i);
        if (!weights_peek(src, name, &t)) break;
        if (i == VAE_MAX_LEVELS) return ls_fail(LS_ERR_INPUT, "%s: more than %d VAE levels", src->label, VAE_MAX_LEVELS);
        if (t.n_dims != 4 || t.shape[0] % cfg->groups)
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': shape %s, expected (C, C, 3, 3) with C a multiple of %d",
                           src->label, name, tensor_shape_str(&t, s, sizeof s), cfg->groups);
        cfg->channels[i] = (int)t.shape[0];
        cfg->n_levels = i + 1;
    }
    if (cfg->n_levels == 0) return ls_fail(LS_ERR_INPUT, "%s: not an SD VAE: no encoder down blocks", src->label);
    for (int j = 0;; j++) {
        snprintf(name, sizeof name, "encoder.down_blocks.0.resnets.%d.conv1.weight", j);
        if (!weights_peek(src, name, &t)) break;
        if (j == VAE_MAX_LAYERS) return ls_fail(LS_ERR_INPUT, "%s: more than %d ResNets per block", src->label, VAE_MAX_LAYERS);
        cfg->layers = j + 1;
    }
    if (!weights_peek(src, "quant_conv.weight", &t) || t.n_dims != 4 || t.shape[0] % 2 || t.shape[0] != t.shape[1])
        return ls_fail(LS_ERR_INPUT, "%s: not an SD VAE: tensor 'quant_conv.weight' missing or not (2L, 2L, 1, 1)",
                       src->label);
    cfg->latent_channels = (int)t.shape[0] / 2;
    return LS_OK;
}

static void bind_resnet(struct weight_binder *b, struct vae_resnet *r, int64_t cin, int64_t cout, const char *prefix) {
    weights_bind(b, &r->norm1_w, WEIGHT_PARAM, 1, (int64_t[]){cin}, "%s.norm1.weight", prefix);
    weights_bind(b, &r->norm1_b, WEIGHT_PARAM, 1, (int64_t[]){cin}, "%s.norm1.bias", prefix);
    weights_bind(b, &r->conv1_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cin, 3, 3}, "%s.conv1.weight", prefix);
    weights_bind(b, &r->conv1_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv1.bias", prefix);
    weights_bind(b, &r->norm2_w, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.norm2.weight", prefix);
    weights_bind(b, &r->norm2_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.norm2.bias", prefix);
    weights_bind(b, &r->conv2_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cout, 3, 3}, "%s.conv2.weight", prefix);
    weights_bind(b, &r->conv2_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv2.bias", prefix);
    if (cin != cout) {
        weights_bind(b, &r->shortcut_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cin, 1, 1}, "%s.conv_shortcut.weight", prefix);
        weights_bind(b, &r->shortcut_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv_shortcut.bias", prefix);
    }
}

static void bind_mid(struct weight_binder *b, struct vae_mid *m, int64_t c, const char *prefix, bool legacy) {
    char p[96];
    snprintf(p, sizeof p, "%s.resnets.0", prefix);
    bind_resnet(b, &m->res0, c, c, p);
    snprintf(p, sizeof p, "%s.resnets.1", prefix);
    bind_resnet(b, &m->res1, c, c, p);
    struct vae_attention *a = &m->attn;
    const char *q = legacy ? "query" : "to_q", *k = legacy ? "key" : "to_k", *v = legacy ? "value" : "to_v";
    const char *o = legacy ? "proj_attn" : "to_out.0";
    weights_bind(b, &a->norm_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.group_norm.weight", prefix);
    weights_bind(b, &a->norm_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.group_norm.bias", prefix);
    weights_bind(b, &a->q_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attentions.0.%s.weight", prefix, q);
    weights_bind(b, &a->q_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.%s.bias", prefix, q);
    weights_bind(b, &a->k_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attentions.0.%s.weight", prefix, k);
    weights_bind(b, &a->k_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.%s.bias", prefix, k);
    weights_bind(b, &a->v_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attentions.0.%s.weight", prefix, v);
    weights_bind(b, &a->v_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.%s.bias", prefix, v);
    weights_bind(b, &a->out_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attentions.0.%s.weight", prefix, o);
    weights_bind(b, &a->out_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attentions.0.%s.bias", prefix, o);
}

static void bind_vae(struct weight_binder *b, void *model) {
    struct vae *v = model;
    const struct vae_config *c = &v->config;
    int64_t L = c->latent_channels, top = c->channels[c->n_levels - 1];
    char p[96];
    weights_bind(b, &v->enc_conv_in_w, WEIGHT_MATRIX, 4, (int64_t[]){c->channels[0], 3, 3, 3}, "encoder.conv_in.weight");
    weights_bind(b, &v->enc_conv_in_b, WEIGHT_PARAM, 1, (int64_t[]){c->channels[0]}, "encoder.conv_in.bias");
    for (int i = 0; i < c->n_levels; i++) {
        int64_t cout = c->channels[i], cin = i ? c->channels[i - 1] : c->channels[0];
        for (int j = 0; j < c->layers; j++) {
            snprintf(p, sizeof p, "encoder.down_blocks.%d.resnets.%d", i, j);
            bind_resnet(b, &v->enc_res[i][j], j ? cout : cin, cout, p);
        }
        if (i < c->n_levels - 1) {
            weights_bind(b, &v->enc_down_w[i], WEIGHT_MATRIX, 4, (int64_t[]){cout, cout, 3, 3},
                         "encoder.down_blocks.%d.downsamplers.0.conv.weight", i);
            weights_bind(b, &v->enc_down_b[i], WEIGHT_PARAM, 1, (int64_t[]){cout},
                         "encoder.down_blocks.%d.downsamplers.0.conv.bias", i);
        }
    }
    bind_mid(b, &v->enc_mid, top, "encoder.mid_block", v->legacy_attention_names);
    weights_bind(b, &v->enc_norm_out_w, WEIGHT_PARAM, 1, (int64_t[]){top}, "encoder.conv_norm_out.weight");
    weights_bind(b, &v->enc_norm_out_b, WEIGHT_PARAM, 1, (int64_t[]){top}, "encoder.conv_norm_out.bias");
    weights_bind(b, &v->enc_conv_out_w, WEIGHT_MATRIX, 4, (int64_t[]){2 * L, top, 3, 3}, "encoder.conv_out.weight");
    weights_bind(b, &v->enc_conv_out_b, WEIGHT_PARAM, 1, (int64_t[]){2 * L}, "encoder.conv_out.bias");
    weights_bind(b, &v->quant_conv_w, WEIGHT_MATRIX, 4, (int64_t[]){2 * L, 2 * L, 1, 1}, "quant_conv.weight");
    weights_bind(b, &v->quant_conv_b, WEIGHT_PARAM, 1, (int64_t[]){2 * L}, "quant_conv.bias");

    weights_bind(b, &v->post_quant_conv_w, WEIGHT_MATRIX, 4, (int64_t[]){L, L, 1, 1}, "post_quant_conv.weight");
    weights_bind(b, &v->post_quant_conv_b, WEIGHT_PARAM, 1, (int64_t[]){L}, "post_quant_conv.bias");
    weights_bind(b, &v->dec_conv_in_w, WEIGHT_MATRIX, 4, (int64_t[]){top, L, 3, 3}, "decoder.conv_in.weight");
    weights_bind(b, &v->dec_conv_in_b, WEIGHT_PARAM, 1, (int64_t[]){top}, "decoder.conv_in.bias");
    bind_mid(b, &v->dec_mid, top, "decoder.mid_block", v->legacy_attention_names);
    int64_t prev = top;
    for (int i = 0; i < c->n_levels; i++) { // up block i works at channels[n_levels - 1 - i]
        int64_t cout = c->channels[c->n_levels - 1 - i];
        for (int j = 0; j <= c->layers; j++) {
            snprintf(p, sizeof p, "decoder.up_blocks.%d.resnets.%d", i, j);
            bind_resnet(b, &v->dec_res[i][j], j ? cout : prev, cout, p);
        }
        if (i < c->n_levels - 1) {
            weights_bind(b, &v->dec_up_w[i], WEIGHT_MATRIX, 4, (int64_t[]){cout, cout, 3, 3},
                         "decoder.up_blocks.%d.upsamplers.0.conv.weight", i);
            weights_bind(b, &v->dec_up_b[i], WEIGHT_PARAM, 1, (int64_t[]){cout},
                         "decoder.up_blocks.%d.upsamplers.0.conv.bias", i);
        }
        prev = cout;
    }
    int64_t bottom = c->channels[0];
    weights_bind(b, &v->dec_norm_out_w, WEIGHT_PARAM, 1, (int64_t[]){bottom}, "decoder.conv_norm_out.weight");
    weights_bind(b, &v->dec_norm_out_b, WEIGHT_PARAM, 1, (int64_t[]){bottom}, "decoder.conv_norm_out.bias");
    weights_bind(b, &v->dec_conv_out_w, WEIGHT_MATRIX, 4, (int64_t[]){3, bottom, 3, 3}, "decoder.conv_out.weight");
    weights_bind(b, &v->dec_conv_out_b, WEIGHT_PARAM, 1, (int64_t[]){3}, "decoder.conv_out.bias");
}

ls_status vae_load(struct vae *v, const struct weight_source *src, struct backend *be) {
    memset(v, 0, sizeof *v);
    LS_TRY(vae_config_from_weights(&v->config, src));
    tensor t;
    // quirk: early diffusers files name the mid-block attention query/key/value/proj_attn (vae-whisper.md §1.6)
    v->legacy_attention_names = !weights_peek(src, "encoder.mid_block.attentions.0.to_q.weight", &t) &&
                                weights_peek(src, "encoder.mid_block.attentions.0.query.weight", &t);
    return weights_load(&v->store, src, be, bind_vae, v, NULL);
}

struct vae_config vae_config_sd(void) {
    return (struct vae_config){.n_levels = 4, .channels = {128, 256, 512, 512}, .layers = 2, .latent_channels = 4,
                               .groups = 32, .eps = 1e-6f, .scaling = 0.18215f};
}

ls_status vae_init_random(struct vae *v, const struct vae_config *cfg, struct backend *be, dtype matrix_dt, uint64_t seed) {
    memset(v, 0, sizeof *v);
    v->config = *cfg;
    return weights_init_random(&v->store, be, bind_vae, v, matrix_dt, seed);
}

void vae_free(struct vae *v) {
    if (!v) return;
    weights_free(&v->store);
}

// --- forward -------------------------------------------------------------------------------------------------

// Two activation buffers; each block reads one and writes the other.
struct pingpong {
    void *buf[2];
    int cur;
};

static ls_status pp_init(struct pingpong *pp, arena *act, size_t n_bytes) {
    LS_TRY(arena_bytes(act, n_bytes, &pp->buf[0]));
    LS_TRY(arena_bytes(act, n_bytes, &pp->buf[1]));
    pp->cur = 0;
    return LS_OK;
}

// The next output tensor: in the buffer not holding the current activation.
static ls_status pp_next(struct pingpong *pp, const arena *act, tensor *t, dtype dt, int64_t n, int64_t c, int64_t h,
                         int64_t w) {
    pp->cur ^= 1;
    return tensor_wrap(t, act->backend, dt, 4, (int64_t[]){n, c, h, w}, pp->buf[pp->cur]);
}

static ls_status resnet_forward(const struct vae_resnet *r, const struct vae_config *cfg, arena *act,
                                const tensor *x, const tensor *out) {
    int64_t n = x->shape[0], cin = x->shape[1], h = x->shape[2], w = x->shape[3], cout = out->shape[1];
    struct group_norm_params gn = {cfg->groups, cfg->eps, 1, true};
    size_t mark = arena_mark(act);
    tensor t1, t2;
    LS_TRY(arena_tensor(act, &t1, x->dtype, 4, (int64_t[]){n, cin, h, w}));
    LS_TRY(arena_tensor(act, &t2, x->dtype, 4, (int64_t[]){n, cout, h, w}));
    LS_TRY(op_group_norm(&t1, x, &r->norm1_w, &r->norm1_b, &gn));
    LS_TRY(op_conv2d(&t2, &t1, &r->conv1_w, &r->conv1_b, &CONV2D_SAME(1, 1)));
    LS_TRY(op_group_norm(&t2, &t2, &r->norm2_w, &r->norm2_b, &gn));
    LS_TRY(op_conv2d(out, &t2, &r->conv2_w, &r->conv2_b, &CONV2D_SAME(1, 1)));
    if (cin != cout) {
        tensor sc; // reuse t1's memory: cin >= cout or a fresh tensor
        LS_TRY(arena_tensor(act, &sc, x->dtype, 4, (int64_t[]){n, cout, h, w}));
        LS_TRY(op_conv2d(&sc, x, &r->shortcut_w, &r->shortcut_b, &CONV2D_SAME(1, 0)));
        LS_TRY(op_add(out, out, &sc));
    } else {
        LS_TRY(op_add(out, out, x));
    }
    arena_release(act, mark);
    return LS_OK;
}

static ls_status attention_forward(const struct vae_attention *a, const struct vae_config *cfg, arena *act,
                                   const tensor *x, const tensor *out) {
    int64_t n = x->shape[0], c = x->shape[1], hw = x->shape[2] * x->shape[3];
    size_t mark = arena_mark(act);
    tensor normed, tok, q, k, v, att, x3, o3;
    int64_t ts[3] = {n, hw, c};
    LS_TRY(arena_tensor(act, &normed, x->dtype, 4, x->shape));
    LS_TRY(arena_tensor(act, &tok, x->dtype, 3, ts));
    LS_TRY(arena_tensor(act, &q, x->dtype, 3, ts));
    LS_TRY(arena_tensor(act, &k, x->dtype, 3, ts));
    LS_TRY(arena_tensor(act, &v, x->dtype, 3, ts));
    LS_TRY(arena_tensor(act, &att, x->dtype, 3, ts));
    LS_TRY(op_group_norm(&normed, x, &a->norm_w, &a->norm_b, &(struct group_norm_params){cfg->groups, cfg->eps, 1, false}));
    LS_TRY(tensor_reshape(&x3, &normed, 3, (int64_t[]){n, c, hw}));
    LS_TRY(op_permute(&tok, &x3, (const int[]){0, 2, 1})); // (N, C, HW) -> (N, HW, C)
    LS_TRY(op_linear(&q, &tok, &a->q_w, &a->q_b));
    LS_TRY(op_linear(&k, &tok, &a->k_w, &a->k_b));
    LS_TRY(op_linear(&v, &tok, &a->v_w, &a->v_b));
    LS_TRY(op_attention(&att, &q, &k, &v, &(struct attention_params){1, 1.0f / sqrtf((float)c)}));
    LS_TRY(op_linear(&tok, &att, &a->out_w, &a->out_b));
    LS_TRY(tensor_reshape(&o3, out, 3, (int64_t[]){n, c, hw}));
    LS_TRY(op_permute(&o3, &tok, (const int[]){0, 2, 1}));
    LS_TRY(op_add(out, out, x)); // residual connection, rescale factor 1
    arena_release(act, mark);
    return LS_OK;
}

static ls_status mid_forward(const struct vae_mid *m, const struct vae_config *cfg, arena *act, struct pingpong *pp,
                             tensor *h) {
    tensor o;
    LS_TRY(pp_next(pp, act, &o, h->dtype, h->shape[0], h->shape[1], h->shape[2], h->shape[3]));
    LS_TRY(resnet_forward(&m->res0, cfg, act, h, &o));
    *h = o;
    LS_TRY(pp_next(pp, act, &o, h->dtype, h->shape[0], h->shape[1], h->shape[2], h->shape[3]));
    LS_TRY(attention_forward(&m->attn, cfg, act, h, &o));
    *h = o;
    LS_TRY(pp_next(pp, act, &o, h->dtype, h->shape[0], h->shape[1], h->shape[2], h->shape[3]));
    LS_TRY(resnet_forward(&m->res1, cfg, act, h, &o));
    *h = o;
    return LS_OK;
}

// Largest block output (elements per image) over the network at input h x w.
static int64_t encoder_max_elems(const struct vae_config *c, int64_t h, int64_t w) {
    int64_t m = 0;
    for (int i = 0; i < c->n_levels; i++) {
        int64_t e = (int64_t)c->channels[i] * h * w;
        if (i == 0 && e < 3 * h * w) e = 3 * h * w;
        m = e > m ? e : m;
        if (i < c->n_levels - 1) h = (h + 1) / 2, w = (w + 1) / 2;
    }
    return m;
}

ls_status vae_encode(const struct vae *v, arena *act, const tensor *images, const tensor *moments) {
    const struct vae_config *c = &v->config;
    char s1[96], s2[96];
    int64_t n = images->shape[0], h = images->shape[2], w = images->shape[3], f = 1 << (c->n_levels - 1);
    if (images->n_dims != 4 || images->shape[1] != 3 || h % f || w % f || h == 0 || w == 0)
        return ls_fail(LS_ERR_SHAPE, "vae: images %s, expected (N, 3, H, W) with H, W multiples of %lld",
                       tensor_shape_str(images, s1, sizeof s1), (long long)f);
    if (moments->n_dims != 4 || moments->shape[0] != n || moments->shape[1] != 2 * c->latent_channels ||
        moments->shape[2] != h / f || moments->shape[3] != w / f)
        return ls_fail(LS_ERR_SHAPE, "vae: moments %s, expected (%lld, %d, %lld, %lld)",
                       tensor_shape_str(moments, s2, sizeof s2), (long long)n, 2 * c->latent_channels,
                       (long long)(h / f), (long long)(w / f));
    dtype dt = images->dtype;
    size_t mark = arena_mark(act);
    struct pingpong pp;
    LS_TRY(pp_init(&pp, act, (size_t)(n * encoder_max_elems(c, h, w)) * dtype_size(dt)));
    tensor x, o;
    model_trace_begin(act, "vae encode");
    LS_TRY(pp_next(&pp, act, &x, dt, n, c->channels[0], h, w));
    LS_TRY(op_conv2d(&x, images, &v->enc_conv_in_w, &v->enc_conv_in_b, &CONV2D_SAME(1, 1)));
    for (int i = 0; i < c->n_levels; i++) {
        for (int j = 0; j < c->layers; j++) {
            LS_TRY(pp_next(&pp, act, &o, dt, n, c->channels[i], h, w));
            LS_TRY(resnet_forward(&v->enc_res[i][j], c, act, &x, &o));
            x = o;
        }
        if (i < c->n_levels - 1) {
            // quirk: pad right and bottom by one, then a 3x3 stride-2 conv without padding (vae-whisper.md §1.4)
            struct conv2d_params p = {2, 2, 0, 1, 0, 1, 1, 1, 1};
            h /= 2, w /= 2;
            LS_TRY(pp_next(&pp, act, &o, dt, n, c->channels[i], h, w));
            LS_TRY(op_conv2d(&o, &x, &v->enc_down_w[i], &v->enc_down_b[i], &p));
            x = o;
        }
    }
    LS_TRY(mid_forward(&v->enc_mid, c, act, &pp, &x));
    int64_t top = c->channels[c->n_levels - 1], L2 = 2 * c->latent_channels;
    tensor t, y;
    LS_TRY(arena_tensor(act, &t, dt, 4, x.shape));
    LS_TRY(op_group_norm(&t, &x, &v->enc_norm_out_w, &v->enc_norm_out_b,
                         &(struct group_norm_params){c->groups, c->eps, 1, true}));
    LS_TRY(arena_tensor(act, &y, dt, 4, (int64_t[]){n, L2, h, w}));
    LS_TRY(op_conv2d(&y, &t, &v->enc_conv_out_w, &v->enc_conv_out_b, &CONV2D_SAME(1, 1)));
    LS_TRY(op_conv2d(moments, &y, &v->quant_conv_w, &v->quant_conv_b, &CONV2D_SAME(1, 0)));
    (void)top;
    model_trace_end(act);
    arena_release(act, mark);
    return LS_OK;
}

static int64_t decoder_max_elems(const struct vae_config *c, int64_t h, int64_t w) {
    int64_t m = (int64_t)c->channels[c->n_levels - 1] * h * w;
    for (int i = 0; i < c->n_levels; i++) {
        int64_t ch = c->channels[c->n_levels - 1 - i], prev = i ? c->channels[c->n_levels - i] : ch;
        int64_t e = (ch > prev ? ch : prev) * h * w;
        m = e > m ? e : m;
        if (i < c->n_levels - 1) {
            h *= 2, w *= 2;
            e = ch * h * w; // upsampled, before the conv
            m = e > m ? e : m;
        }
    }
    return m > 3 * h * w ? m : 3 * h * w;
}

ls_status vae_decode(const struct vae *v, arena *act, const tensor *latents, const tensor *images) {
    const struct vae_config *c = &v->config;
    char s1[96], s2[96];
    int64_t n = latents->shape[0], h = latents->shape[2], w = latents->shape[3], f = 1 << (c->n_levels - 1);
    if (latents->n_dims != 4 || latents->shape[1] != c->latent_channels || h == 0 || w == 0)
        return ls_fail(LS_ERR_SHAPE, "vae: latents %s, expected (N, %d, h, w)", tensor_shape_str(latents, s1, sizeof s1),
                       c->latent_channels);
    if (images->n_dims != 4 || images->shape[0] != n || images->shape[1] != 3 || images->shape[2] != h * f ||
        images->shape[3] != w * f)
        return ls_fail(LS_ERR_SHAPE, "vae: images %s, expected (%lld, 3, %lld, %lld)",
                       tensor_shape_str(images, s2, sizeof s2), (long long)n, (long long)(h * f), (long long)(w * f));
    dtype dt = latents->dtype;
    size_t mark = arena_mark(act);
    int64_t top = c->channels[c->n_levels - 1];
    struct pingpong pp;
    LS_TRY(pp_init(&pp, act, (size_t)(n * decoder_max_elems(c, h, w)) * dtype_size(dt)));
    tensor z, x, o;
    model_trace_begin(act, "vae decode");
    LS_TRY(arena_tensor(act, &z, dt, 4, latents->shape));
    LS_TRY(op_conv2d(&z, latents, &v->post_quant_conv_w, &v->post_quant_conv_b, &CONV2D_SAME(1, 0)));
    LS_TRY(pp_next(&pp, act, &x, dt, n, top, h, w));
    LS_TRY(op_conv2d(&x, &z, &v->dec_conv_in_w, &v->dec_conv_in_b, &CONV2D_SAME(1, 1)));
    LS_TRY(mid_forward(&v->dec_mid, c, act, &pp, &x));
    for (int i = 0; i < c->n_levels; i++) {
        int64_t ch = c->channels[c->n_levels - 1 - i];
        for (int j = 0; j <= c->layers; j++) {
            LS_TRY(pp_next(&pp, act, &o, dt, n, ch, h, w));
            LS_TRY(resnet_forward(&v->dec_res[i][j], c, act, &x, &o));
            x = o;
        }
        if (i < c->n_levels - 1) {
            h *= 2, w *= 2;
            LS_TRY(pp_next(&pp, act, &o, dt, n, ch, h, w));
            LS_TRY(op_upsample2x(&o, &x));
            x = o;
            LS_TRY(pp_next(&pp, act, &o, dt, n, ch, h, w));
            LS_TRY(op_conv2d(&o, &x, &v->dec_up_w[i], &v->dec_up_b[i], &CONV2D_SAME(1, 1)));
            x = o;
        }
    }
    LS_TRY(pp_next(&pp, act, &o, dt, n, c->channels[0], h, w));
    LS_TRY(op_group_norm(&o, &x, &v->dec_norm_out_w, &v->dec_norm_out_b,
                         &(struct group_norm_params){c->groups, c->eps, 1, true}));
    LS_TRY(op_conv2d(images, &o, &v->dec_conv_out_w, &v->dec_conv_out_b, &CONV2D_SAME(1, 1)));
    model_trace_end(act);
    arena_release(act, mark);
    return LS_OK;
}

static ls_status plan(const struct vae *v, bool encode, int64_t n, int64_t h, int64_t w, size_t *peak_bytes) {
    const struct vae_config *c = &v->config;
    int64_t f = 1 << (c->n_levels - 1);
    arena p;
    arena_init_plan(&p);
    tensor in, out;
    if (encode) {
        LS_TRY(arena_tensor(&p, &in, DTYPE_F32, 4, (int64_t[]){n, 3, h, w}));
        LS_TRY(arena_tensor(&p, &out, DTYPE_F32, 4, (int64_t[]){n, 2 * c->latent_channels, h / f, w / f}));
    } else {
        LS_TRY(arena_tensor(&p, &in, DTYPE_F32, 4, (int64_t[]){n, c->latent_channels, h, w}));
        LS_TRY(arena_tensor(&p, &out, DTYPE_F32, 4, (int64_t[]){n, 3, h * f, w * f}));
    }
    size_t io = arena_mark(&p);
    LS_TRY(encode ? vae_encode(v, &p, &in, &out) : vae_decode(v, &p, &in, &out));
    *peak_bytes = p.peak_bytes - io + 512;
    return LS_OK;
}

ls_status vae_plan_encode(const struct vae *v, int64_t n, int64_t h, int64_t w, size_t *peak_bytes) {
    return plan(v, true, n, h, w, peak_bytes);
}

ls_status vae_plan_decode(const struct vae *v, int64_t n, int64_t h, int64_t w, size_t *peak_bytes) {
    return plan(v, false, n, h, w, peak_bytes);
}

void vae_posterior(const struct vae_config *cfg, const float *moments, int64_t n, int64_t h, int64_t w,
                   const float *noise, float *latents, float *mean_out, float *logvar_out) {
    int64_t L = cfg->latent_channels, plane = h * w;
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < L; c++)
            for (int64_t p = 0; p < plane; p++) {
                float mean = moments[(i * 2 * L + c) * plane + p];
                float logvar = moments[(i * 2 * L + L + c) * plane + p];
                logvar = logvar < -30.0f ? -30.0f : logvar > 20.0f ? 20.0f : logvar;
                int64_t o = (i * L + c) * plane + p;
                if (mean_out) mean_out[o] = mean;
                if (logvar_out) logvar_out[o] = logvar;
                if (latents) {
                    float z = noise ? mean + expf(0.5f * logvar) * noise[o] : mean;
                    latents[o] = z * cfg->scaling;
                }
            }
}
