// lipsync_engine.c — see lipsync_engine.h. Host-side arithmetic (pixel normalisation, masking, posterior
// sampling, the nearest-neighbour latent mask, paste-back) runs in float32 as the fp32 original does; the
// networks run on the engine's backend from one activation arena sized for the largest stage.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lipsync_engine.h"

#define TOKENS 50 // audio tokens per frame: 10 Whisper rows x 5 levels

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

ls_status lipsync_engine_init(struct lipsync_engine *e, struct backend *be, int cross_dim, struct vae *v, struct unet *u,
                              const struct lipsync_settings *s) {
    memset(e, 0, sizeof *e);
    if (s->resolution < 64 || s->resolution % 64)
        return ls_fail(LS_ERR_USAGE, "resolution %d: expected a multiple of 64 (256 or 512)", s->resolution);
    if (s->steps < 1 || s->steps > DDIM_MAX_STEPS) return ls_fail(LS_ERR_USAGE, "--steps %d: expected 1 to %d", s->steps, DDIM_MAX_STEPS);
    if (v->config.latent_channels != 4 || u->config.in_channels != 13)
        return ls_fail(LS_ERR_INPUT, "the VAE (%d latent channels) and UNet (%d inputs) are not a LatentSync pair",
                       v->config.latent_channels, u->config.in_channels);
    if (cross_dim != u->config.cross_dim)
        return ls_fail(LS_ERR_INPUT, "Whisper width %d does not match the UNet's audio cross-attention width %d "
                                     "(384: Whisper tiny, 768: small)", cross_dim, u->config.cross_dim);
    e->be = be, e->vae = v, e->unet = u;
    e->resolution = s->resolution;
    e->latent = s->resolution / 8;
    e->steps = s->steps, e->guidance = s->guidance, e->deepcache = s->deepcache;
    size_t budget = s->vae_budget_bytes ? s->vae_budget_bytes : (size_t)1 << 30;
    // the largest VAE batch whose encode and decode fit the budget
    size_t enc = 0, dec = 0;
    e->vae_batch = 1;
    for (int n = LIPSYNC_MAX_FRAMES; n >= 1; n /= 2) {
        LS_TRY(vae_plan_encode(v, n, s->resolution, s->resolution, &enc));
        LS_TRY(vae_plan_decode(v, n, e->latent, e->latent, &dec));
        if (max_sz(enc, dec) <= budget || n == 1) {
            e->vae_batch = n;
            break;
        }
    }
    size_t res2 = (size_t)s->resolution * s->resolution, lat2 = (size_t)e->latent * e->latent;
    size_t vae_io = (size_t)e->vae_batch * (3 * res2 + 8 * lat2) * 4 * 2;
    size_t den = 0;
    LS_TRY(denoise_plan(u, LIPSYNC_MAX_FRAMES, e->latent, e->latent, TOKENS, s->guidance, s->deepcache, &den));
    size_t den_io = (size_t)LIPSYNC_MAX_FRAMES * (5 * 4 * lat2 + 1 * lat2 + TOKENS * (size_t)u->config.cross_dim) * 4 * 2;
    e->act_bytes = max_sz(max_sz(enc, dec) + vae_io, den + den_io) + 65536;
    LS_TRY(arena_init(&e->act, be, e->act_bytes));
    e->act.name = "lipsync";
    log_msg(LOG_DEBUG, "arena: lipsync %.1f MiB (VAE batch %d, denoise %.1f MiB)", (double)e->act_bytes / (1 << 20),
            e->vae_batch, (double)den / (1 << 20));
    return LS_OK;
}

void lipsync_engine_free(struct lipsync_engine *e) {
    if (!e) return;
    arena_free(&e->act);
    memset(e, 0, sizeof *e);
}

// pix = face / 255 * 2 - 1 (as (x / 255 - 0.5) / 0.5); masked = pix * mask
static void prepare_pixels(int res, const uint8_t *face, const float *mask, float *pix, float *masked) {
    size_t plane = (size_t)res * res;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++) {
            float p = ((float)face[c * plane + i] / 255.0f - 0.5f) / 0.5f;
            if (pix) pix[c * plane + i] = p;
            if (masked) masked[c * plane + i] = p * mask[i];
        }
}

ls_status lipsync_engine_encode(struct lipsync_engine *e, int f, const uint8_t *const *faces, const float *mask,
                                float *masked_moments, float *ref_moments) {
    int res = e->resolution, lat = e->latent, L2 = 2 * e->vae->config.latent_channels;
    size_t plane = (size_t)res * res, mom = (size_t)L2 * lat * lat;
    arena *act = &e->act;
    for (int b0 = 0; b0 < f; b0 += e->vae_batch) {
        int n = f - b0 < e->vae_batch ? f - b0 : e->vae_batch;
        for (int which = 0; which < 2; which++) { // 0: masked face, 1: full face (reference)
            arena_reset(act);
            tensor img, moments;
            LS_TRY(arena_tensor(act, &img, DTYPE_F32, 4, (int64_t[]){n, 3, res, res}));
            LS_TRY(arena_tensor(act, &moments, DTYPE_F32, 4, (int64_t[]){n, L2, lat, lat}));
            float *host = malloc((size_t)n * 3 * plane * sizeof *host);
            if (!host) return ls_fail(LS_ERR_OOM, "lipsync: out of memory preparing faces");
            for (int i = 0; i < n; i++)
                prepare_pixels(res, faces[b0 + i], mask, which ? host + (size_t)i * 3 * plane : NULL,
                               which ? NULL : host + (size_t)i * 3 * plane);
            ls_status s = tensor_upload(&img, host);
            free(host);
            LS_TRY(s);
            LS_TRY(vae_encode(e->vae, act, &img, &moments));
            LS_TRY(tensor_download(&moments, (which ? ref_moments : masked_moments) + (size_t)b0 * mom));
        }
    }
    arena_reset(act);
    return LS_OK;
}

// (f, C, h, w) frames -> (1, C, f, h, w) for the UNet
static void frames_to_video(const float *src, int f, int c, int plane, float *dst) {
    for (int i = 0; i < f; i++)
        for (int k = 0; k < c; k++) memcpy(dst + ((size_t)k * f + i) * plane, src + ((size_t)i * c + k) * plane, (size_t)plane * 4);
}

ls_status lipsync_engine_batch(struct lipsync_engine *e, int f, const uint8_t *const *faces, const float *mask,
                               const float *masked_moments, const float *ref_moments, const float *chunks,
                               const float *noise0, struct noise_rng *rng, float *out) {
    if (f < 1 || f > LIPSYNC_MAX_FRAMES) return ls_fail(LS_ERR_INPUT, "lipsync: batch of %d frames", f);
    int res = e->resolution, lat = e->latent, L = e->vae->config.latent_channels, D = e->unet->config.cross_dim;
    size_t plane = (size_t)res * res, lplane = (size_t)lat * lat, zsz = (size_t)f * L * lplane;
    float *buf = malloc((zsz * 6 + (size_t)f * lplane + zsz) * sizeof *buf);
    if (!buf) return ls_fail(LS_ERR_OOM, "lipsync: out of memory for latents");
    float *eps = buf, *zm = eps + zsz, *zr = zm + zsz, *vid_noise = zr + zsz, *vid_m = vid_noise + zsz;
    float *vid_zm = vid_m + (size_t)f * lplane, *vid_zr = vid_zm + zsz, *lat_out = vid_zr + zsz;
    // posterior samples: masked first, then reference (spec/pipeline.md §5.5-5.6)
    noise_normal(rng, eps, zsz);
    vae_posterior(&e->vae->config, masked_moments, f, lat, lat, eps, zm, NULL, NULL);
    noise_normal(rng, eps, zsz);
    vae_posterior(&e->vae->config, ref_moments, f, lat, lat, eps, zr, NULL, NULL);
    // initial latents: the same noise image for every frame
    for (int k = 0; k < L; k++)
        for (int i = 0; i < f; i++) memcpy(vid_noise + ((size_t)k * f + i) * lplane, noise0 + (size_t)k * lplane, lplane * 4);
    // latent mask: nearest-neighbour downsampling, m_lat[i, j] = m[8i, 8j] (interpolate's default)
    int scale = res / lat;
    for (int i = 0; i < f; i++)
        for (int y = 0; y < lat; y++)
            for (int x = 0; x < lat; x++) vid_m[(size_t)i * lplane + y * lat + x] = mask[(size_t)y * scale * res + x * scale];
    frames_to_video(zm, f, L, (int)lplane, vid_zm);
    frames_to_video(zr, f, L, (int)lplane, vid_zr);

    arena *act = &e->act;
    arena_reset(act);
    tensor tn, tm, tz, tr, ta, to;
    ls_status s = arena_tensor(act, &tn, DTYPE_F32, 5, (int64_t[]){1, L, f, lat, lat});
    if (!s) s = arena_tensor(act, &tm, DTYPE_F32, 5, (int64_t[]){1, 1, f, lat, lat});
    if (!s) s = arena_tensor(act, &tz, DTYPE_F32, 5, (int64_t[]){1, L, f, lat, lat});
    if (!s) s = arena_tensor(act, &tr, DTYPE_F32, 5, (int64_t[]){1, L, f, lat, lat});
    if (!s) s = arena_tensor(act, &ta, DTYPE_F32, 3, (int64_t[]){f, TOKENS, D});
    if (!s) s = arena_tensor(act, &to, DTYPE_F32, 5, (int64_t[]){1, L, f, lat, lat});
    if (!s) s = tensor_upload(&tn, vid_noise);
    if (!s) s = tensor_upload(&tm, vid_m);
    if (!s) s = tensor_upload(&tz, vid_zm);
    if (!s) s = tensor_upload(&tr, vid_zr);
    if (!s) s = tensor_upload(&ta, chunks);
    struct denoise_inputs in = {&tn, &tm, &tz, &tr, &ta, e->steps, e->guidance, e->deepcache};
    if (!s) s = denoise(e->unet, act, &in, &to);
    if (!s) s = tensor_download(&to, vid_noise);
    // (1, L, f, h, w) -> frames, / scaling for the decoder
    for (int i = 0; !s && i < f; i++)
        for (int k = 0; k < L; k++)
            for (size_t p = 0; p < lplane; p++)
                lat_out[((size_t)i * L + k) * lplane + p] = vid_noise[((size_t)k * f + i) * lplane + p] / e->vae->config.scaling;
    // decode in VAE-sized batches, then paste the unmasked pixels back: out = dec (1 - m) + pix m
    float *pix = s ? NULL : malloc(3 * plane * sizeof *pix);
    if (!s && !pix) s = ls_fail(LS_ERR_OOM, "lipsync: out of memory");
    for (int b0 = 0; !s && b0 < f; b0 += e->vae_batch) {
        int n = f - b0 < e->vae_batch ? f - b0 : e->vae_batch;
        arena_reset(act);
        tensor tl, ti;
        s = arena_tensor(act, &tl, DTYPE_F32, 4, (int64_t[]){n, L, lat, lat});
        if (!s) s = arena_tensor(act, &ti, DTYPE_F32, 4, (int64_t[]){n, 3, res, res});
        if (!s) s = tensor_upload(&tl, lat_out + (size_t)b0 * L * lplane);
        if (!s) s = vae_decode(e->vae, act, &tl, &ti);
        if (!s) s = tensor_download(&ti, out + (size_t)b0 * 3 * plane);
        for (int i = 0; !s && i < n; i++) {
            float *o = out + (size_t)(b0 + i) * 3 * plane;
            prepare_pixels(res, faces[b0 + i], mask, pix, NULL);
            for (int c = 0; c < 3; c++)
                for (size_t p = 0; p < plane; p++) o[c * plane + p] = o[c * plane + p] * (1.0f - mask[p]) + pix[c * plane + p] * mask[p];
        }
    }
    free(pix);
    free(buf);
    arena_reset(act);
    return s;
}
