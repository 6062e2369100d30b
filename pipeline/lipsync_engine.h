// lipsync_engine.h — the model side of the lip-sync job (the audio side is audio_features.h): one batch of
// aligned face crops through VAE encode (masked and reference), the DDIM/UNet loop with guidance and
// DeepCache, VAE decode and the paste-back of the unmasked pixels (bytedance/LatentSync
// lipsync_pipeline.py: prepare_masks_and_masked_images, prepare_mask_latents, prepare_image_latents, the
// denoising loop, decode_latents, paste_surrounding_pixels_back; spec/pipeline.md §5-§7).
// Everything here is backend-neutral; host-side data is plain float/uint8 arrays.
#ifndef LS_LIPSYNC_ENGINE_H
#define LS_LIPSYNC_ENGINE_H

#include "models.h"
#include "noise.h"

#define LIPSYNC_MAX_FRAMES 16 // frames per UNet batch (data.num_frames)

struct lipsync_engine {
    struct backend *be;
    struct vae *vae; // borrowed

    struct unet *unet;
    int resolution; // face crop side: 256 (LatentSync 1.5) or 512 (1.6)
    int latent;     // resolution / 8
    int vae_batch;  // frames per VAE call, chosen from the memory budget
    int steps, deepcache;
    float guidance;
    arena act;       // activations of every stage (stages run one after another)
    size_t act_bytes;
};

struct lipsync_settings {
    int resolution;
    int steps;          // 20
    float guidance;     // 1.5 (> 1 enables classifier-free guidance)
    int deepcache;      // 0 off, N: full UNet every N steps
    size_t vae_budget_bytes; // activation memory the VAE may use per call (0: 1 GiB)
};

// cross_dim: the Whisper width the audio tokens have (checked against the UNet's cross-attention).
ls_status lipsync_engine_init(struct lipsync_engine *e, struct backend *be, int cross_dim, struct vae *v, struct unet *u,
                              const struct lipsync_settings *s);
void lipsync_engine_free(struct lipsync_engine *e);

// Encodes f crops to the VAE posterior moments (f x 2L x h x w, host) of the masked and the full face.
// faces: f pointers to (3, res, res) uint8 RGB planes; mask: (res, res) in [0, 1] (1 = keep).
ls_status lipsync_engine_encode(struct lipsync_engine *e, int f, const uint8_t *const *faces, const float *mask,
                                float *masked_moments, float *ref_moments);

// One batch: posterior samples from the moments (masked first, then reference: the original's draw
// order), the denoising loop from `noise0` (L x h x w, the same image for every frame), decode, and
// paste-back. chunks: f x 50 x cross_dim host audio tokens. out: f x (3, res, res) float in about [-1, 1].
ls_status lipsync_engine_batch(struct lipsync_engine *e, int f, const uint8_t *const *faces, const float *mask,
                               const float *masked_moments, const float *ref_moments, const float *chunks,
                               const float *noise0, struct noise_rng *rng, float *out);

#endif
