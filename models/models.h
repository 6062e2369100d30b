// models.h — LatentSync's networks as eager C over ops/: the Whisper audio encoder, the SD VAE, the 3-D
// UNet, the DDIM scheduler and DeepCache. Each model is a `<model>_config` (hyper-parameters with the
// spec's defaults), a `<model>_weights` struct of named tensors, `<model>_load` / `<model>_free`, a
// `<model>_plan` giving the activation arena's peak bytes for a shape, and `<model>_forward`.
//
// Usage sketch:
//     struct whisper w;
//     LS_TRY(whisper_load(&w, &source, backend));        // source: any weight_source (loader/, converters)
//     size_t peak;
//     LS_TRY(whisper_plan(&w, 1, &peak));
//     arena act;  LS_TRY(arena_init(&act, backend, peak));
//     LS_TRY(whisper_forward(&w, &act, &mel, &features)); // mel (1, 80, 3000) -> (1, 1500, 5, 384)
//     arena_free(&act); whisper_free(&w);
#ifndef LS_MODELS_H
#define LS_MODELS_H

#include "ops.h"
#include "runtime.h"

// --- weights -----------------------------------------------------------------------------------------------

// A read-only set of named host tensors (a safetensors file, a converted checkpoint, ...). find() fills a
// host view (data readable by the CPU, any dtype, contiguous) and returns false when the name is absent.
// The source must outlive the models bound from it when `keeps_memory` is set (CPU zero-copy).
struct weight_source {
    const char *label; // shown in messages: the file name
    bool (*find)(void *ctx, const char *name, tensor *out);
    int (*count)(void *ctx);                         // (optional) number of tensors
    const char *(*name_at)(void *ctx, int index);    // (optional) for the unexpected-tensor warning
    void *ctx;
    bool keeps_memory; // views stay valid while the source lives: CPU models may alias them
};

// How a weight is stored on the backend.
typedef enum weight_kind {
    WEIGHT_MATRIX, // linear/conv weight: kept f16/bf16/i8 (+ "<name>.scale") when the backend's GEMM takes it
    WEIGHT_PARAM,  // bias, norm affine, embedding: the backend's activation dtype
} weight_kind;

// One model's weights on one backend, in one buffer (or aliased into the source on the CPU).
struct weight_store {
    struct backend *backend;
    void *buffer;
    size_t n_bytes;
    size_t n_tensors;
    size_t n_params;
};

struct weight_binder; // models/weights.c

// Binds every weight of a model: `bind` is called twice (sizing, then copying) with the same binder
// protocol; it calls weights_bind for each tensor. Reports all missing tensors at once, warns about
// unexpected ones (when the source can list its names). On failure nothing is allocated.
typedef void (*weights_bind_fn)(struct weight_binder *b, void *model);
// `unused` lists name prefixes the source may hold that the model ignores (NULL-terminated, may be NULL).
ls_status weights_load(struct weight_store *store, const struct weight_source *src, struct backend *be,
                       weights_bind_fn bind, void *model, const char *const *unused);
void weights_free(struct weight_store *store);
// Random weights for benchmarks and memory tests (no file): unit-variance uniform noise scaled to
// 1/sqrt(fan_in) for matrices (stored as `matrix_dt`), 1 + 0.1 u for norm weights, 0.1 u for biases and
// embeddings; deterministic in `seed`.
ls_status weights_init_random(struct weight_store *store, struct backend *be, weights_bind_fn bind, void *model,
                              dtype matrix_dt, uint64_t seed);
// Binds one tensor of the given shape (printf-style name). Shape mismatches and missing names are
// recorded in the binder and reported by weights_load.
void weights_bind(struct weight_binder *b, tensor *out, weight_kind kind, int n_dims, const int64_t *shape,
                  const char *name_fmt, ...) __attribute__((format(printf, 6, 7)));
// Looks up a tensor's shape without binding it (config derivation); false if absent.
bool weights_peek(const struct weight_source *src, const char *name, tensor *out);
// The activation dtype models use on a backend (f32 on the CPU).
dtype backend_activation_dtype(const struct backend *be);

// Trace spans for model stages, skipped while planning.
static inline void model_trace_begin(const arena *act, const char *name) {
    if (!act->planning) trace_begin(name, "model");
}
static inline void model_trace_end(const arena *act) {
    if (!act->planning) trace_end();
}

// --- Whisper audio encoder (LatentSync's vendored openai-whisper) ---------------------------------------

struct whisper_config {
    int n_mels;  // 80
    int n_ctx;   // 1500 encoder positions (3000 mel frames)
    int n_state; // 384 (tiny), 512 (base), 768 (small)
    int n_head;  // n_state / 64
    int n_layer; // 4 (tiny)
};

struct whisper_block {
    tensor attn_ln_w, attn_ln_b;         // (C)
    tensor query_w, query_b;             // (C, C), (C)
    tensor key_w;                        // (C, C); quirk: no bias (vae-whisper.md §2.1)
    tensor value_w, value_b, out_w, out_b;
    tensor mlp_ln_w, mlp_ln_b;           // (C)
    tensor mlp0_w, mlp0_b, mlp2_w, mlp2_b; // (4C, C), (4C), (C, 4C), (C)
};

#define WHISPER_MAX_LAYERS 32

struct whisper {
    struct whisper_config config;
    tensor conv1_w, conv1_b; // (C, n_mels, 3), (C)
    tensor conv2_w, conv2_b; // (C, C, 3), (C)
    tensor pos_emb;          // (n_ctx, C)
    struct whisper_block blocks[WHISPER_MAX_LAYERS];
    struct weight_store store;
};

// Derives the config from tensor shapes (n_head = n_state / 64 as in every Whisper size).
ls_status whisper_config_from_weights(struct whisper_config *cfg, const struct weight_source *src);
ls_status whisper_load(struct whisper *w, const struct weight_source *src, struct backend *be);
struct whisper_config whisper_config_tiny(void);
ls_status whisper_init_random(struct whisper *w, const struct whisper_config *cfg, struct backend *be, dtype matrix_dt,
                              uint64_t seed);
void whisper_free(struct whisper *w);
ls_status whisper_plan(const struct whisper *w, int64_t batch, size_t *peak_bytes);
// mel (B, n_mels, 2*n_ctx) -> out (B, n_ctx, n_layer + 1, n_state): the encoder input (after conv + PE)
// and every block's output, as LatentSync stacks them. `out` is allocated by the caller.
ls_status whisper_forward(const struct whisper *w, arena *act, const tensor *mel, const tensor *out);

// --- SD VAE (diffusers AutoencoderKL, sd-vae-ft-mse) --------------------------------------------------

#define VAE_MAX_LEVELS 6
#define VAE_MAX_LAYERS 4

struct vae_config {
    int n_levels;                      // 4
    int channels[VAE_MAX_LEVELS];      // 128, 256, 512, 512
    int layers;                        // 2 ResNets per encoder block (decoder: layers + 1)
    int latent_channels;               // 4
    int groups;                        // 32
    float eps;                         // 1e-6
    float scaling;                     // 0.18215 (LatentSync forces it)
};

struct vae_resnet {
    tensor norm1_w, norm1_b, conv1_w, conv1_b; // (Cin), (Cout, Cin, 3, 3)
    tensor norm2_w, norm2_b, conv2_w, conv2_b; // (Cout), (Cout, Cout, 3, 3)
    tensor shortcut_w, shortcut_b;             // (Cout, Cin, 1, 1) iff Cin != Cout, else unbound (data NULL)
};

struct vae_attention { // single head over H*W tokens (names: to_q/to_k/to_v/to_out.0 or legacy query/key/value/proj_attn)
    tensor norm_w, norm_b, q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b;
};

struct vae_mid {
    struct vae_resnet res0, res1;
    struct vae_attention attn;
};

struct vae {
    struct vae_config config;
    // encoder
    tensor enc_conv_in_w, enc_conv_in_b;
    struct vae_resnet enc_res[VAE_MAX_LEVELS][VAE_MAX_LAYERS];
    tensor enc_down_w[VAE_MAX_LEVELS], enc_down_b[VAE_MAX_LEVELS];
    struct vae_mid enc_mid;
    tensor enc_norm_out_w, enc_norm_out_b, enc_conv_out_w, enc_conv_out_b;
    tensor quant_conv_w, quant_conv_b;
    // decoder
    tensor post_quant_conv_w, post_quant_conv_b, dec_conv_in_w, dec_conv_in_b;
    struct vae_mid dec_mid;
    struct vae_resnet dec_res[VAE_MAX_LEVELS][VAE_MAX_LAYERS + 1];
    tensor dec_up_w[VAE_MAX_LEVELS], dec_up_b[VAE_MAX_LEVELS];
    tensor dec_norm_out_w, dec_norm_out_b, dec_conv_out_w, dec_conv_out_b;
    bool legacy_attention_names;
    struct weight_store store;
};

ls_status vae_config_from_weights(struct vae_config *cfg, const struct weight_source *src);
ls_status vae_load(struct vae *v, const struct weight_source *src, struct backend *be);
struct vae_config vae_config_sd(void); // sd-vae-ft-mse
ls_status vae_init_random(struct vae *v, const struct vae_config *cfg, struct backend *be, dtype matrix_dt, uint64_t seed);
void vae_free(struct vae *v);
// images (N, 3, H, W) in [-1, 1], H and W multiples of 2^(levels-1) -> moments (N, 2*latent, H/8, W/8):
// mean = channels [0, latent), logvar = the rest (not yet clamped; see vae_posterior).
ls_status vae_encode(const struct vae *v, arena *act, const tensor *images, const tensor *moments);
// latents (N, latent, h, w) (already divided by the scaling factor) -> images (N, 3, 8h, 8w).
ls_status vae_decode(const struct vae *v, arena *act, const tensor *latents, const tensor *images);
ls_status vae_plan_encode(const struct vae *v, int64_t n, int64_t h, int64_t w, size_t *peak_bytes);
ls_status vae_plan_decode(const struct vae *v, int64_t n, int64_t h, int64_t w, size_t *peak_bytes);
// Host-side posterior of LatentSync's VAE encode: logvar clamped to [-30, 20]; if noise is non-NULL,
// latent = (mean + exp(logvar / 2) * noise) * scaling, else mean * scaling. moments: (N, 2L, h, w) host f32.
void vae_posterior(const struct vae_config *cfg, const float *moments, int64_t n, int64_t h, int64_t w,
                   const float *noise, float *latents, float *mean_out, float *logvar_out);

// --- LatentSync UNet3DConditionModel (spec/unet.md) ------------------------------------------------------

#define UNET_MAX_LEVELS 4
#define UNET_MAX_LAYERS 3 // per up block (layers + 1)

struct unet_config {
    int in_channels, out_channels;     // 13, 4
    int n_levels;                      // 4
    int channels[UNET_MAX_LEVELS];     // 320, 640, 1280, 1280
    int layers;                        // 2 per down block, layers + 1 per up block
    bool attention[UNET_MAX_LEVELS];   // down block i has spatial transformers (true, true, true, false)
    bool motion;                       // motion modules in every down and up layer (none in the mid block)
    int heads;                         // 8 ("attention_head_dim: 8" is the head count), everywhere
    int cross_dim;                     // 384 (Whisper tiny)
    int time_dim;                      // 1280
    int groups;                        // 32
    float norm_eps;                    // 1e-5 (ResNets, conv_norm_out); transformers use 1e-6
    int pe_len;                        // 24 (motion-module positional table length = max frames)
};

struct unet_resnet {
    tensor norm1_w, norm1_b, conv1_w, conv1_b, temb_w, temb_b;
    tensor norm2_w, norm2_b, conv2_w, conv2_b, shortcut_w, shortcut_b; // shortcut iff Cin != Cout
};

struct unet_ff { // diffusers FeedForward with GEGLU: net.0.proj (8C, C), net.2 (C, 4C)
    tensor proj_w, proj_b, out_w, out_b;
};

struct unet_transformer { // Transformer3DModel + one BasicTransformerBlock
    tensor norm_w, norm_b, proj_in_w, proj_in_b, proj_out_w, proj_out_b; // proj_*: (C, C, 1, 1)
    tensor norm1_w, norm1_b, q1_w, k1_w, v1_w, out1_w, out1_b;
    tensor norm2_w, norm2_b, q2_w, k2_w, v2_w, out2_w, out2_b; // k2, v2: (C, cross_dim)
    tensor norm3_w, norm3_b;
    struct unet_ff ff;
};

struct unet_motion { // VanillaTemporalModule -> TemporalTransformer3DModel
    tensor norm_w, norm_b, proj_in_w, proj_in_b, proj_out_w, proj_out_b; // proj_*: (C, C) linear
    tensor q_w[2], k_w[2], v_w[2], out_w[2], out_b[2], pe[2];           // pe: (1, pe_len, C)
    tensor norms_w[2], norms_b[2], ff_norm_w, ff_norm_b;
    struct unet_ff ff;
};

struct unet_down {
    struct unet_resnet resnets[UNET_MAX_LAYERS];
    struct unet_transformer attentions[UNET_MAX_LAYERS];
    struct unet_motion motions[UNET_MAX_LAYERS];
    tensor down_w, down_b;
};

struct unet_up {
    struct unet_resnet resnets[UNET_MAX_LAYERS];
    struct unet_transformer attentions[UNET_MAX_LAYERS];
    struct unet_motion motions[UNET_MAX_LAYERS];
    tensor up_w, up_b;
};

struct unet {
    struct unet_config config;
    tensor conv_in_w, conv_in_b, time1_w, time1_b, time2_w, time2_b;
    struct unet_down down[UNET_MAX_LEVELS];
    struct unet_resnet mid_res0, mid_res1;
    struct unet_transformer mid_attn;
    struct unet_up up[UNET_MAX_LEVELS];
    tensor norm_out_w, norm_out_b, conv_out_w, conv_out_b;
    struct weight_store store;
};

// What one evaluation does with DeepCache (unet.md §9).
typedef enum unet_mode {
    UNET_FULL,        // the whole network
    UNET_FULL_STORE,  // the whole network, and keep the shallow branch's input in cache->features
    UNET_CACHED,      // conv_in, then only the last up layer on the cached features, then the head
} unet_mode;

struct unet_cache {
    tensor features; // (B*F, channels[0], H, W): output of up_blocks[last].motion_modules[layers - 1]
    bool valid;
};

// Heads cannot be derived from weights: `heads` (<= 0: the stage2 value 8) comes from the yaml.
ls_status unet_config_from_weights(struct unet_config *cfg, const struct weight_source *src, int heads);
ls_status unet_load(struct unet *u, const struct weight_source *src, struct backend *be, int heads);
// LatentSync 1.5/1.6 stage2 configuration (configs/unet/stage2.yaml).
struct unet_config unet_config_stage2(void);
// A UNet of the given configuration with random weights (benchmarks, memory tests).
ls_status unet_init_random(struct unet *u, const struct unet_config *cfg, struct backend *be, dtype matrix_dt,
                           uint64_t seed);
void unet_free(struct unet *u);
// sample (B, in, F, H, W), audio ((B*F), 50, cross_dim) or NULL (all-zero audio), out (B, out, F, H, W).
// Frames fold into the batch b-major ((b, f) -> b*F + f), matching the audio rows. With
// zero_audio_batches = k, audio rows of the first k batch items are known to be zero (CFG's unconditional
// half) and their cross-attention reduces to the output bias (exact, unet.md §3.3).
struct unet_inputs {
    const tensor *sample;
    float timestep;
    const tensor *audio;
    int zero_audio_batches;
    unet_mode mode;
    struct unet_cache *cache; // required for UNET_FULL_STORE / UNET_CACHED
};
ls_status unet_forward(const struct unet *u, arena *act, const struct unet_inputs *in, const tensor *out);
ls_status unet_plan(const struct unet *u, int64_t batch, int64_t frames, int64_t h, int64_t w, size_t *peak_bytes);

// --- DDIM (diffusers DDIMScheduler with LatentSync's configs/scheduler_config.json) ----------------------

#define DDIM_TRAIN_STEPS 1000
#define DDIM_MAX_STEPS 1000

struct ddim {
    float alphas_cumprod[DDIM_TRAIN_STEPS]; // float32 as torch computes them
    float final_alpha_cumprod;             // alphas_cumprod[0]: set_alpha_to_one is false
    int n_steps;
    int timesteps[DDIM_MAX_STEPS];         // "leading" spacing + steps_offset 1: 951, 901, ..., 1 for 20 steps
};

// Scaled-linear betas 0.00085 .. 0.012; n_steps in [1, 1000].
ls_status ddim_init(struct ddim *d, int n_steps);
// x <- DDIM step (eta 0, epsilon prediction) from t = timesteps[j]; eps and x on the same backend; x0 is
// scratch of x's shape.
ls_status ddim_step(const struct ddim *d, int j, const tensor *eps, const tensor *x, const tensor *x0);

// --- the denoising loop of one batch of frames (LipsyncPipeline.__call__'s inner loop) ------------------

struct denoise_inputs {
    const tensor *noise;  // (1, 4, F, h, w): initial latents
    const tensor *mask;   // (1, 1, F, h, w)
    const tensor *masked; // (1, 4, F, h, w): masked-image latents
    const tensor *ref;    // (1, 4, F, h, w): reference latents
    const tensor *audio;  // (F, tokens, cross_dim)
    int steps;
    float guidance;         // > 1 enables classifier-free guidance (zero audio for the unconditional half)
    int deepcache_interval; // <= 1: off; N: full UNet on steps j with j % N == 0, shallow branch otherwise
};

// latents (1, 4, F, h, w) <- the sampled latents.
ls_status denoise(const struct unet *u, arena *act, const struct denoise_inputs *in, const tensor *latents);
ls_status denoise_plan(const struct unet *u, int64_t frames, int64_t h, int64_t w, int64_t tokens, float guidance,
                       int deepcache_interval, size_t *peak_bytes);

#endif
