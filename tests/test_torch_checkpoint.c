// test_torch_checkpoint.c — PyTorch checkpoints written by real torch.save (tests/reference/
// make_torch_checkpoints.py): every tensor read back bit-exact (SHA-256 of its contiguous bytes) including
// views with offsets, non-contiguous strides and shared storages, protocol 2 and the default protocol,
// nested dicts, scalars; and every hostile or broken file refused with its expected one-line message.
// Also SHA-256 itself against the FIPS test vectors.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "weights_convert.h"

static void sha_vectors(void) {
    struct sha256 s;
    char hex[65];
    sha256_init(&s);
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "sha256('') %s", hex);
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256(abc) %s", hex);
    sha256_init(&s);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (size_t i = 0; i < strlen(m); i++) sha256_update(&s, m + i, 1); // byte at a time
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "sha256(448 bits) %s", hex);
}

static void read_back(const char *dir, const char *file) {
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/torch/%s", dir, file);
    torch_checkpoint *ck;
    CHECK_OK(torch_checkpoint_open(&ck, path));
    if (!ck) return;
    snprintf(path, sizeof path, "%s/torch/expected.txt", dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char name[256], dt[16], shape[64], digest[80];
        long long value;
        if (sscanf(line, "int %255s %lld", name, &value) == 2) {
            int64_t got;
            CHECK(torch_checkpoint_int(ck, name, &got) && got == value, "%s: scalar %s", file, name);
            continue;
        }
        if (sscanf(line, "%255s %15s %63s %79s", name, dt, shape, digest) != 4) continue;
        const struct torch_tensor *t = torch_checkpoint_find(ck, name);
        CHECK(t != NULL, "%s: tensor %s found", file, name);
        if (!t) continue;
        char got_shape[64] = "";
        for (int d = 0; d < t->n_dims; d++)
            snprintf(got_shape + strlen(got_shape), sizeof got_shape - strlen(got_shape), d ? "x%lld" : "%lld",
                     (long long)t->shape[d]);
        if (!t->n_dims) strcpy(got_shape, "-");
        CHECK(!strcmp(st_dtype_name(t->dtype), dt) && !strcmp(got_shape, shape), "%s: %s is %s %s, expected %s %s", file,
              name, st_dtype_name(t->dtype), got_shape, dt, shape);
        int64_t numel = 1;
        for (int d = 0; d < t->n_dims; d++) numel *= t->shape[d];
        size_t bytes = (size_t)numel * st_dtype_size(t->dtype);
        void *buf = malloc(bytes + 1);
        CHECK_OK(torch_tensor_read_raw(ck, t, buf));
        struct sha256 s;
        char hex[65];
        sha256_init(&s);
        sha256_update(&s, buf, bytes);
        sha256_final(&s, hex);
        CHECK(!strcmp(hex, digest), "%s: %s bytes differ", file, name);
        free(buf);
        n++;
    }
    if (f) fclose(f);
    CHECK(n == 16 && torch_checkpoint_count(ck) == 16, "%s: %d tensors checked, %d in the file", file, n,
          torch_checkpoint_count(ck));
    const struct torch_tensor *t = torch_checkpoint_find(ck, "state_dict.transposed");
    CHECK(t && !t->contiguous, "transposed view is not contiguous");
    const struct torch_tensor *a = torch_checkpoint_find(ck, "state_dict.shared_a"), *b = torch_checkpoint_find(ck, "state_dict.shared_b");
    CHECK(a && b && a->storage == b->storage && b->offset == 12, "shared storage");
    // conversion to f32 of a non-contiguous f16-free view, and f16 -> f32
    float v[48];
    CHECK_OK(torch_tensor_read(ck, t, DTYPE_F32, v));
    const struct torch_tensor *h = torch_checkpoint_find(ck, "state_dict.f16");
    uint16_t raw[12];
    float conv[12];
    CHECK_OK(torch_tensor_read_raw(ck, h, raw));
    CHECK_OK(torch_tensor_read(ck, h, DTYPE_F32, conv));
    bool same = true;
    for (int i = 0; i < 12; i++) same = same && conv[i] == f16_to_f32(raw[i]);
    CHECK(same, "f16 -> f32 conversion");
    torch_checkpoint_close(ck);
}

static void hostile(const char *dir) {
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/torch/bad_expected.txt", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = '\0';
        char *frag = tab + 1;
        frag[strcspn(frag, "\n")] = '\0';
        snprintf(path, sizeof path, "%s/torch/%s.pt", dir, line);
        torch_checkpoint *ck = NULL;
        ls_error_clear();
        ls_status s = torch_checkpoint_open(&ck, path);
        CHECK(s != LS_OK && !ck && strstr(ls_error(), frag) && strstr(ls_error(), line) && !strchr(ls_error(), '\n'),
              "%s: '%s' (expected '%s')", line, ls_error(), frag);
        torch_checkpoint_close(ck);
        n++;
    }
    if (f) fclose(f);
    CHECK(n >= 20, "%d hostile files", n);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_torch_checkpoint DATA_DIR\n"), 2;
    sha_vectors();
    read_back(argv[1], "state.pt");
    read_back(argv[1], "state_proto2.pt");
    hostile(argv[1]);
    return harness_exit();
}
