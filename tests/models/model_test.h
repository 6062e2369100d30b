// model_test.h — helpers for the golden model tests: open fixture files, compare against reference
// tensors with the tolerance form (max |diff| <= rel * max |ref| [+ abs]).
#ifndef LS_MODEL_TEST_H
#define LS_MODEL_TEST_H

#include <stdio.h>

#include "backends.h"
#include "harness.h"
#include "loader.h"
#include "model_files.h"
#include "models.h"

static inline st_file *open_fixture(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    st_file *f = NULL;
    if (st_open(&f, path) != LS_OK) fprintf(stderr, "FAIL: %s\n", ls_error());
    return f;
}

// Host copy of a fixture tensor as f32 on the CPU backend (caller frees .data).
static inline tensor fixture_tensor(st_file *f, const char *name, struct backend *cpu) {
    tensor view, t;
    if (st_tensor(f, name, &view) != LS_OK) {
        fprintf(stderr, "FAIL: %s\n", ls_error());
        exit(1);
    }
    LS_ASSERT(view.dtype == DTYPE_F32);
    t = view;
    t.backend = cpu;
    t.data = malloc(tensor_n_bytes(&view) + 4);
    memcpy(t.data, view.data, tensor_n_bytes(&view));
    return t;
}

// max |got - ref| <= rel * max |ref| + abs; prints the reached ratio.
static inline bool check_model_output(const char *name, const float *got, const tensor *ref, double rel, double abs) {
    int64_t n = tensor_n_elems(ref);
    const float *r = ref->data;
    double max_ref = 0, max_diff = 0;
    int64_t at = 0;
    bool finite = true;
    for (int64_t i = 0; i < n; i++) {
        max_ref = fabs(r[i]) > max_ref ? fabs(r[i]) : max_ref;
        if (!isfinite(got[i])) finite = false;
        double d = fabs((double)got[i] - r[i]);
        if (d > max_diff) max_diff = d, at = i;
    }
    double bound = rel * max_ref + abs;
    bool ok = finite && max_diff <= bound;
    harness_checks++;
    if (!ok) {
        harness_failures++;
        fprintf(stderr, "FAIL %s: max |diff| %.3g at %lld (got %.6g, ref %.6g) > bound %.3g (max |ref| %.3g)%s\n", name,
                max_diff, (long long)at, got[at], r[at], bound, max_ref, finite ? "" : ", non-finite output");
    } else {
        printf("pass %-40s max |diff| %.3g = %.2e x max |ref| (%.3g); bound %.3g (%.0f%% used)\n", name, max_diff,
               max_ref > 0 ? max_diff / max_ref : 0, max_ref, bound, bound > 0 ? 100 * max_diff / bound : 0);
    }
    return ok;
}

#endif
