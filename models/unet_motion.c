// unet_motion.c — LatentSync's motion module (bytedance/LatentSync latentsync/models/motion_module.py,
// VanillaTemporalModule -> TemporalTransformer3DModel -> TemporalTransformerBlock): per-frame GroupNorm
// (eps 1e-6), linear proj_in, two temporal self-attentions over the F frames of each spatial position,
// a GEGLU FF, linear proj_out, + input.
// quirk: the positional table is added to the LayerNorm output (for q, k and v alike), not to the
// residual stream, and it is the checkpoint's stored `pe` buffer (unet.md §3.4-3.5).
#include <math.h>
#include <stdio.h>

#include "unet-impl.h"

void unet_bind_motion(struct weight_binder *b, struct unet_motion *m, int64_t c, int64_t pe_len, const char *prefix) {
    char tt[128], tb[160];
    snprintf(tt, sizeof tt, "%s.temporal_transformer", prefix);
    snprintf(tb, sizeof tb, "%s.transformer_blocks.0", tt);
    weights_bind(b, &m->norm_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm.weight", tt);
    weights_bind(b, &m->norm_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm.bias", tt);
    weights_bind(b, &m->proj_in_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.proj_in.weight", tt);
    weights_bind(b, &m->proj_in_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.proj_in.bias", tt);
    weights_bind(b, &m->proj_out_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.proj_out.weight", tt);
    weights_bind(b, &m->proj_out_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.proj_out.bias", tt);
    for (int k = 0; k < 2; k++) {
        weights_bind(b, &m->q_w[k], WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attention_blocks.%d.to_q.weight", tb, k);
        weights_bind(b, &m->k_w[k], WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attention_blocks.%d.to_k.weight", tb, k);
        weights_bind(b, &m->v_w[k], WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attention_blocks.%d.to_v.weight", tb, k);
        weights_bind(b, &m->out_w[k], WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attention_blocks.%d.to_out.0.weight", tb, k);
        weights_bind(b, &m->out_b[k], WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attention_blocks.%d.to_out.0.bias", tb, k);
        weights_bind(b, &m->pe[k], WEIGHT_PARAM, 3, (int64_t[]){1, pe_len, c}, "%s.attention_blocks.%d.pos_encoder.pe", tb, k);
        weights_bind(b, &m->norms_w[k], WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norms.%d.weight", tb, k);
        weights_bind(b, &m->norms_b[k], WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norms.%d.bias", tb, k);
    }
    weights_bind(b, &m->ff_norm_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.ff_norm.weight", tb);
    weights_bind(b, &m->ff_norm_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.ff_norm.bias", tb);
    unet_bind_ff(b, &m->ff, c, tb);
}

// h (B*F, HW, C) += temporal self-attention k of LayerNorm_k(h) + pe.
static ls_status temporal_attention(const struct unet_motion *m, int k, const struct unet_ctx *c, const tensor *h) {
    arena *act = c->act;
    int64_t bf = h->shape[0], hw = h->shape[1], ch = h->shape[2], b = c->batch, f = c->frames;
    size_t mark = arena_mark(act);
    tensor a, s, q, kk, v, att, a4, s4, pe, rows, o4, back;
    int64_t seq[3] = {b * hw, f, ch};
    LS_TRY(arena_tensor(act, &a, h->dtype, 3, h->shape));
    LS_TRY(arena_tensor(act, &s, h->dtype, 3, seq));
    LS_TRY(arena_tensor(act, &q, h->dtype, 3, seq));
    LS_TRY(arena_tensor(act, &kk, h->dtype, 3, seq));
    LS_TRY(arena_tensor(act, &v, h->dtype, 3, seq));
    LS_TRY(arena_tensor(act, &att, h->dtype, 3, seq));
    LS_TRY(op_layer_norm(&a, h, &m->norms_w[k], &m->norms_b[k], 1e-5f));
    // (B*F, HW, C) -> (B*HW, F, C): sequences over the frames of one position
    LS_TRY(tensor_reshape(&a4, &a, 4, (int64_t[]){b, f, hw, ch}));
    LS_TRY(tensor_reshape(&s4, &s, 4, (int64_t[]){b, hw, f, ch}));
    LS_TRY(op_permute(&s4, &a4, (const int[]){0, 2, 1, 3}));
    LS_TRY(tensor_slice(&pe, &m->pe[k], 1, 0, f)); // (1, F, C)
    LS_TRY(tensor_reshape(&pe, &pe, 4, (int64_t[]){1, 1, f, ch}));
    LS_TRY(tensor_broadcast(&pe, &pe, 4, s4.shape));
    LS_TRY(op_add(&s4, &s4, &pe));
    LS_TRY(op_linear(&q, &s, &m->q_w[k], NULL));
    LS_TRY(op_linear(&kk, &s, &m->k_w[k], NULL));
    LS_TRY(op_linear(&v, &s, &m->v_w[k], NULL));
    int heads = c->cfg->heads;
    LS_TRY(op_attention(&att, &q, &kk, &v, &(struct attention_params){heads, 1.0f / sqrtf((float)(ch / heads))}));
    LS_TRY(op_linear(&s, &att, &m->out_w[k], &m->out_b[k]));
    // back to (B*F, HW, C) as a strided view, added to the residual stream
    LS_TRY(tensor_reshape(&o4, &s, 4, (int64_t[]){b, hw, f, ch}));
    LS_TRY(tensor_permute(&back, &o4, (const int[]){0, 2, 1, 3}));
    LS_TRY(tensor_reshape(&rows, h, 4, (int64_t[]){b, f, hw, ch}));
    LS_TRY(op_add(&rows, &rows, &back));
    (void)bf;
    arena_release(act, mark);
    return LS_OK;
}

ls_status unet_motion_forward(const struct unet_motion *m, const struct unet_ctx *c, const tensor *x, const tensor *out) {
    arena *act = c->act;
    int64_t bf = x->shape[0], ch = x->shape[1], hw = x->shape[2] * x->shape[3];
    if (c->frames > m->pe[0].shape[1])
        return ls_fail(LS_ERR_SHAPE, "unet: %lld frames per batch, the motion modules take at most %lld",
                       (long long)c->frames, (long long)m->pe[0].shape[1]);
    size_t mark = arena_mark(act);
    tensor h, a, normed, x3, a2;
    int64_t ts[3] = {bf, hw, ch};
    LS_TRY(arena_tensor(act, &h, x->dtype, 3, ts));
    LS_TRY(arena_tensor(act, &a, x->dtype, 3, ts));
    size_t mark_in = arena_mark(act);
    LS_TRY(arena_tensor(act, &normed, x->dtype, 4, x->shape));
    LS_TRY(op_group_norm(&normed, x, &m->norm_w, &m->norm_b, &(struct group_norm_params){c->cfg->groups, 1e-6f, 1, false}));
    LS_TRY(tensor_reshape(&x3, &normed, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(op_permute(&a, &x3, (const int[]){0, 2, 1}));
    LS_TRY(op_linear(&h, &a, &m->proj_in_w, &m->proj_in_b));
    arena_release(act, mark_in);
    for (int k = 0; k < 2; k++) LS_TRY(temporal_attention(m, k, c, &h));
    LS_TRY(op_layer_norm(&a, &h, &m->ff_norm_w, &m->ff_norm_b, 1e-5f));
    LS_TRY(tensor_reshape(&a2, &a, 2, (int64_t[]){bf * hw, ch}));
    LS_TRY(unet_ff_forward(&m->ff, act, &a2));
    LS_TRY(op_add(&h, &h, &a));
    LS_TRY(op_linear(&a, &h, &m->proj_out_w, &m->proj_out_b));
    tensor out3, back;
    LS_TRY(tensor_reshape(&out3, out, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(tensor_reshape(&x3, x, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(tensor_permute(&back, &a, (const int[]){0, 2, 1}));
    LS_TRY(op_add(&out3, &x3, &back));
    arena_release(act, mark);
    return LS_OK;
}
