// test_vae.c — golden test of the SD VAE against diffusers' AutoencoderKL (tests/reference/
// make_model_fixtures.py): a diffusers-layout safetensors file with the legacy attention names and f16
// weights, encode to moments and decode to images. Tolerances (issue 4): moments max abs error
// <= 1e-4 x max |ref|; decoded images <= 1e-3 absolute.
#include "model_test.h"

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_vae DATA_DIR\n"), 2;
    const char *dir = argv[1];
    struct backend *cpu;
    LS_ASSERT(backend_cpu_init(&cpu, 2) == LS_OK);
    st_file *wf = open_fixture(dir, "models/vae/diffusion_pytorch_model.safetensors");
    st_file *io = open_fixture(dir, "models/vae_io.safetensors");
    if (!wf || !io) return 1;
    struct weight_source src;
    weight_source_safetensors(&src, wf);
    struct vae v;
    CHECK_OK(vae_load(&v, &src, cpu));
    CHECK(v.legacy_attention_names, "legacy query/key/value/proj_attn names detected");
    CHECK(v.config.n_levels == 4 && v.config.channels[0] == 32 && v.config.layers == 1 && v.config.latent_channels == 4,
          "config derived from the weights");

    tensor images = fixture_tensor(io, "images", cpu), moments_ref = fixture_tensor(io, "moments", cpu);
    tensor latents = fixture_tensor(io, "latents", cpu), decoded_ref = fixture_tensor(io, "decoded", cpu);
    size_t peak_e, peak_d;
    CHECK_OK(vae_plan_encode(&v, 2, 32, 32, &peak_e));
    CHECK_OK(vae_plan_decode(&v, 2, 4, 4, &peak_d));
    arena act;
    CHECK_OK(arena_init(&act, cpu, peak_e > peak_d ? peak_e : peak_d));
    tensor moments = host_tensor(cpu, DTYPE_F32, 4, moments_ref.shape), decoded = host_tensor(cpu, DTYPE_F32, 4, decoded_ref.shape);
    CHECK_OK(vae_encode(&v, &act, &images, &moments));
    CHECK(act.used_bytes == 0, "arena released");
    check_model_output("vae encode moments", moments.data, &moments_ref, 1e-4, 0);
    CHECK(guard_intact(&moments), "moments guard");
    CHECK_OK(vae_decode(&v, &act, &latents, &decoded));
    check_model_output("vae decode images", decoded.data, &decoded_ref, 0, 1e-3);
    CHECK(guard_intact(&decoded), "decoded guard");
    printf("arena: encode %.1f KiB, decode %.1f KiB at 2x32x32\n", peak_e / 1024.0, peak_d / 1024.0);

    // posterior: logvar clamped, mean * scaling without noise
    float mean[2 * 4 * 16], logvar[2 * 4 * 16], lat[2 * 4 * 16];
    vae_posterior(&v.config, moments.data, 2, 4, 4, NULL, lat, mean, logvar);
    bool ok = true;
    for (int i = 0; i < 2 * 4 * 16; i++) ok = ok && fabsf(lat[i] - 0.18215f * mean[i]) < 1e-6f && logvar[i] >= -30 && logvar[i] <= 20;
    CHECK(ok, "posterior mean and clamp");

    // shape errors are reported, not crashed on
    tensor bad = host_tensor(cpu, DTYPE_F32, 4, (int64_t[]){2, 3, 30, 32});
    CHECK_FAILS(vae_encode(&v, &act, &bad, &moments), LS_ERR_SHAPE, "multiples of 8");
    host_free(&bad);
    host_free(&moments), host_free(&decoded);
    free(images.data), free(moments_ref.data), free(latents.data), free(decoded_ref.data);
    arena_free(&act);
    vae_free(&v);
    st_close(wf), st_close(io);
    backend_free(cpu);
    return harness_exit();
}
