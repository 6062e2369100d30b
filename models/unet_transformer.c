// unet_transformer.c — LatentSync's Transformer3DModel with one BasicTransformerBlock
// (bytedance/LatentSync latentsync/models/attention.py), per frame: GroupNorm (eps 1e-6) -> 1x1 proj_in ->
// tokens -> [LN -> self-attention] -> [LN -> audio cross-attention] -> [LN -> GEGLU FF] -> 1x1 proj_out
// -> + input. Also the GEGLU feed-forward (diffusers FeedForward) the motion modules share.
#include <math.h>
#include <stdio.h>

#include "unet-impl.h"

#define FF_ROW_CHUNK 4096 // rows of the (N, 8C) GEGLU projection alive at once

void unet_bind_ff(struct weight_binder *b, struct unet_ff *ff, int64_t c, const char *prefix) {
    weights_bind(b, &ff->proj_w, WEIGHT_MATRIX, 2, (int64_t[]){8 * c, c}, "%s.ff.net.0.proj.weight", prefix);
    weights_bind(b, &ff->proj_b, WEIGHT_PARAM, 1, (int64_t[]){8 * c}, "%s.ff.net.0.proj.bias", prefix);
    weights_bind(b, &ff->out_w, WEIGHT_MATRIX, 2, (int64_t[]){c, 4 * c}, "%s.ff.net.2.weight", prefix);
    weights_bind(b, &ff->out_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.ff.net.2.bias", prefix);
}

ls_status unet_ff_forward(const struct unet_ff *ff, arena *act, const tensor *a) {
    int64_t n = a->shape[0], c = a->shape[1], chunk = n < FF_ROW_CHUNK ? n : FF_ROW_CHUNK;
    size_t mark = arena_mark(act);
    tensor proj, gated;
    LS_TRY(arena_tensor(act, &proj, a->dtype, 2, (int64_t[]){chunk, 8 * c}));
    LS_TRY(arena_tensor(act, &gated, a->dtype, 2, (int64_t[]){chunk, 4 * c}));
    for (int64_t r = 0; r < n; r += chunk) {
        int64_t rows = n - r < chunk ? n - r : chunk;
        tensor ar, pr, gr;
        LS_TRY(tensor_slice(&ar, a, 0, r, rows));
        LS_TRY(tensor_slice(&pr, &proj, 0, 0, rows));
        LS_TRY(tensor_slice(&gr, &gated, 0, 0, rows));
        LS_TRY(op_linear(&pr, &ar, &ff->proj_w, &ff->proj_b));
        LS_TRY(op_geglu(&gr, &pr));
        LS_TRY(op_linear(&ar, &gr, &ff->out_w, &ff->out_b));
    }
    arena_release(act, mark);
    return LS_OK;
}

void unet_bind_transformer(struct weight_binder *b, struct unet_transformer *t, int64_t c, int64_t cross_dim,
                           const char *prefix) {
    char tb[128];
    snprintf(tb, sizeof tb, "%s.transformer_blocks.0", prefix);
    weights_bind(b, &t->norm_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm.weight", prefix);
    weights_bind(b, &t->norm_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm.bias", prefix);
    weights_bind(b, &t->proj_in_w, WEIGHT_MATRIX, 4, (int64_t[]){c, c, 1, 1}, "%s.proj_in.weight", prefix);
    weights_bind(b, &t->proj_in_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.proj_in.bias", prefix);
    weights_bind(b, &t->proj_out_w, WEIGHT_MATRIX, 4, (int64_t[]){c, c, 1, 1}, "%s.proj_out.weight", prefix);
    weights_bind(b, &t->proj_out_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.proj_out.bias", prefix);
    weights_bind(b, &t->norm1_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm1.weight", tb);
    weights_bind(b, &t->norm1_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm1.bias", tb);
    weights_bind(b, &t->q1_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn1.to_q.weight", tb);
    weights_bind(b, &t->k1_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn1.to_k.weight", tb);
    weights_bind(b, &t->v1_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn1.to_v.weight", tb);
    weights_bind(b, &t->out1_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn1.to_out.0.weight", tb);
    weights_bind(b, &t->out1_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attn1.to_out.0.bias", tb);
    weights_bind(b, &t->norm2_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm2.weight", tb);
    weights_bind(b, &t->norm2_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm2.bias", tb);
    weights_bind(b, &t->q2_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn2.to_q.weight", tb);
    weights_bind(b, &t->k2_w, WEIGHT_MATRIX, 2, (int64_t[]){c, cross_dim}, "%s.attn2.to_k.weight", tb);
    weights_bind(b, &t->v2_w, WEIGHT_MATRIX, 2, (int64_t[]){c, cross_dim}, "%s.attn2.to_v.weight", tb);
    weights_bind(b, &t->out2_w, WEIGHT_MATRIX, 2, (int64_t[]){c, c}, "%s.attn2.to_out.0.weight", tb);
    weights_bind(b, &t->out2_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.attn2.to_out.0.bias", tb);
    weights_bind(b, &t->norm3_w, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm3.weight", tb);
    weights_bind(b, &t->norm3_b, WEIGHT_PARAM, 1, (int64_t[]){c}, "%s.norm3.bias", tb);
    unet_bind_ff(b, &t->ff, c, tb);
}

// h (N, T, C) += to_out(attention(to_q(a), to_k(ctx), to_v(ctx))); a: normed tokens, ctx: a or audio.
static ls_status attention_block(arena *act, int heads, const tensor *h, const tensor *a, const tensor *ctx,
                                 const tensor *q_w, const tensor *k_w, const tensor *v_w, const tensor *out_w,
                                 const tensor *out_b) {
    int64_t n = a->shape[0], t = a->shape[1], c = a->shape[2], tk = ctx->shape[1];
    size_t mark = arena_mark(act);
    tensor q, k, v, att;
    LS_TRY(arena_tensor(act, &q, a->dtype, 3, (int64_t[]){n, t, c}));
    LS_TRY(arena_tensor(act, &k, a->dtype, 3, (int64_t[]){n, tk, c}));
    LS_TRY(arena_tensor(act, &v, a->dtype, 3, (int64_t[]){n, tk, c}));
    LS_TRY(arena_tensor(act, &att, a->dtype, 3, (int64_t[]){n, t, c}));
    LS_TRY(op_linear(&q, a, q_w, NULL));
    LS_TRY(op_linear(&k, ctx, k_w, NULL));
    LS_TRY(op_linear(&v, ctx, v_w, NULL));
    LS_TRY(op_attention(&att, &q, &k, &v, &(struct attention_params){heads, 1.0f / sqrtf((float)(c / heads))}));
    LS_TRY(op_linear(&q, &att, out_w, out_b)); // q's memory is free again
    LS_TRY(op_add(h, h, &q));
    arena_release(act, mark);
    return LS_OK;
}

ls_status unet_transformer_forward(const struct unet_transformer *t, const struct unet_ctx *c, const tensor *x,
                                   const tensor *out) {
    arena *act = c->act;
    int64_t bf = x->shape[0], ch = x->shape[1], hw = x->shape[2] * x->shape[3];
    int heads = c->cfg->heads;
    size_t mark = arena_mark(act);
    tensor h, a, normed, tok, x3, w2;
    int64_t ts[3] = {bf, hw, ch};
    LS_TRY(arena_tensor(act, &h, x->dtype, 3, ts)); // the block's residual stream (B*F, HW, C)
    LS_TRY(arena_tensor(act, &a, x->dtype, 3, ts)); // normed tokens
    size_t mark_in = arena_mark(act);
    LS_TRY(arena_tensor(act, &normed, x->dtype, 4, x->shape));
    LS_TRY(arena_tensor(act, &tok, x->dtype, 3, ts));
    LS_TRY(op_group_norm(&normed, x, &t->norm_w, &t->norm_b, &(struct group_norm_params){c->cfg->groups, 1e-6f, 1, false}));
    LS_TRY(tensor_reshape(&x3, &normed, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(op_permute(&tok, &x3, (const int[]){0, 2, 1})); // (B*F, C, HW) -> (B*F, HW, C)
    LS_TRY(tensor_reshape(&w2, &t->proj_in_w, 2, (int64_t[]){ch, ch})); // 1x1 conv == linear on tokens
    LS_TRY(op_linear(&h, &tok, &w2, &t->proj_in_b));
    arena_release(act, mark_in);

    LS_TRY(op_layer_norm(&a, &h, &t->norm1_w, &t->norm1_b, 1e-5f));
    LS_TRY(attention_block(act, heads, &h, &a, &a, &t->q1_w, &t->k1_w, &t->v1_w, &t->out1_w, &t->out1_b));

    if (c->audio) {
        // quirk: with all-zero audio (CFG's unconditional half) keys and values are zero, the softmax is
        // uniform, and the cross-attention output is exactly to_out's bias (unet.md §3.3)
        int64_t zero_rows = (int64_t)c->zero_audio_batches * c->frames;
        LS_TRY(op_layer_norm(&a, &h, &t->norm2_w, &t->norm2_b, 1e-5f));
        if (zero_rows > 0) {
            tensor hz, bias;
            LS_TRY(tensor_slice(&hz, &h, 0, 0, zero_rows));
            LS_TRY(tensor_reshape(&bias, &t->out2_b, 3, (int64_t[]){1, 1, ch}));
            LS_TRY(tensor_broadcast(&bias, &bias, 3, hz.shape));
            LS_TRY(op_add(&hz, &hz, &bias));
        }
        if (zero_rows < bf) {
            tensor hr, ar, audio;
            LS_TRY(tensor_slice(&hr, &h, 0, zero_rows, bf - zero_rows));
            LS_TRY(tensor_slice(&ar, &a, 0, zero_rows, bf - zero_rows));
            LS_TRY(tensor_slice(&audio, c->audio, 0, zero_rows, bf - zero_rows));
            LS_TRY(attention_block(act, heads, &hr, &ar, &audio, &t->q2_w, &t->k2_w, &t->v2_w, &t->out2_w, &t->out2_b));
        }
    }

    tensor a2, h2;
    LS_TRY(op_layer_norm(&a, &h, &t->norm3_w, &t->norm3_b, 1e-5f));
    LS_TRY(tensor_reshape(&a2, &a, 2, (int64_t[]){bf * hw, ch}));
    LS_TRY(unet_ff_forward(&t->ff, act, &a2));
    LS_TRY(op_add(&h, &h, &a));

    // proj_out on tokens, then back to (B*F, C, H, W) + the input
    LS_TRY(tensor_reshape(&w2, &t->proj_out_w, 2, (int64_t[]){ch, ch}));
    LS_TRY(op_linear(&a, &h, &w2, &t->proj_out_b));
    tensor out3, back;
    LS_TRY(tensor_reshape(&out3, out, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(tensor_reshape(&x3, x, 3, (int64_t[]){bf, ch, hw}));
    LS_TRY(tensor_permute(&back, &a, (const int[]){0, 2, 1})); // (B*F, HW, C) viewed as (B*F, C, HW)
    LS_TRY(op_add(&out3, &x3, &back));
    (void)h2;
    arena_release(act, mark);
    return LS_OK;
}
