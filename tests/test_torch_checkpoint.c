// test_torch_checkpoint.c — the PyTorch checkpoint reader (weights-convert/) against files written by real
// torch.save and against hostile files (tests/reference/make_torch_checkpoints.py): every tensor of every
// good file is compared bit-exact with torch's own contiguous bytes (and with torch's f32/f16/bf16
// conversions), with its storage offset, strides and storage sharing; scalars by dotted path; every bad
// file must fail with its expected one-line message; SHA-256 against FIPS vectors. Usage: test_torch_checkpoint
// DATA_DIR (tests/data).
#include <dirent.h>
#include <ctype.h>

#include "harness.h"
#include "loader.h"
#include "weights_convert.h"

static const char *data_dir;

static void path_of(char *buf, size_t n, const char *sub, const char *name) {
    snprintf(buf, n, "%s/torch/%s/%s", data_dir, sub, name);
}

static bool same_dtype_name(pt_dtype dt, st_dtype sdt) {
    char up[16];
    const char *n = pt_dtype_name(dt);
    size_t i = 0;
    for (; n[i] && i + 1 < sizeof up; i++)
        up[i] = (char)toupper((unsigned char)n[i]);
    up[i] = '\0';
    return !strcmp(up, st_dtype_name(sdt));
}

static float element_f32(pt_dtype dt, const uint8_t *p) {
    uint16_t h;
    float f;
    switch (dt) {
    case PT_F32: memcpy(&f, p, 4); return f;
    case PT_F16: memcpy(&h, p, 2); return f16_to_f32(h);
    case PT_BF16: memcpy(&h, p, 2); return bf16_to_f32(h);
    default: return 0.0f;
    }
}

// Copies a tensor as `dt` and compares with the expected entry byte for byte.
static void check_copy(const char *file, const struct pt_tensor *t, pt_dtype dt, const struct st_entry *e) {
    size_t n = (size_t)t->n_elems * pt_dtype_size(dt);
    CHECK(e->n_bytes == n, "%s: '%s' as %s: %zu bytes, expected %llu", file, t->name, pt_dtype_name(dt), n,
          (unsigned long long)e->n_bytes);
    if (e->n_bytes != n) return;
    void *buf = malloc(n + 8);
    CHECK_OK(pt_tensor_copy(t, dt, buf, n));
    size_t size = pt_dtype_size(dt), at = 0;
    for (; at < n; at += size) {
        if (!memcmp((uint8_t *)buf + at, (const uint8_t *)e->data + at, size)) continue;
        // a conversion may give another NaN payload than torch's (torch 1.13 turns f32 NaN into bf16 0xffff)
        if (dt != t->dtype && isnan(element_f32(dt, (uint8_t *)buf + at)) &&
            isnan(element_f32(dt, (const uint8_t *)e->data + at)))
            continue;
        break;
    }
    CHECK(at >= n, "%s: '%s' as %s differs from torch at byte %zu of %zu", file, t->name, pt_dtype_name(dt), at, n);
    free(buf);
}

static void check_scalar(const pt_file *f, const char *file, const char *path, const char *want) {
    const pt_value *v = pt_lookup(f, path);
    CHECK(v != NULL, "%s: scalar '%s' not found", file, path);
    if (!v) return;
    const char *colon = strchr(want, ':'), *val = colon + 1;
    size_t kind_len = (size_t)(colon - want);
    int64_t i;
    double d;
    bool b;
    if (!strncmp(want, "int", kind_len)) {
        CHECK(pt_value_kind(v) == PT_KIND_INT && pt_value_int(v, &i) && i == strtoll(val, NULL, 10),
              "%s: '%s' should be int %s", file, path, val);
        int64_t got = 0;
        CHECK_OK(pt_get_int(f, path, &got));
    } else if (!strncmp(want, "float", kind_len)) {
        CHECK(pt_value_kind(v) == PT_KIND_FLOAT && pt_value_float(v, &d) && d == strtod(val, NULL),
              "%s: '%s' should be float %s", file, path, val);
        double got = 0;
        CHECK_OK(pt_get_float(f, path, &got));
    } else if (!strncmp(want, "str", kind_len)) {
        const char *s = NULL;
        CHECK_OK(pt_get_str(f, path, &s));
        CHECK(s && !strcmp(s, val), "%s: '%s' is '%s', expected '%s'", file, path, s ? s : "(null)", val);
    } else if (!strncmp(want, "bool", kind_len)) {
        CHECK(pt_value_bool(v, &b) && b == !strcmp(val, "True"), "%s: '%s' should be %s", file, path, val);
    } else if (!strncmp(want, "none", kind_len)) {
        CHECK(pt_value_kind(v) == PT_KIND_NONE, "%s: '%s' is a %s, expected None", file, path,
              pt_kind_name(pt_value_kind(v)));
    } else if (!strncmp(want, "bytes", kind_len)) {
        CHECK(pt_value_kind(v) == PT_KIND_BYTES, "%s: '%s' is a %s, expected bytes", file, path,
              pt_kind_name(pt_value_kind(v)));
    } else {
        CHECK(false, "unknown scalar kind in '%s'", want);
    }
}

static void check_good_file(st_file *ex, const char *file) {
    char path[1024], key[1024];
    path_of(path, sizeof path, "good", file);
    pt_file *f = NULL;
    CHECK_OK(pt_open(&f, path, NULL));
    if (!f) return;
    snprintf(key, sizeof key, "%s:count", file);
    int want_count = atoi(st_metadata(ex, key));
    snprintf(key, sizeof key, "%s:select", file);
    CHECK(!strcmp(pt_selected(f), st_metadata(ex, key)), "%s: selected '%s', expected '%s'", file, pt_selected(f),
          st_metadata(ex, key));
    snprintf(key, sizeof key, "%s:top", file);
    CHECK(!strcmp(pt_top(f), st_metadata(ex, key)), "%s: top '%s', expected '%s'", file, pt_top(f),
          st_metadata(ex, key));
    CHECK(pt_format_version(f) == 3, "%s: format version %lld", file, (long long)pt_format_version(f));
    CHECK(pt_count(f) == want_count, "%s: %d tensors, expected %d", file, pt_count(f), want_count);
    CHECK_OK(pt_verify_crc(f));
    int n_bytes_checked = 0;
    for (int i = 0; i < pt_count(f); i++) {
        const struct pt_tensor *t = pt_tensor_at(f, i);
        CHECK(pt_find(f, t->name) == t, "%s: pt_find('%s')", file, t->name);
        snprintf(key, sizeof key, "%s:%s", file, t->name);
        const struct st_entry *e = st_find(ex, key);
        CHECK(e != NULL, "%s: unexpected tensor '%s'", file, t->name);
        if (!e) continue;
        CHECK(same_dtype_name(t->dtype, e->dtype), "%s: '%s' is %s, torch says %s", file, t->name,
              pt_dtype_name(t->dtype), st_dtype_name(e->dtype));
        bool same_shape = t->n_dims == e->n_dims;
        for (int d = 0; same_shape && d < t->n_dims; d++)
            same_shape = t->shape[d] == e->shape[d];
        CHECK(same_shape, "%s: '%s' has another shape than torch's", file, t->name);
        if (!same_shape) continue;
        check_copy(file, t, t->dtype, e);
        n_bytes_checked++;
        static const pt_dtype conv[] = {PT_F32, PT_F16, PT_BF16};
        for (int c = 0; c < 3; c++) {
            snprintf(key, sizeof key, "%s:%s@%s", file, t->name, pt_dtype_name(conv[c]));
            const struct st_entry *ce = st_find(ex, key);
            if (ce) check_copy(file, t, conv[c], ce);
        }
        // layout: "offset;stride,stride"
        snprintf(key, sizeof key, "%s:layout:%s", file, t->name);
        const char *layout = st_metadata(ex, key);
        char got[256];
        int n = snprintf(got, sizeof got, "%lld;", (long long)t->storage_offset);
        for (int d = 0; d < t->n_dims; d++)
            n += snprintf(got + n, sizeof got - (size_t)n, d ? ",%lld" : "%lld", (long long)t->stride[d]);
        CHECK(layout && !strcmp(layout, got), "%s: '%s' layout %s, torch says %s", file, t->name, got,
              layout ? layout : "?");
        // storage sharing: same storage exactly when torch's storages are the same
        snprintf(key, sizeof key, "%s:shares:%s", file, t->name);
        const char *group = st_metadata(ex, key);
        for (int j = 0; group && j < i; j++) {
            const struct pt_tensor *u = pt_tensor_at(f, j);
            snprintf(key, sizeof key, "%s:shares:%s", file, u->name);
            const char *ugroup = st_metadata(ex, key);
            bool torch_shares = ugroup && !strcmp(group, ugroup);
            CHECK(torch_shares == (t->storage == u->storage), "%s: '%s' and '%s' %s a storage in torch", file, t->name,
                  u->name, torch_shares ? "share" : "do not share");
        }
        // zero-copy view where possible
        tensor view;
        dtype rdt;
        if (t->contiguous && pt_dtype_to_runtime(t->dtype, &rdt) && t->n_dims <= TENSOR_MAX_DIMS) {
            ls_status s = pt_tensor_view(t, &view);
            if (s == LS_OK)
                CHECK(!memcmp(view.data, e->data, e->n_bytes), "%s: view of '%s' differs", file, t->name);
            else
                CHECK(strstr(ls_error(), "not aligned") != NULL, "%s: view of '%s': %s", file, t->name, ls_error());
        } else {
            CHECK(pt_tensor_view(t, &view) != LS_OK, "%s: view of '%s' should fail", file, t->name);
        }
    }
    CHECK(n_bytes_checked == want_count, "%s: %d of %d tensors checked", file, n_bytes_checked, want_count);
    // scalars
    char prefix[256];
    int n_prefix = snprintf(prefix, sizeof prefix, "%s:scalar:", file);
    for (int i = 0; i < st_metadata_count(ex); i++) {
        const char *k, *v;
        st_metadata_at(ex, i, &k, &v);
        if (!strncmp(k, prefix, (size_t)n_prefix)) check_scalar(f, file, k + n_prefix, v);
    }
    pt_close(f);
}

// --- hostile files ---------------------------------------------------------------------------------------------

static const struct bad_case {
    const char *file;
    ls_status status;
    const char *needle;
} bad_cases[] = {
    {"truncated.pt", LS_ERR_INPUT, "no end of central directory record"},
    {"bad_cd_signature.pt", LS_ERR_INPUT, "central directory entry 0: bad signature"},
    {"entry_size_lies.pt", LS_ERR_INPUT, "extend past the central directory"},
    {"stored_sizes_differ.pt", LS_ERR_INPUT, "declares 48 bytes stored but 4096 bytes uncompressed"},
    {"zip_bomb_sizes.pt", LS_ERR_INPUT, "4611686018427387904 bytes at offset"},
    {"overlap.pt", LS_ERR_INPUT, "overlap"},
    {"entry_count.pt", LS_ERR_INPUT, "entry count 1000 does not fit"},
    {"local_header_offset.pt", LS_ERR_INPUT, "bad local header signature"},
    {"compressed.pt", LS_ERR_INPUT, "is compressed (method 8, deflate)"},
    {"not_a_zip.pt", LS_ERR_INPUT, "not a zip file"},
    {"crc_mismatch.pt", LS_ERR_INPUT, "CRC-32"},
    {"no_data_pkl.pt", LS_ERR_INPUT, "without '<top>/data.pkl'"},
    {"big_endian.pt", LS_ERR_INPUT, "byteorder record says 'big'"},
    {"missing_storage.pt", LS_ERR_INPUT, "storage record 'archive/data/0' is missing"},
    {"legacy.pt", LS_ERR_INPUT,
     "legacy torch.save format (torch < 1.6, not a zip archive); hint: re-save with "
     "torch>=1.6 (torch.save(..., _use_new_zipfile_serialization=True))"},
    {"bare_pickle.pt", LS_ERR_INPUT, "a bare pickle, not a PyTorch zip checkpoint; hint: re-save"},
    {"torchscript.pt", LS_ERR_INPUT, "a TorchScript archive"},
    {"global_os_system.pt", LS_ERR_INPUT, "pickle global 'os.system' is not allowed (loading never runs code)"},
    {"global_reduce.pt", LS_ERR_INPUT, "pickle global 'posix.system' is not allowed (loading never runs code)"},
    {"global_eval.pt", LS_ERR_INPUT, "pickle global 'builtins.eval' is not allowed (loading never runs code)"},
    {"global_in_torch_save.pt", LS_ERR_INPUT, "pickle global 'posix.system' is not allowed"},
    {"global_subprocess.pt", LS_ERR_INPUT, "pickle global 'subprocess.Popen' is not allowed"},
    {"unknown_opcode.pt", LS_ERR_INPUT, "unknown or unsupported opcode (opcode 0xff at byte 3)"},
    {"inst_opcode.pt", LS_ERR_INPUT, "unknown or unsupported opcode 'i'"},
    {"deep_nesting.pt", LS_ERR_INPUT, "containers nested deeper than 100 levels"},
    {"many_marks.pt", LS_ERR_INPUT, "more than 1000 open MARKs"},
    {"no_stop.pt", LS_ERR_INPUT, "without STOP"},
    {"truncated_pickle.pt", LS_ERR_INPUT, "GLOBAL name without a newline"},
    {"string_length.pt", LS_ERR_INPUT, "str of 2147483647 bytes (at most 1048576)"},
    {"empty_memo.pt", LS_ERR_INPUT, "memo slot 5 is empty"},
    {"stack_underflow.pt", LS_ERR_INPUT, "stack underflow"},
    {"huge_int.pt", LS_ERR_INPUT, "integer of 9 bytes (more than 64 bits)"},
    {"protocol_9.pt", LS_ERR_INPUT, "protocol 9 (this reader takes 2 to 5)"},
    {"storage_too_small.pt", LS_ERR_INPUT,
     "tensor 'w': shape (4, 4), strides (4, 1) from offset 0 reach element 15, "
     "storage '0' has 12 f32 elements"},
    {"offset_past_storage.pt", LS_ERR_INPUT, "reach element 13, storage '0' has 12"},
    {"record_too_small.pt", LS_ERR_INPUT, "storage '0' holds 48 bytes, its pickle declares 16 f32 elements (64 bytes)"},
    {"shape_overflow.pt", LS_ERR_INPUT, "shape (1099511627776, 1099511627776) has more elements than fit in 64 bits"},
    {"stride_overflow.pt", LS_ERR_INPUT, "reach element > "},
    {"too_many_dims.pt", LS_ERR_INPUT, "tensor size has 9 dimensions (at most 8)"},
    {"negative_dim.pt", LS_ERR_INPUT, "tensor size[1] is negative (-4)"},
    {"complex_storage.pt", LS_ERR_INPUT, "pickle global 'torch.ComplexFloatStorage' is not allowed"},
    {"shared_storage_dtypes.pt", LS_ERR_INPUT, "storage '0' is 48 bytes of f32 for tensor 'a' but 48 bytes of f16"},
    {"duplicate_names.pt", LS_ERR_INPUT, "tensor name 'a.b' appears twice"},
    {"shared_blowup.pt", LS_ERR_INPUT, "more than 262144 tensors"},
    {"empty.pt", LS_ERR_INPUT, "file is empty"},
    {"cd_offset.pt", LS_ERR_INPUT,
     "central directory (offset 4000000000, 183 bytes) does not end before the end record"},
};

static void check_bad_files(void) {
    char path[1024];
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        path_of(path, sizeof path, "bad", c->file);
        pt_file *f = NULL;
        CHECK_FAILS(pt_open(&f, path, NULL), c->status, c->needle);
        CHECK(f == NULL, "%s: no file object on failure", c->file);
        CHECK(!strchr(ls_error(), '\n'), "%s: message is not one line", c->file);
        CHECK(!strncmp(ls_error(), path, strlen(path)), "%s: message does not start with the path: %s", c->file,
              ls_error());
        printf("refused %-28s %s\n", c->file, ls_error() + strlen(path) + 2);
        pt_close(f);
    }
    // every file in bad/ has an expectation (plus the unmodified base, which must load)
    snprintf(path, sizeof path, "%s/torch/bad", data_dir);
    DIR *dir = opendir(path);
    CHECK(dir != NULL, "cannot list %s", path);
    int n_files = 0;
    for (struct dirent *d; dir && (d = readdir(dir));) {
        if (d->d_name[0] == '.') continue;
        n_files++;
        bool known = !strcmp(d->d_name, "ok_reference.pt");
        for (size_t i = 0; !known && i < sizeof bad_cases / sizeof *bad_cases; i++)
            known = !strcmp(d->d_name, bad_cases[i].file);
        CHECK(known, "bad/%s has no expected error in this test", d->d_name);
    }
    if (dir) closedir(dir);
    CHECK(n_files == (int)(sizeof bad_cases / sizeof *bad_cases) + 1, "%d files in bad/", n_files);
    path_of(path, sizeof path, "bad", "ok_reference.pt");
    pt_file *f = NULL;
    CHECK_OK(pt_open(&f, path, NULL));
    if (f) {
        CHECK(pt_count(f) == 1 && pt_find(f, "w") && pt_find(f, "w")->n_elems == 12,
              "ok_reference.pt: one (3, 4) tensor");
        pt_close(f);
    }
}

// SHA-256 (sha256.c, the converter's source digest) against the FIPS 180-4 examples.
static void check_sha256(void) {
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
    for (size_t i = 0; i < strlen(m); i++)
        sha256_update(&s, m + i, 1); // a byte at a time
    sha256_final(&s, hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "sha256(448 bits) %s", hex);
}

// --- API details -------------------------------------------------------------------------------------------------

static void *read_all(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *buf = malloc(*n);
    if (fread(buf, 1, *n, fp) != *n) *n = 0;
    fclose(fp);
    return buf;
}

static void check_api(void) {
    char path[1024];
    pt_file *f = NULL;
    CHECK_FAILS(pt_open(&f, "/nonexistent/model.pt", NULL), LS_ERR_IO, "/nonexistent/model.pt: cannot open");

    // explicit selections of the Whisper file
    path_of(path, sizeof path, "good", "whisper_tiny.pt");
    CHECK_OK(pt_open(&f, path, ""));
    if (f) {
        CHECK(!strcmp(pt_selected(f), "") && pt_find(f, "model_state_dict.encoder.conv1.weight"),
              "root selection gives dotted names");
        int64_t v = 0;
        CHECK_FAILS(pt_get_int(f, "dims.nope", &v), LS_ERR_INPUT, "no 'dims.nope' in the checkpoint");
        CHECK_FAILS(pt_get_str(f, "dims.n_mels", &(const char *){NULL}), LS_ERR_INPUT,
                    "'dims.n_mels' is an int, expected a str");
        CHECK(pt_lookup(f, "model_state_dict.encoder.conv1.weight") &&
                  pt_value_kind(pt_lookup(f, "model_state_dict.encoder.conv1.weight")) == PT_KIND_TENSOR,
              "dotted lookup through a key holding dots");
        const pt_value *dims = pt_lookup(f, "dims");
        CHECK(dims && pt_value_len(dims) == 10 && pt_value_kind(pt_value_key(dims, 0)) == PT_KIND_STR,
              "dims is a dict of 10");
        pt_close(f);
    }
    CHECK_OK(pt_open(&f, path, "dims")); // a dict without tensors
    if (f) {
        CHECK(pt_count(f) == 0, "dims holds no tensors");
        pt_close(f);
    }
    CHECK_FAILS(pt_open(&f, path, "dims.n_mels"), LS_ERR_INPUT, "'dims.n_mels' is an int, not a dict of tensors");
    CHECK_FAILS(pt_open(&f, path, "optimizer"), LS_ERR_INPUT, "no dict 'optimizer' in the checkpoint");

    // the same file from memory
    size_t n = 0;
    void *bytes = read_all(path, &n);
    CHECK_OK(pt_open_memory(&f, bytes, n, "mem.pt", NULL));
    if (f) {
        const struct pt_tensor *t = pt_find(f, "encoder.conv1.weight");
        CHECK(t && t->dtype == PT_F16 && t->n_dims == 3 && t->shape[0] == 16 && t->shape[1] == 8 && t->shape[2] == 3,
              "conv1.weight (16, 8, 3) f16");
        if (t) {
            float *buf = malloc((size_t)t->n_elems * 4);
            CHECK_FAILS(pt_tensor_copy(t, PT_F32, buf, 4), LS_ERR_SHAPE, "needs 1536 bytes, the buffer has 4");
            CHECK_FAILS(pt_tensor_copy(t, PT_I64, buf, (size_t)t->n_elems * 8), LS_ERR_DTYPE,
                        "is f16 and cannot be copied as i64");
            free(buf);
        }
        pt_close(f);
    }
    free(bytes);
    CHECK_FAILS(pt_open_memory(&f, "PK", 2, "tiny.pt", NULL), LS_ERR_INPUT, "tiny.pt: not a zip file (2 bytes");

    path_of(path, sizeof path, "good", "dtypes.pt");
    CHECK_OK(pt_open(&f, path, NULL));
    if (f) {
        const struct pt_tensor *t = pt_find(f, "i64");
        int64_t buf[4];
        CHECK(t != NULL, "dtypes.pt has i64");
        if (t)
            CHECK_FAILS(pt_tensor_copy(t, PT_F32, buf, 16), LS_ERR_DTYPE,
                        "is i64 and cannot be copied as f32 (only as itself)");
        pt_close(f);
    }
}

// Checkpoints written by the original projects' code for the model golden tests (tests/reference/
// make_model_fixtures.py): they must open, expose their configuration and copy every tensor to finite f32.
static void check_model_fixtures(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/models/whisper/tiny_random.pt", data_dir);
    pt_file *f = NULL;
    if (pt_open(&f, path, NULL) != LS_OK && strstr(ls_error(), "cannot open")) return; // fixture absent
    CHECK(f != NULL, "%s: %s", path, ls_error());
    if (f) {
        int64_t state = 0, layers = 0, mels = 0;
        CHECK_OK(pt_get_int(f, "dims.n_audio_state", &state));
        CHECK_OK(pt_get_int(f, "dims.n_audio_layer", &layers));
        CHECK_OK(pt_get_int(f, "dims.n_mels", &mels));
        const struct pt_tensor *c1 = pt_find(f, "encoder.conv1.weight");
        CHECK(c1 && c1->shape[0] == state && c1->shape[1] == mels, "whisper conv1 agrees with dims");
        int finite = 0;
        for (int i = 0; i < pt_count(f); i++) {
            const struct pt_tensor *t = pt_tensor_at(f, i);
            float *buf = malloc((size_t)t->n_elems * 4 + 4);
            CHECK_OK(pt_tensor_copy(t, PT_F32, buf, (size_t)t->n_elems * 4));
            bool ok = true;
            for (int64_t k = 0; k < t->n_elems; k++)
                ok &= isfinite(buf[k]);
            finite += ok;
            free(buf);
        }
        CHECK(finite == pt_count(f), "whisper: %d of %d tensors finite", finite, pt_count(f));
        printf("pass %s: %d tensors, n_audio_state %lld, n_audio_layer %lld\n", path, pt_count(f), (long long)state,
               (long long)layers);
        pt_close(f);
    }
    snprintf(path, sizeof path, "%s/models/unet/latentsync_unet.pt", data_dir);
    CHECK_OK(pt_open(&f, path, NULL));
    if (f) {
        int64_t step = 0;
        CHECK_OK(pt_get_int(f, "global_step", &step));
        const struct pt_tensor *t = pt_find(f, "conv_in.weight");
        CHECK(t && t->n_dims == 4 && t->shape[1] == 13, "unet conv_in takes 13 channels");
        CHECK(!strcmp(pt_selected(f), "state_dict"), "unet tensors from state_dict");
        CHECK_OK(pt_verify_crc(f));
        printf("pass %s: %d tensors, global_step %lld\n", path, pt_count(f), (long long)step);
        pt_close(f);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_torch_checkpoint DATA_DIR\n"), 2;
    data_dir = argv[1];
    char path[1024];
    snprintf(path, sizeof path, "%s/torch/expected.safetensors", data_dir);
    st_file *ex = NULL;
    if (st_open(&ex, path) != LS_OK) {
        fprintf(stderr, "FAIL: %s; hint: run /usr/bin/python3 tests/reference/make_torch_checkpoints.py\n", ls_error());
        return 1;
    }
    const char *version = st_metadata(ex, "format_version");
    CHECK(version && !strcmp(version, "1"),
          "expected.safetensors format %s, this test reads 1; hint: rerun "
          "tests/reference/make_torch_checkpoints.py",
          version ? version : "?");
    char *files = strdup(st_metadata(ex, "files"));
    int n_files = 0;
    for (char *save = NULL, *file = strtok_r(files, ",", &save); file; file = strtok_r(NULL, ",", &save)) {
        int before = harness_failures;
        check_good_file(ex, file);
        printf("%s %s\n", harness_failures == before ? "pass" : "FAIL", file);
        n_files++;
    }
    CHECK(n_files >= 10, "%d good files", n_files);
    free(files);
    check_bad_files();
    check_api();
    check_model_fixtures();
    check_sha256();
    st_close(ex);
    return harness_exit();
}
