// whisper.c — the Whisper audio encoder as LatentSync uses it (bytedance/LatentSync
// latentsync/whisper/whisper/model.py AudioEncoder.forward with include_embeddings): conv1 + GELU,
// conv2 (stride 2) + GELU, + positional table, pre-LN residual blocks; the output stacks the block input
// and every block's output per position (ln_post is computed by the original but unused: skipped here).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models.h"

static const char *const unused_prefixes[] = {"decoder.", "encoder.ln_post.", "dims.", NULL};

ls_status whisper_config_from_weights(struct whisper_config *cfg, const struct weight_source *src) {
    tensor t;
    char s[96];
    if (!weights_peek(src, "encoder.conv1.weight", &t))
        return ls_fail(LS_ERR_INPUT, "%s: not a Whisper model: tensor 'encoder.conv1.weight' missing", src->label);
    if (t.n_dims != 3 || t.shape[2] != 3 || t.shape[0] % 64 || t.shape[0] < 64)
        return ls_fail(LS_ERR_INPUT, "%s: tensor 'encoder.conv1.weight': shape %s, expected (C, n_mels, 3) with C a multiple of 64",
                       src->label, tensor_shape_str(&t, s, sizeof s));
    cfg->n_state = (int)t.shape[0];
    cfg->n_mels = (int)t.shape[1];
    cfg->n_head = cfg->n_state / 64; // every Whisper size uses 64-wide heads
    cfg->n_ctx = 1500;
    if (weights_peek(src, "encoder.positional_embedding", &t)) {
        if (t.n_dims != 2 || t.shape[1] != cfg->n_state || t.shape[0] < 1 || t.shape[0] > 100000)
            return ls_fail(LS_ERR_INPUT, "%s: tensor 'encoder.positional_embedding': shape %s, expected (n_ctx, %d)",
                           src->label, tensor_shape_str(&t, s, sizeof s), cfg->n_state);
        cfg->n_ctx = (int)t.shape[0];
    }
    int n = 0;
    char name[64];
    for (;; n++) {
        snprintf(name, sizeof name, "encoder.blocks.%d.attn_ln.weight", n);
        if (!weights_peek(src, name, &t)) break;
        if (n == WHISPER_MAX_LAYERS)
            return ls_fail(LS_ERR_INPUT, "%s: more than %d encoder blocks", src->label, WHISPER_MAX_LAYERS);
    }
    if (n == 0) return ls_fail(LS_ERR_INPUT, "%s: not a Whisper model: no 'encoder.blocks.0.*' tensors", src->label);
    cfg->n_layer = n;
    return LS_OK;
}

static void bind_whisper(struct weight_binder *b, void *model) {
    struct whisper *w = model;
    const struct whisper_config *c = &w->config;
    int64_t C = c->n_state, M = 4 * C;
    weights_bind(b, &w->conv1_w, WEIGHT_MATRIX, 3, (int64_t[]){C, c->n_mels, 3}, "encoder.conv1.weight");
    weights_bind(b, &w->conv1_b, WEIGHT_PARAM, 1, (int64_t[]){C}, "encoder.conv1.bias");
    weights_bind(b, &w->conv2_w, WEIGHT_MATRIX, 3, (int64_t[]){C, C, 3}, "encoder.conv2.weight");
    weights_bind(b, &w->conv2_b, WEIGHT_PARAM, 1, (int64_t[]){C}, "encoder.conv2.bias");
    weights_bind(b, &w->pos_emb, WEIGHT_PARAM, 2, (int64_t[]){c->n_ctx, C}, "encoder.positional_embedding");
    for (int l = 0; l < c->n_layer; l++) {
        struct whisper_block *k = &w->blocks[l];
#define P "encoder.blocks.%d."
        weights_bind(b, &k->attn_ln_w, WEIGHT_PARAM, 1, (int64_t[]){C}, P "attn_ln.weight", l);
        weights_bind(b, &k->attn_ln_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "attn_ln.bias", l);
        weights_bind(b, &k->query_w, WEIGHT_MATRIX, 2, (int64_t[]){C, C}, P "attn.query.weight", l);
        weights_bind(b, &k->query_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "attn.query.bias", l);
        weights_bind(b, &k->key_w, WEIGHT_MATRIX, 2, (int64_t[]){C, C}, P "attn.key.weight", l);
        weights_bind(b, &k->value_w, WEIGHT_MATRIX, 2, (int64_t[]){C, C}, P "attn.value.weight", l);
        weights_bind(b, &k->value_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "attn.value.bias", l);
        weights_bind(b, &k->out_w, WEIGHT_MATRIX, 2, (int64_t[]){C, C}, P "attn.out.weight", l);
        weights_bind(b, &k->out_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "attn.out.bias", l);
        weights_bind(b, &k->mlp_ln_w, WEIGHT_PARAM, 1, (int64_t[]){C}, P "mlp_ln.weight", l);
        weights_bind(b, &k->mlp_ln_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "mlp_ln.bias", l);
        weights_bind(b, &k->mlp0_w, WEIGHT_MATRIX, 2, (int64_t[]){M, C}, P "mlp.0.weight", l);
        weights_bind(b, &k->mlp0_b, WEIGHT_PARAM, 1, (int64_t[]){M}, P "mlp.0.bias", l);
        weights_bind(b, &k->mlp2_w, WEIGHT_MATRIX, 2, (int64_t[]){C, M}, P "mlp.2.weight", l);
        weights_bind(b, &k->mlp2_b, WEIGHT_PARAM, 1, (int64_t[]){C}, P "mlp.2.bias", l);
#undef P
    }
}

ls_status whisper_load(struct whisper *w, const struct weight_source *src, struct backend *be) {
    memset(w, 0, sizeof *w);
    LS_TRY(whisper_config_from_weights(&w->config, src));
    tensor pe;
    if (!weights_peek(src, "encoder.positional_embedding", &pe))
        return ls_fail(LS_ERR_INPUT, "%s: tensor 'encoder.positional_embedding' missing (LatentSync uses the stored table)",
                       src->label);
    return weights_load(&w->store, src, be, bind_whisper, w, unused_prefixes);
}

struct whisper_config whisper_config_tiny(void) {
    return (struct whisper_config){.n_mels = 80, .n_ctx = 1500, .n_state = 384, .n_head = 6, .n_layer = 4};
}

ls_status whisper_init_random(struct whisper *w, const struct whisper_config *cfg, struct backend *be, dtype matrix_dt,
                              uint64_t seed) {
    memset(w, 0, sizeof *w);
    w->config = *cfg;
    return weights_init_random(&w->store, be, bind_whisper, w, matrix_dt, seed);
}

void whisper_free(struct whisper *w) {
    if (!w) return;
    weights_free(&w->store);
}

// out[:, :, level, :] as a (B, n_ctx, C) view.
static ls_status level_view(tensor *v, const tensor *out, int level) {
    tensor s;
    LS_TRY(tensor_slice(&s, out, 2, level, 1));
    *v = s;
    v->n_dims = 3;
    v->shape[2] = out->shape[3];
    v->stride[2] = out->stride[3];
    return LS_OK;
}

static ls_status block_forward(const struct whisper_block *k, const struct whisper_config *c, arena *act, tensor *x) {
    int64_t b = x->shape[0], n = x->shape[1], C = c->n_state;
    tensor a, q, kk, v, att, h;
    int64_t s3[3] = {b, n, C}, sm[3] = {b, n, 4 * C};
    size_t mark = arena_mark(act);
    LS_TRY(arena_tensor(act, &a, x->dtype, 3, s3)); // (B, n, C): normed input, then each branch's output
    size_t mark_branch = arena_mark(act);
    LS_TRY(arena_tensor(act, &q, x->dtype, 3, s3));
    LS_TRY(arena_tensor(act, &kk, x->dtype, 3, s3));
    LS_TRY(arena_tensor(act, &v, x->dtype, 3, s3));
    LS_TRY(arena_tensor(act, &att, x->dtype, 3, s3));
    LS_TRY(op_layer_norm(&a, x, &k->attn_ln_w, &k->attn_ln_b, 1e-5f));
    LS_TRY(op_linear(&q, &a, &k->query_w, &k->query_b));
    LS_TRY(op_linear(&kk, &a, &k->key_w, NULL));
    LS_TRY(op_linear(&v, &a, &k->value_w, &k->value_b));
    // quirk: the original scales q and k by d^-0.25 each; one scale of 1/sqrt(d) on q k^T is the same product
    struct attention_params ap = {c->n_head, 1.0f / sqrtf((float)(C / c->n_head))};
    LS_TRY(op_attention(&att, &q, &kk, &v, &ap));
    LS_TRY(op_linear(&a, &att, &k->out_w, &k->out_b));
    LS_TRY(op_add(x, x, &a));
    arena_release(act, mark_branch);
    LS_TRY(arena_tensor(act, &h, x->dtype, 3, sm));
    LS_TRY(op_layer_norm(&a, x, &k->mlp_ln_w, &k->mlp_ln_b, 1e-5f));
    LS_TRY(op_linear(&h, &a, &k->mlp0_w, &k->mlp0_b));
    LS_TRY(op_gelu(&h, &h));
    LS_TRY(op_linear(&a, &h, &k->mlp2_w, &k->mlp2_b));
    LS_TRY(op_add(x, x, &a));
    arena_release(act, mark);
    return LS_OK;
}

ls_status whisper_forward(const struct whisper *w, arena *act, const tensor *mel, const tensor *out) {
    const struct whisper_config *c = &w->config;
    char s1[96], s2[96];
    int64_t b = mel->n_dims == 3 ? mel->shape[0] : 0, C = c->n_state, n = c->n_ctx;
    if (mel->n_dims != 3 || mel->shape[1] != c->n_mels || mel->shape[2] != 2 * n)
        return ls_fail(LS_ERR_SHAPE, "whisper: mel %s, expected (B, %d, %d)", tensor_shape_str(mel, s1, sizeof s1),
                       c->n_mels, 2 * c->n_ctx);
    if (out->n_dims != 4 || out->shape[0] != b || out->shape[1] != n || out->shape[2] != c->n_layer + 1 ||
        out->shape[3] != C)
        return ls_fail(LS_ERR_SHAPE, "whisper: output %s, expected (%lld, %d, %d, %d)",
                       tensor_shape_str(out, s2, sizeof s2), (long long)b, c->n_ctx, c->n_layer + 1, c->n_state);
    dtype dt = mel->dtype;
    size_t mark = arena_mark(act);
    tensor x, h1, h2, pe, view;
    LS_TRY(arena_tensor(act, &x, dt, 3, (int64_t[]){b, n, C}));
    size_t mark_front = arena_mark(act);
    LS_TRY(arena_tensor(act, &h1, dt, 3, (int64_t[]){b, C, 2 * n}));
    LS_TRY(arena_tensor(act, &h2, dt, 3, (int64_t[]){b, C, n}));
    model_trace_begin(act, "whisper front end");
    LS_TRY(op_conv1d(&h1, mel, &w->conv1_w, &w->conv1_b, &(struct conv1d_params){1, 1, 1}));
    LS_TRY(op_gelu(&h1, &h1));
    LS_TRY(op_conv1d(&h2, &h1, &w->conv2_w, &w->conv2_b, &(struct conv1d_params){2, 1, 1}));
    LS_TRY(op_gelu(&h2, &h2));
    LS_TRY(op_permute(&x, &h2, (const int[]){0, 2, 1})); // (B, C, n) -> (B, n, C)
    arena_release(act, mark_front);
    LS_TRY(tensor_reshape(&pe, &w->pos_emb, 3, (int64_t[]){1, n, C}));
    LS_TRY(tensor_broadcast(&pe, &pe, 3, (int64_t[]){b, n, C}));
    LS_TRY(op_add(&x, &x, &pe));
    LS_TRY(level_view(&view, out, 0));
    LS_TRY(op_copy(&view, &x));
    model_trace_end(act);
    for (int l = 0; l < c->n_layer; l++) {
        model_trace_begin(act, "whisper block");
        LS_TRY(block_forward(&w->blocks[l], c, act, &x));
        LS_TRY(level_view(&view, out, l + 1));
        LS_TRY(op_copy(&view, &x));
        model_trace_end(act);
    }
    arena_release(act, mark);
    return LS_OK;
}

ls_status whisper_plan(const struct whisper *w, int64_t batch, size_t *peak_bytes) {
    arena plan;
    arena_init_plan(&plan);
    const struct whisper_config *c = &w->config;
    tensor mel, out;
    LS_TRY(arena_tensor(&plan, &mel, DTYPE_F32, 3, (int64_t[]){batch, c->n_mels, 2 * c->n_ctx}));
    LS_TRY(arena_tensor(&plan, &out, DTYPE_F32, 4, (int64_t[]){batch, c->n_ctx, c->n_layer + 1, c->n_state}));
    size_t inputs = arena_mark(&plan);
    LS_TRY(whisper_forward(w, &plan, &mel, &out));
    *peak_bytes = plan.peak_bytes - inputs + 256;
    return LS_OK;
}
