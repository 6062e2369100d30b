// harness.h — the tests' tiny framework (header-only, no dependencies beyond the runtime):
// check macros, seeded random data, tolerance comparison with NMSE + elementwise bounds (STYLE 8.2),
// host tensors with guard bytes, and backend enumeration (CPU always, CUDA when a GPU is present).
// A test program returns harness_exit(): 0 all passed, 1 a check failed, 77 skipped (meson's code).
#ifndef LS_TEST_HARNESS_H
#define LS_TEST_HARNESS_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static int harness_failures;
static int harness_checks;

#define CHECK(cond, ...)                                                                                        \
    do {                                                                                                        \
        harness_checks++;                                                                                       \
        if (!(cond)) {                                                                                          \
            harness_failures++;                                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                                                       \
            fputc('\n', stderr);                                                                                \
        }                                                                                                       \
    } while (0)

// Expects an ls_status call to succeed; prints the error message otherwise.
#define CHECK_OK(expr)                                                                                          \
    do {                                                                                                        \
        ls_status check_ok_s_ = (expr);                                                                         \
        CHECK(check_ok_s_ == LS_OK, "%s: %s", ls_status_name(check_ok_s_), ls_error());                         \
    } while (0)

// Expects a failure with the given status whose message contains `needle`.
#define CHECK_FAILS(expr, status, needle)                                                                       \
    do {                                                                                                        \
        ls_error_clear();                                                                                       \
        ls_status check_fails_s_ = (expr);                                                                      \
        CHECK(check_fails_s_ == (status) && strstr(ls_error(), (needle)) != NULL,                               \
              "got status '%s', message '%s'; expected '%s' containing '%s'", ls_status_name(check_fails_s_),   \
              ls_error(), ls_status_name(status), (needle));                                                    \
    } while (0)

static inline int harness_exit(void) {
    if (harness_failures) {
        fprintf(stderr, "%d of %d checks failed\n", harness_failures, harness_checks);
        return 1;
    }
    printf("ok: %d checks\n", harness_checks);
    return 0;
}

// --- random data ---------------------------------------------------------------------------------------

typedef struct rng {
    uint64_t state;
} rng;

static inline uint64_t rng_next(rng *r) { // splitmix64
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline float rng_uniform(rng *r) { return (float)((rng_next(r) >> 40) * (1.0 / 16777216.0)); } // [0, 1)
static inline float rng_normal(rng *r) {
    float u = rng_uniform(r), v = rng_uniform(r);
    return sqrtf(-2.0f * logf(u + 1e-12f)) * cosf(6.2831853f * v);
}
static inline void rng_fill(rng *r, float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = scale * rng_normal(r);
}

// --- comparison ------------------------------------------------------------------------------------------

struct tolerance {
    double atol, rtol, nmse;
};

// Compares n floats; prints one line on pass, details of the first mismatches on failure.
// Returns true on pass. NaN/Inf in `got` where `ref` is finite always fails.
static inline bool check_close(const char *name, const float *got, const float *ref, int64_t n, struct tolerance tol) {
    double err2 = 0.0, ref2 = 0.0, max_abs = 0.0, worst_ratio = 0.0;
    int64_t bad = 0, nonfinite = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        if (!isfinite(g) && isfinite(r)) {
            if (nonfinite++ < 3) fprintf(stderr, "  %s[%lld]: got %g, ref %g (non-finite)\n", name, (long long)i, g, r);
            continue;
        }
        double d = fabs(g - r), bound = tol.atol + tol.rtol * fabs(r);
        err2 += d * d;
        ref2 += r * r;
        if (d > max_abs) max_abs = d;
        if (bound > 0 && d / bound > worst_ratio) worst_ratio = d / bound;
        if (d > bound && bad++ < 5)
            fprintf(stderr, "  %s[%lld]: got %.8g, ref %.8g, |diff| %.3g > bound %.3g\n", name, (long long)i, g, r, d,
                    bound);
    }
    double nmse = ref2 > 0 ? err2 / ref2 : err2;
    bool ok = bad == 0 && nonfinite == 0 && nmse <= tol.nmse;
    harness_checks++;
    if (!ok) {
        harness_failures++;
        fprintf(stderr, "FAIL %s: %lld of %lld outside bounds, %lld non-finite, max |diff| %.3g, nmse %.3g (bound %.3g)\n",
                name, (long long)bad, (long long)n, (long long)nonfinite, max_abs, nmse, tol.nmse);
    } else {
        double pct = 100.0 * (worst_ratio > (tol.nmse > 0 ? nmse / tol.nmse : 0) ? worst_ratio : nmse / tol.nmse);
        printf("pass %-48s max|diff| %.2e nmse %.2e (worst %5.1f%% of bound)\n", name, max_abs, nmse, pct);
    }
    return ok;
}

// --- host tensors with guard bytes -------------------------------------------------------------------------

#define GUARD_BYTES 64
#define GUARD_BYTE 0xA5

// A malloc'd host tensor on `be` (must be the CPU backend) followed by guard bytes; free with host_free.
static inline tensor host_tensor(struct backend *be, dtype dt, int n_dims, const int64_t *shape) {
    tensor t;
    LS_ASSERT(tensor_wrap(&t, be, dt, n_dims, shape, NULL) == LS_OK);
    size_t n = tensor_n_bytes(&t);
    unsigned char *p = malloc(n + GUARD_BYTES + 1);
    LS_ASSERT(p);
    memset(p, 0, n);
    memset(p + n, GUARD_BYTE, GUARD_BYTES);
    t.data = p;
    return t;
}

static inline bool guard_intact(const tensor *t) {
    const unsigned char *p = (const unsigned char *)t->data + tensor_n_bytes(t);
    for (int i = 0; i < GUARD_BYTES; i++)
        if (p[i] != GUARD_BYTE) return false;
    return true;
}

static inline void host_free(tensor *t) {
    free(t->data);
    t->data = NULL;
}

#endif
