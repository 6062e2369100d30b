// whisper_dims.c — Whisper's model dimensions from a checkpoint: read from openai-whisper's "dims" dict
// (whisper/__init__.py load_model builds ModelDimensions(**checkpoint["dims"])), or derived from the tensor
// names and shapes of whisper/model.py's AudioEncoder / TextDecoder, and checked tensor by tensor so a file
// that is not a Whisper model is refused with the first mismatching tensor named.
#include <stdio.h>
#include <string.h>

#include "weights-convert-impl.h"

#define WHISPER_MAX_LAYERS 256

static bool pt_shape(void *ctx, const char *name, int *n_dims, int64_t *shape) {
    const struct pt_tensor *t = pt_find(ctx, name);
    if (!t) return false;
    *n_dims = t->n_dims;
    memcpy(shape, t->shape, sizeof t->shape);
    return true;
}

void shape_source_pt(struct shape_source *src, const pt_file *f) {
    *src = (struct shape_source){.label = pt_label(f), .find = pt_shape, .ctx = (void *)f};
}

static const char *const dim_names[10] = {"n_mels",  "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
                                          "n_vocab", "n_text_ctx",  "n_text_state",  "n_text_head",  "n_text_layer"};

static int64_t *dim_field(struct whisper_dims *d, int i) {
    int64_t *fields[10] = {&d->n_mels,  &d->n_audio_ctx, &d->n_audio_state, &d->n_audio_head, &d->n_audio_layer,
                           &d->n_vocab, &d->n_text_ctx,  &d->n_text_state,  &d->n_text_head,  &d->n_text_layer};
    return fields[i];
}

ls_status whisper_dims_read(const pt_file *f, struct whisper_dims *out) {
    struct whisper_dims d = {0};
    for (int i = 0; i < 10; i++) {
        char path[64];
        snprintf(path, sizeof path, "dims.%s", dim_names[i]);
        LS_TRY(pt_get_int(f, path, dim_field(&d, i)));
    }
    *out = d;
    return LS_OK;
}

static bool has(const struct shape_source *src, const char *name) {
    int n_dims;
    int64_t shape[PT_MAX_DIMS];
    return src->find(src->ctx, name, &n_dims, shape);
}

// A tensor of the given rank, or an error naming it.
static ls_status need_shape(const struct shape_source *src, const char *name, int n_dims, int64_t *shape) {
    int got;
    if (!src->find(src->ctx, name, &got, shape))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' is missing: not a Whisper model", src->label, name);
    if (got != n_dims) {
        char s[200];
        shape_str(got, shape, s, sizeof s);
        return ls_fail(LS_ERR_SHAPE, "%s: tensor '%s': shape %s, expected %d dimensions", src->label, name, s, n_dims);
    }
    return LS_OK;
}

static int64_t count_blocks(const struct shape_source *src, const char *stack) {
    int64_t n = 0;
    char name[128];
    for (; n < WHISPER_MAX_LAYERS; n++) {
        snprintf(name, sizeof name, "%s.blocks.%lld.attn.query.weight", stack, (long long)n);
        if (!has(src, name)) break;
    }
    return n;
}

// Every released Whisper size has 64-wide heads; smaller test models get one head.
static int64_t heads_of(int64_t state) { return state >= 64 && state % 64 == 0 ? state / 64 : 1; }

ls_status whisper_dims_derive(const struct shape_source *src, struct whisper_dims *out) {
    struct whisper_dims d = {0};
    int64_t s[PT_MAX_DIMS];
    LS_TRY(need_shape(src, "encoder.conv1.weight", 3, s)); // (n_audio_state, n_mels, 3)
    d.n_audio_state = s[0], d.n_mels = s[1];
    LS_TRY(need_shape(src, "encoder.positional_embedding", 2, s)); // (n_audio_ctx, n_audio_state)
    d.n_audio_ctx = s[0];
    d.n_audio_layer = count_blocks(src, "encoder");
    d.n_audio_head = heads_of(d.n_audio_state);
    if (has(src, "decoder.token_embedding.weight")) {
        LS_TRY(need_shape(src, "decoder.token_embedding.weight", 2, s)); // (n_vocab, n_text_state)
        d.n_vocab = s[0], d.n_text_state = s[1];
        LS_TRY(need_shape(src, "decoder.positional_embedding", 2, s)); // (n_text_ctx, n_text_state)
        d.n_text_ctx = s[0];
        d.n_text_layer = count_blocks(src, "decoder");
        d.n_text_head = heads_of(d.n_text_state);
    }
    *out = d;
    return LS_OK;
}

// --- the check -------------------------------------------------------------------------------------------------

static ls_status expect(const struct shape_source *src, const char *name, int n_dims, const int64_t *want) {
    int got_dims;
    int64_t got[PT_MAX_DIMS];
    if (!src->find(src->ctx, name, &got_dims, got))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' is missing: not a Whisper model of these dims", src->label, name);
    bool same = got_dims == n_dims;
    for (int i = 0; same && i < n_dims; i++)
        same = got[i] == want[i];
    if (!same) {
        char g[200], w[200];
        shape_str(got_dims, got, g, sizeof g);
        shape_str(n_dims, want, w, sizeof w);
        return ls_fail(LS_ERR_SHAPE, "%s: tensor '%s': shape %s, expected %s", src->label, name, g, w);
    }
    return LS_OK;
}

#define EXPECT(src, n_dims, name, ...) LS_TRY(expect(src, name, n_dims, (const int64_t[]){__VA_ARGS__}))

// One residual attention block of whisper/model.py (attn, optional cross_attn, mlp; key has no bias).
static ls_status expect_block(const struct shape_source *src, const char *stack, int64_t i, int64_t c, bool cross) {
    char n[160];
    const char *atts[2] = {"attn", "cross_attn"};
    for (int a = 0; a < (cross ? 2 : 1); a++) {
        static const char *const proj[] = {"query", "key", "value", "out"};
        for (int p = 0; p < 4; p++) {
            snprintf(n, sizeof n, "%s.blocks.%lld.%s.%s.weight", stack, (long long)i, atts[a], proj[p]);
            EXPECT(src, 2, n, c, c);
            if (p == 1) continue; // quirk: key projection has no bias (vae-whisper.md §2.1)
            snprintf(n, sizeof n, "%s.blocks.%lld.%s.%s.bias", stack, (long long)i, atts[a], proj[p]);
            EXPECT(src, 1, n, c);
        }
        snprintf(n, sizeof n, "%s.blocks.%lld.%s_ln.weight", stack, (long long)i, atts[a]);
        EXPECT(src, 1, n, c);
        snprintf(n, sizeof n, "%s.blocks.%lld.%s_ln.bias", stack, (long long)i, atts[a]);
        EXPECT(src, 1, n, c);
    }
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp.0.weight", stack, (long long)i);
    EXPECT(src, 2, n, 4 * c, c);
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp.0.bias", stack, (long long)i);
    EXPECT(src, 1, n, 4 * c);
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp.2.weight", stack, (long long)i);
    EXPECT(src, 2, n, c, 4 * c);
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp.2.bias", stack, (long long)i);
    EXPECT(src, 1, n, c);
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp_ln.weight", stack, (long long)i);
    EXPECT(src, 1, n, c);
    snprintf(n, sizeof n, "%s.blocks.%lld.mlp_ln.bias", stack, (long long)i);
    EXPECT(src, 1, n, c);
    return LS_OK;
}

static ls_status check_dims_values(const struct shape_source *src, const struct whisper_dims *d) {
    struct whisper_dims copy = *d;
    bool text = d->n_text_layer > 0;
    for (int i = 0; i < 10; i++) {
        int64_t v = *dim_field(&copy, i), max = i == 5 ? (int64_t)1 << 24 : (int64_t)1 << 20;
        bool is_text = i >= 5;
        if (v < 0 || v > max || (v == 0 && (!is_text || text)))
            return ls_fail(LS_ERR_INPUT, "%s: whisper dims %s = %lld is out of range", src->label, dim_names[i],
                           (long long)v);
    }
    if (d->n_audio_layer > WHISPER_MAX_LAYERS || d->n_text_layer > WHISPER_MAX_LAYERS)
        return ls_fail(LS_ERR_INPUT, "%s: whisper dims ask for more than %d layers", src->label, WHISPER_MAX_LAYERS);
    if (d->n_audio_state % d->n_audio_head || (text && d->n_text_state % d->n_text_head))
        return ls_fail(LS_ERR_INPUT, "%s: whisper dims: state %lld / %lld heads (text %lld / %lld) do not divide",
                       src->label, (long long)d->n_audio_state, (long long)d->n_audio_head, (long long)d->n_text_state,
                       (long long)d->n_text_head);
    return LS_OK;
}

ls_status whisper_dims_check(const struct shape_source *src, const struct whisper_dims *d) {
    LS_TRY(check_dims_values(src, d));
    int64_t c = d->n_audio_state;
    EXPECT(src, 3, "encoder.conv1.weight", c, d->n_mels, 3);
    EXPECT(src, 1, "encoder.conv1.bias", c);
    EXPECT(src, 3, "encoder.conv2.weight", c, c, 3);
    EXPECT(src, 1, "encoder.conv2.bias", c);
    EXPECT(src, 2, "encoder.positional_embedding", d->n_audio_ctx, c);
    for (int64_t i = 0; i < d->n_audio_layer; i++)
        LS_TRY(expect_block(src, "encoder", i, c, false));
    EXPECT(src, 1, "encoder.ln_post.weight", c);
    EXPECT(src, 1, "encoder.ln_post.bias", c);
    char n[128];
    snprintf(n, sizeof n, "encoder.blocks.%lld.attn.query.weight", (long long)d->n_audio_layer);
    if (has(src, n))
        return ls_fail(LS_ERR_SHAPE, "%s: tensor '%s' is one block more than n_audio_layer %lld", src->label, n,
                       (long long)d->n_audio_layer);
    if (d->n_text_layer == 0) return LS_OK;
    int64_t t = d->n_text_state;
    EXPECT(src, 2, "decoder.token_embedding.weight", d->n_vocab, t);
    EXPECT(src, 2, "decoder.positional_embedding", d->n_text_ctx, t);
    for (int64_t i = 0; i < d->n_text_layer; i++)
        LS_TRY(expect_block(src, "decoder", i, t, true));
    EXPECT(src, 1, "decoder.ln.weight", t);
    EXPECT(src, 1, "decoder.ln.bias", t);
    snprintf(n, sizeof n, "decoder.blocks.%lld.attn.query.weight", (long long)d->n_text_layer);
    if (has(src, n))
        return ls_fail(LS_ERR_SHAPE, "%s: tensor '%s' is one block more than n_text_layer %lld", src->label, n,
                       (long long)d->n_text_layer);
    return LS_OK;
}

ls_status whisper_dims_load(const pt_file *f, struct whisper_dims *out) {
    struct shape_source src;
    shape_source_pt(&src, f);
    struct whisper_dims d;
    if (pt_lookup(f, "dims"))
        LS_TRY(whisper_dims_read(f, &d));
    else
        LS_TRY(whisper_dims_derive(&src, &d));
    LS_TRY(whisper_dims_check(&src, &d));
    *out = d;
    return LS_OK;
}
