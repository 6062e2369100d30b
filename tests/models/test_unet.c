// test_unet.c — golden tests of the LatentSync UNet3D against the original (tests/reference/
// make_model_fixtures.py; stage2 block layout with 32 channels, cross-attention dim 24, every weight random
// so zero-initialised layers matter): one evaluation with a CFG batch (zero audio for the first half),
// and the 3-step DDIM loop with guidance 1.5 with and without DeepCache. Tolerances (issue 5): one
// evaluation max abs error <= 1e-3 x max |ref|; the loop's final latents the same bound (reached: printed).
#include "model_test.h"

static void one_evaluation(const struct unet *u, st_file *io, struct backend *cpu) {
    tensor sample = fixture_tensor(io, "sample", cpu), audio = fixture_tensor(io, "audio", cpu);
    tensor ref = fixture_tensor(io, "out", cpu);
    size_t peak;
    CHECK_OK(unet_plan(u, 2, 3, 16, 16, &peak));
    arena act;
    CHECK_OK(arena_init(&act, cpu, peak));
    tensor out = host_tensor(cpu, DTYPE_F32, 5, ref.shape);
    struct unet_inputs in = {&sample, 951.0f, &audio, 1, UNET_FULL, NULL};
    CHECK_OK(unet_forward(u, &act, &in, &out));
    check_model_output("unet evaluation (CFG batch)", out.data, &ref, 1e-3, 0);
    in.zero_audio_batches = 0; // the same through the full cross-attention on the zero rows
    CHECK_OK(unet_forward(u, &act, &in, &out));
    check_model_output("unet evaluation (no zero-audio shortcut)", out.data, &ref, 1e-3, 0);
    CHECK(guard_intact(&out) && act.used_bytes == 0, "guard and arena");
    printf("arena peak %.2f MiB at B2 F3 16x16\n", peak / 1048576.0);
    host_free(&out);
    free(sample.data), free(audio.data), free(ref.data);
    arena_free(&act);
}

static void denoise_loop(const struct unet *u, st_file *io, struct backend *cpu) {
    tensor noise = fixture_tensor(io, "noise", cpu), mask = fixture_tensor(io, "mask", cpu);
    tensor masked = fixture_tensor(io, "masked", cpu), ref = fixture_tensor(io, "ref", cpu);
    tensor audio = fixture_tensor(io, "audio", cpu), plain = fixture_tensor(io, "latents", cpu);
    tensor cached = fixture_tensor(io, "latents_deepcache", cpu), timesteps = fixture_tensor(io, "timesteps", cpu);
    struct ddim d;
    CHECK_OK(ddim_init(&d, 3));
    const float *ts = timesteps.data;
    CHECK(d.timesteps[0] == (int)ts[0] && d.timesteps[1] == (int)ts[1] && d.timesteps[2] == (int)ts[2],
          "timesteps %d %d %d vs %g %g %g", d.timesteps[0], d.timesteps[1], d.timesteps[2], ts[0], ts[1], ts[2]);
    for (int interval = 0; interval <= 3; interval += 3) {
        size_t peak;
        CHECK_OK(denoise_plan(u, 3, 16, 16, 50, 1.5f, interval, &peak));
        arena act;
        CHECK_OK(arena_init(&act, cpu, peak));
        tensor out = host_tensor(cpu, DTYPE_F32, 5, noise.shape);
        struct denoise_inputs in = {&noise, &mask, &masked, &ref, &audio, 3, 1.5f, interval};
        CHECK_OK(denoise(u, &act, &in, &out));
        check_model_output(interval ? "denoise 3 steps, DeepCache 3" : "denoise 3 steps", out.data,
                           interval ? &cached : &plain, 1e-3, 0);
        host_free(&out);
        arena_free(&act);
    }
    free(noise.data), free(mask.data), free(masked.data), free(ref.data), free(audio.data), free(plain.data);
    free(cached.data), free(timesteps.data);
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_unet DATA_DIR WEIGHTS\n"), 2;
    struct backend *cpu;
    LS_ASSERT(backend_cpu_init(&cpu, 2) == LS_OK);
    struct model_file mf;
    st_file *io = open_fixture(argv[1], "models/unet_io.safetensors");
    st_file *dio = open_fixture(argv[1], "models/denoise_io.safetensors");
    if (model_file_open(&mf, argv[2], (const char *[]){"state_dict.", "", NULL}) != LS_OK) return fprintf(stderr, "FAIL: %s\n", ls_error()), 1;
    if (!io || !dio) return 1;
    struct unet u;
    CHECK_OK(unet_load(&u, &mf.src, cpu, 8));
    const struct unet_config *c = &u.config;
    CHECK(c->in_channels == 13 && c->out_channels == 4 && c->n_levels == 4 && c->layers == 2 && c->cross_dim == 24 &&
              c->motion && c->attention[0] && !c->attention[3] && c->pe_len == 24,
          "config derived from the weights");
    CHECK(u.store.n_tensors == 1242, "bound %zu tensors", u.store.n_tensors);
    one_evaluation(&u, io, cpu);
    denoise_loop(&u, dio, cpu);
    unet_free(&u);
    model_file_close(&mf), st_close(io), st_close(dio);
    backend_free(cpu);
    return harness_exit();
}
