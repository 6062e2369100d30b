// fuzz_pickle.c — libFuzzer target for the restricted pickle machine: any bytes run as a checkpoint's
// data.pkl in which every storage record holds the same 256 bytes (pt_open_pickle), then every tensor
// found is copied (as f32, f16 and its own dtype) and the object tree is walked through the public
// accessors. Build: CC=clang meson setup build-fuzz -Dfuzz=true -Dcuda=disabled; seed corpus: the data.pkl
// of the fixtures (for f in tests/data/torch/good/*.pt; do unzip -p $f '*/data.pkl' > CORPUS/$(basename $f).pkl;
// done); run: build-fuzz/tests/fuzz_pickle -max_total_time=600 -jobs=1 CORPUS.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weights-convert-impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t walk(const pt_value *v, int depth, int *budget) {
    if (depth > 2 * PK_MAX_NESTING || --*budget < 0) return 0; // cycles and shared containers
    int64_t sum = 0, i;
    double d;
    bool b;
    const char *s = pt_value_str(v);
    if (s) sum += (int64_t)strlen(s);
    if (pt_value_int(v, &i)) sum += i & 1;
    if (pt_value_float(v, &d)) sum += d > 0;
    if (pt_value_bool(v, &b)) sum += b;
    size_t n = pt_value_len(v);
    for (size_t k = 0; k < n && k < 64; k++) {
        const pt_value *key = pt_value_key(v, k);
        if (key) sum += walk(key, depth + 1, budget);
        sum += walk(pt_value_item(v, k), depth + 1, budget);
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t storage[256];
    for (int i = 0; i < 256; i++)
        storage[i] = (uint8_t)(i * 37 + 11);
    pt_file *f;
    if (pt_open_pickle(&f, data, size, storage, sizeof storage, "fuzz.pt", NULL) != LS_OK) return 0;
    for (int i = 0; i < pt_count(f); i++) {
        const struct pt_tensor *t = pt_tensor_at(f, i);
        LS_ASSERT(pt_find(f, t->name) == t);
        if (t->n_elems > (1 << 16)) continue; // expanded views of tiny storages can claim huge sizes
        size_t n = (size_t)t->n_elems;
        void *buf = malloc(n * 8 + 1);
        LS_ASSERT(buf);
        (void)pt_tensor_copy(t, PT_F32, buf, n * 4);
        (void)pt_tensor_copy(t, PT_F16, buf, n * 2);
        (void)pt_tensor_copy(t, t->dtype, buf, n * pt_dtype_size(t->dtype));
        tensor view;
        (void)pt_tensor_view(t, &view);
        free(buf);
    }
    int budget = 100000;
    volatile int64_t sum = walk(pt_root(f), 0, &budget);
    int64_t step;
    (void)pt_get_int(f, "global_step", &step);
    (void)pt_lookup(f, "dims.n_mels");
    (void)sum;
    pt_close(f);
    return 0;
}
