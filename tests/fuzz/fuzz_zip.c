// fuzz_zip.c — libFuzzer target for the PyTorch checkpoint container: any bytes go through zip_open (the
// validation pt_open runs on a mapped file), every entry found is looked up by name and its last byte read,
// stored entries are CRC-checked; then the same bytes go through pt_open_memory (zip + records + pickle +
// tensor extraction) and every tensor listed is copied. Build: CC=clang meson setup build-fuzz -Dfuzz=true
// -Dcuda=disabled; run: build-fuzz/tests/fuzz_zip -max_total_time=600 -jobs=1 CORPUS tests/data/torch/good
// tests/data/torch/bad.
#include <stdint.h>
#include <stdlib.h>

#include "weights-convert-impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zip_archive z;
    if (zip_open(&z, data, size, "fuzz.pt") == LS_OK) {
        volatile uint32_t sum = 0;
        for (size_t i = 0; i < z.n_entries; i++) {
            const struct zip_entry *e = &z.entries[i];
            LS_ASSERT(zip_find(&z, e->name) == e);
            const uint8_t *p;
            uint64_t n;
            if (zip_data(&z, e, &p, &n) == LS_OK && n) {
                sum += p[n - 1]; // the last byte must be inside the input
                (void)zip_check_crc(&z, e);
            }
        }
        (void)sum;
        zip_close(&z);
    }
    pt_file *f;
    if (pt_open_memory(&f, data, size, "fuzz.pt", NULL) != LS_OK) return 0;
    for (int i = 0; i < pt_count(f); i++) {
        const struct pt_tensor *t = pt_tensor_at(f, i);
        LS_ASSERT(pt_find(f, t->name) == t);
        if (t->n_elems > (1 << 16)) continue; // expanded views of tiny storages can claim huge sizes
        size_t n = (size_t)t->n_elems;
        void *buf = malloc(n * 8 + 1); // room for any dtype
        LS_ASSERT(buf);
        if (pt_tensor_copy(t, PT_F32, buf, n * 4) != LS_OK)
            (void)pt_tensor_copy(t, t->dtype, buf, n * pt_dtype_size(t->dtype));
        free(buf);
    }
    (void)pt_verify_crc(f);
    pt_close(f);
    return 0;
}
