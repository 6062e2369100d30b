// unet_resnet.c — LatentSync's ResnetBlock3D (bytedance/LatentSync latentsync/models/resnet.py):
// GroupNorm + SiLU -> conv3x3 -> + time_emb_proj(SiLU(temb)) -> GroupNorm + SiLU -> conv3x3 -> + shortcut.
// quirk: use_inflated_groupnorm is false, so both GroupNorms take statistics over all frames of a sample
// (unet.md §3.2); the convolutions run per frame.
#include <stdio.h>

#include "unet-impl.h"

void unet_bind_resnet(struct weight_binder *b, struct unet_resnet *r, int64_t cin, int64_t cout, int64_t time_dim,
                      const char *prefix) {
    weights_bind(b, &r->norm1_w, WEIGHT_PARAM, 1, (int64_t[]){cin}, "%s.norm1.weight", prefix);
    weights_bind(b, &r->norm1_b, WEIGHT_PARAM, 1, (int64_t[]){cin}, "%s.norm1.bias", prefix);
    weights_bind(b, &r->conv1_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cin, 3, 3}, "%s.conv1.weight", prefix);
    weights_bind(b, &r->conv1_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv1.bias", prefix);
    weights_bind(b, &r->temb_w, WEIGHT_MATRIX, 2, (int64_t[]){cout, time_dim}, "%s.time_emb_proj.weight", prefix);
    weights_bind(b, &r->temb_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.time_emb_proj.bias", prefix);
    weights_bind(b, &r->norm2_w, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.norm2.weight", prefix);
    weights_bind(b, &r->norm2_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.norm2.bias", prefix);
    weights_bind(b, &r->conv2_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cout, 3, 3}, "%s.conv2.weight", prefix);
    weights_bind(b, &r->conv2_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv2.bias", prefix);
    if (cin != cout) {
        weights_bind(b, &r->shortcut_w, WEIGHT_MATRIX, 4, (int64_t[]){cout, cin, 1, 1}, "%s.conv_shortcut.weight", prefix);
        weights_bind(b, &r->shortcut_b, WEIGHT_PARAM, 1, (int64_t[]){cout}, "%s.conv_shortcut.bias", prefix);
    }
}

ls_status unet_resnet_forward(const struct unet_resnet *r, const struct unet_ctx *c, const tensor *x, const tensor *out) {
    arena *act = c->act;
    int64_t bf = x->shape[0], cin = x->shape[1], h = x->shape[2], w = x->shape[3], cout = out->shape[1];
    struct group_norm_params gn = {c->cfg->groups, c->cfg->norm_eps, (int)c->frames, true};
    size_t mark = arena_mark(act);
    tensor t1, t2, temb, tv;
    LS_TRY(arena_tensor(act, &t1, x->dtype, 4, (int64_t[]){bf, cin, h, w}));
    LS_TRY(arena_tensor(act, &t2, x->dtype, 4, (int64_t[]){bf, cout, h, w}));
    LS_TRY(arena_tensor(act, &temb, x->dtype, 2, (int64_t[]){c->batch, cout}));
    LS_TRY(op_group_norm(&t1, x, &r->norm1_w, &r->norm1_b, &gn));
    LS_TRY(op_conv2d(&t2, &t1, &r->conv1_w, &r->conv1_b, &CONV2D_SAME(1, 1)));
    LS_TRY(op_linear(&temb, c->temb_act, &r->temb_w, &r->temb_b));
    // temb (B, C) broadcast over frames and pixels: a (B, F, C, H*W) view with strides (C, 0, 1, 0)
    tv = temb;
    tv.n_dims = 4;
    tv.shape[0] = c->batch, tv.shape[1] = c->frames, tv.shape[2] = cout, tv.shape[3] = h * w;
    tv.stride[0] = cout, tv.stride[1] = 0, tv.stride[2] = 1, tv.stride[3] = 0;
    tensor t2v;
    LS_TRY(tensor_reshape(&t2v, &t2, 4, (int64_t[]){c->batch, c->frames, cout, h * w}));
    LS_TRY(op_add(&t2v, &t2v, &tv));
    LS_TRY(op_group_norm(&t2, &t2, &r->norm2_w, &r->norm2_b, &gn));
    LS_TRY(op_conv2d(out, &t2, &r->conv2_w, &r->conv2_b, &CONV2D_SAME(1, 1)));
    if (cin != cout) {
        LS_TRY(op_conv2d(&t2, x, &r->shortcut_w, &r->shortcut_b, &CONV2D_SAME(1, 0)));
        LS_TRY(op_add(out, out, &t2));
    } else {
        LS_TRY(op_add(out, out, x));
    }
    arena_release(act, mark);
    return LS_OK;
}
