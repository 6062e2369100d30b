// linear.c — reference linear: out[m, n] = sum_k x[m, k] w[n, k] + bias[n].
#include "ref.h"

void ref_linear(const tensor *out, const tensor *x, const tensor *w, const tensor *bias) {
    int64_t n = w->shape[0], k = w->shape[1], m = tensor_n_elems(x) / (k ? k : 1);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = bias ? ref_get(bias, j) : 0.0;
            for (int64_t kk = 0; kk < k; kk++) acc += ref_get(x, i * k + kk) * ref_get(w, j * k + kk);
            ref_set(out, i * n + j, acc);
        }
}
