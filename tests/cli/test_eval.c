// test_eval.c — `latentsync eval` end to end: builds input files from the golden fixtures, runs the CLI for
// every component (the models given as the original .pt files and the diffusers VAE folder), and compares
// the written outputs with the original code's outputs at the golden tests' tolerances. Also the CLI's
// error behaviour: one-line messages and exit codes 1 (bad input) / 2 (usage).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "loader.h"

static const char *exe, *data;
static char tmp[64];

static int run(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > %s/stdout 2> %s/stderr", exe, args, tmp, tmp);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void copy_as(st_file *src, const char *const *from, const char *const *to, int n, const char *path) {
    tensor t[8];
    const tensor *tp[8];
    for (int i = 0; i < n; i++) {
        LS_ASSERT(st_tensor(src, from[i], &t[i]) == LS_OK);
        tp[i] = &t[i];
    }
    LS_ASSERT(st_save(path, n, to, tp, 0, NULL, NULL) == LS_OK);
}

static void compare(const char *out_path, const char *name, st_file *ref, const char *ref_name, double rel) {
    st_file *o;
    if (st_open(&o, out_path) != LS_OK) {
        CHECK(false, "%s", ls_error());
        return;
    }
    tensor a, b;
    CHECK_OK(st_tensor(o, name, &a));
    CHECK_OK(st_tensor(ref, ref_name, &b));
    if (tensor_same_shape(&a, &b)) {
        double max_ref = 0, max_diff = 0;
        for (int64_t i = 0; i < tensor_n_elems(&a); i++) {
            double r = ((float *)b.data)[i], d = fabs(((float *)a.data)[i] - r);
            max_ref = fabs(r) > max_ref ? fabs(r) : max_ref;
            max_diff = d > max_diff ? d : max_diff;
        }
        CHECK(max_diff <= rel * max_ref, "%s: max diff %g > %g x %g", out_path, max_diff, rel, max_ref);
        printf("pass eval %-12s max |diff| %.2e x max |ref|\n", name, max_diff / (max_ref > 0 ? max_ref : 1));
    } else {
        CHECK(false, "%s: output shape differs", out_path);
    }
    st_close(o);
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: test_eval LATENTSYNC DATA_DIR\n"), 2;
    exe = argv[1], data = argv[2];
    snprintf(tmp, sizeof tmp, "/tmp/ls_eval_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    char path[1024], in[600], out[600], args[3000];
    st_file *wio, *uio, *dio, *vio;
    snprintf(path, sizeof path, "%s/models/whisper_io.safetensors", data);
    LS_ASSERT(st_open(&wio, path) == LS_OK);
    snprintf(path, sizeof path, "%s/models/unet_io.safetensors", data);
    LS_ASSERT(st_open(&uio, path) == LS_OK);
    snprintf(path, sizeof path, "%s/models/denoise_io.safetensors", data);
    LS_ASSERT(st_open(&dio, path) == LS_OK);
    snprintf(path, sizeof path, "%s/models/vae_io.safetensors", data);
    LS_ASSERT(st_open(&vio, path) == LS_OK);

    snprintf(out, sizeof out, "%s/whisper_out.safetensors", tmp);
    snprintf(args, sizeof args, "eval whisper --model %s/models/whisper/tiny_random.pt --in %s/models/whisper_io.safetensors --out %s",
             data, data, out);
    CHECK(run(args) == 0, "eval whisper");
    compare(out, "features", wio, "features", 1e-4);

    snprintf(out, sizeof out, "%s/vae_enc.safetensors", tmp);
    snprintf(args, sizeof args, "eval vae-encode --model %s/models/vae --in %s/models/vae_io.safetensors --out %s", data, data, out);
    CHECK(run(args) == 0, "eval vae-encode");
    snprintf(out, sizeof out, "%s/vae_dec.safetensors", tmp);
    snprintf(args, sizeof args, "eval vae-decode --model %s/models/vae --in %s/models/vae_io.safetensors --out %s", data, data, out);
    CHECK(run(args) == 0, "eval vae-decode");
    compare(out, "images", vio, "decoded", 1e-4);

    snprintf(in, sizeof in, "%s/unet_in.safetensors", tmp);
    copy_as(uio, (const char *[]){"sample", "audio", "timestep"}, (const char *[]){"sample", "encoder_hidden_states", "timestep"}, 3, in);
    snprintf(out, sizeof out, "%s/unet_out.safetensors", tmp);
    snprintf(args, sizeof args, "eval unet --model %s/models/unet/latentsync_unet.pt --in %s --out %s", data, in, out);
    CHECK(run(args) == 0, "eval unet");
    compare(out, "out", uio, "out", 1e-3);

    snprintf(out, sizeof out, "%s/denoise_out.safetensors", tmp);
    snprintf(args, sizeof args, "eval denoise --model %s/models/unet --in %s/models/denoise_io.safetensors --out %s "
             "--steps 3 --guidance 1.5 --deepcache 3", data, data, out);
    CHECK(run(args) == 0, "eval denoise");
    compare(out, "latents", dio, "latents_deepcache", 1e-3);

    // errors: a one-line message and the right exit code, no output file
    snprintf(out, sizeof out, "%s/never.safetensors", tmp);
    snprintf(args, sizeof args, "eval unet --model %s/models/vae --in %s --out %s", data, in, out);
    CHECK(run(args) == 1 && access(out, F_OK) != 0, "a VAE folder as the UNet");
    snprintf(args, sizeof args, "eval whisper --model %s/models/unet/latentsync_unet.pt --in %s/models/whisper_io.safetensors --out %s",
             data, data, out);
    CHECK(run(args) == 1 && access(out, F_OK) != 0, "a UNet file as Whisper");
    snprintf(args, sizeof args, "eval unet --model %s/models/unet/latentsync_unet.pt --in %s/models/vae_io.safetensors --out %s",
             data, data, out);
    CHECK(run(args) == 1, "missing input tensor");
    CHECK(run("eval nosuch --model a --in b --out c") == 2, "unknown component");
    CHECK(run("eval unet --steps 0 --model a --in b --out c") == 2, "absurd flag");
    CHECK(run("eval unet --model /nonexistent --in /nonexistent --out /tmp/x") == 1, "missing files");
    snprintf(path, sizeof path, "%s/stderr", tmp);
    FILE *f = fopen(path, "r");
    char line[512];
    int lines = 0;
    while (f && fgets(line, sizeof line, f)) lines++;
    if (f) fclose(f);
    CHECK(lines == 1, "one line of error, got %d", lines);
    st_close(wio), st_close(uio), st_close(dio), st_close(vio);
    snprintf(args, sizeof args, "rm -rf %s", tmp);
    if (system(args) != 0) return 1;
    return harness_exit();
}
