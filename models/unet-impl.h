// unet-impl.h — pieces shared by the UNet's files: the per-evaluation context and each block's forward
// and weight binding. Activations are ((B*F), C, H, W) frames; see models.h.
#ifndef LS_UNET_IMPL_H
#define LS_UNET_IMPL_H

#include "models.h"

struct unet_ctx {
    const struct unet_config *cfg;
    arena *act;
    const tensor *temb_act;  // (B, time_dim): SiLU(time embedding), shared by every ResNet
    int64_t batch, frames;
    const tensor *audio;     // ((B*F), 50, cross_dim) or NULL
    int zero_audio_batches;  // leading batch items whose audio is all zeros
};

ls_status unet_resnet_forward(const struct unet_resnet *r, const struct unet_ctx *c, const tensor *x, const tensor *out);
ls_status unet_transformer_forward(const struct unet_transformer *t, const struct unet_ctx *c, const tensor *x,
                                   const tensor *out);
ls_status unet_motion_forward(const struct unet_motion *m, const struct unet_ctx *c, const tensor *x, const tensor *out);
// a (N, C) -> a = FF(a) in place (GEGLU feed-forward), in row chunks so the (N, 8C) projection stays small.
ls_status unet_ff_forward(const struct unet_ff *ff, arena *act, const tensor *a);

void unet_bind_resnet(struct weight_binder *b, struct unet_resnet *r, int64_t cin, int64_t cout, int64_t time_dim,
                      const char *prefix);
void unet_bind_transformer(struct weight_binder *b, struct unet_transformer *t, int64_t c, int64_t cross_dim,
                           const char *prefix);
void unet_bind_motion(struct weight_binder *b, struct unet_motion *m, int64_t c, int64_t pe_len, const char *prefix);
void unet_bind_ff(struct weight_binder *b, struct unet_ff *ff, int64_t c, const char *prefix);

#endif
