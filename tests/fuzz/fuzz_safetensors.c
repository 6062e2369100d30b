// fuzz_safetensors.c — libFuzzer target for the safetensors reader: any bytes go through st_open_memory
// (the same validation st_open runs on a mapped file), then every successful parse is walked: lookups by
// name, metadata, runtime views. Build: CC=clang meson setup build-fuzz -Dfuzz=true -Dcuda=disabled;
// run: build-fuzz/tests/fuzz_safetensors tests/data/safetensors_bad -max_total_time=600.
#include <stddef.h>
#include <stdint.h>

#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file *f;
    if (st_open_memory(&f, data, size, "fuzz.safetensors") != LS_OK) return 0;
    volatile uint64_t sum = 0;
    for (int i = 0; i < st_count(f); i++) {
        const struct st_entry *e = st_entry_at(f, i);
        const struct st_entry *g = st_find(f, e->name);
        LS_ASSERT(g == e);
        if (e->n_bytes) sum += ((const uint8_t *)e->data)[e->n_bytes - 1]; // the last byte must be readable
        tensor t;
        (void)st_tensor(f, e->name, &t);
    }
    for (int i = 0; i < st_metadata_count(f); i++) {
        const char *k, *v;
        st_metadata_at(f, i, &k, &v);
        LS_ASSERT(st_metadata(f, k) != NULL);
    }
    (void)sum;
    st_close(f);
    return 0;
}
