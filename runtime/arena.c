// arena.c — bump allocation of activations from one backend buffer, LIFO release, peak tracking.
// A planning arena allocates nothing and only records the peak (see runtime.h).
#include <string.h>

#include "runtime.h"

#define ARENA_ALIGN_BYTES 256 // cuBLAS/cuDNN like 256-byte alignment; AVX-512 needs 64

ls_status arena_init(arena *a, struct backend *be, size_t capacity_bytes) {
    memset(a, 0, sizeof *a);
    a->backend = be;
    a->name = "arena";
    if (be->is_plan) {
        a->planning = true;
        return LS_OK;
    }
    void *p = NULL;
    if (capacity_bytes) {
        ls_status s = backend_alloc(be, capacity_bytes, &p);
        if (s) return ls_fail_context(s, "arena of %.1f MiB: ", (double)capacity_bytes / (1 << 20));
    }
    a->base = p;
    a->capacity_bytes = capacity_bytes;
    return LS_OK;
}

void arena_init_plan(arena *a) {
    memset(a, 0, sizeof *a);
    a->backend = backend_plan();
    a->planning = true;
    a->name = "plan";
}

void arena_free(arena *a) {
    if (!a) return;
    if (a->base) backend_release(a->backend, a->base);
    a->base = NULL;
    a->capacity_bytes = a->used_bytes = 0;
}

ls_status arena_bytes(arena *a, size_t n_bytes, void **ptr) {
    size_t start = (a->used_bytes + ARENA_ALIGN_BYTES - 1) & ~(size_t)(ARENA_ALIGN_BYTES - 1);
    size_t end = start + n_bytes;
    if (end < start) return ls_fail(LS_ERR_OOM, "%s: allocation of %zu bytes overflows", a->name, n_bytes);
    if (!a->planning && end > a->capacity_bytes)
        return ls_fail(LS_ERR_OOM, "%s: needs %.1f MiB, capacity %.1f MiB (plan the arena for this shape)", a->name,
                       (double)end / (1 << 20), (double)a->capacity_bytes / (1 << 20));
    a->used_bytes = end;
    if (end > a->peak_bytes) a->peak_bytes = end;
    *ptr = a->planning ? NULL : a->base + start;
    return LS_OK;
}

ls_status arena_tensor(arena *a, tensor *t, dtype dt, int n_dims, const int64_t *shape) {
    LS_TRY(tensor_wrap(t, a->backend, dt, n_dims, shape, NULL));
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++) {
        if (shape[i] && n > INT64_MAX / 16 / shape[i])
            return ls_fail(LS_ERR_OOM, "%s: tensor size overflows", a->name);
        n *= shape[i];
    }
    return arena_bytes(a, (size_t)n * dtype_size(dt), &t->data);
}

size_t arena_mark(const arena *a) { return a->used_bytes; }

void arena_release(arena *a, size_t mark) {
    LS_ASSERT(mark <= a->used_bytes);
    a->used_bytes = mark;
}

void arena_reset(arena *a) { a->used_bytes = 0; }
