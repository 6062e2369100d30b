// bench_ops.c — `latentsync bench ops`: the kernels at the real model shapes (bench_shapes.c). Each row is
// first checked against a double-precision recomputation of sampled outputs (a wrong kernel is refused,
// not timed), then timed; compute rows are printed beside OpenBLAS sgemm 2048^3 measured in the same run,
// attention beside a naive materialise-scores-then-softmax version, bandwidth rows beside memcpy.
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "bench.h"
#include "bench_shapes.h"
#include "commands.h"
#include "ops.h"

struct ctx {
    struct bench_options *o;
    struct backend *be;
    uint64_t seed;
    double sgemm_gflops, memcpy_gbps;
};

// --- helpers -------------------------------------------------------------------------------------------

static float frand(uint64_t *s) { // uniform in [-1, 1)
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

static float *host_rand(struct ctx *c, int64_t n, float scale) {
    float *p = malloc((size_t)n * 4);
    if (p)
        for (int64_t i = 0; i < n; i++) p[i] = scale * frand(&c->seed);
    return p;
}

// A device tensor holding a copy of host data.
static ls_status dev_tensor(struct ctx *c, tensor *t, int nd, const int64_t *shape, const float *host) {
    LS_TRY(tensor_wrap(t, c->be, DTYPE_F32, nd, shape, NULL));
    LS_TRY(backend_alloc(c->be, tensor_n_bytes(t), &t->data));
    if (host) LS_TRY(tensor_upload(t, host));
    return LS_OK;
}

static void dev_free(tensor *t) {
    backend_release(t->backend, t->data);
    t->data = NULL;
}

static ls_status sync_backend(void *arg) {
    struct backend *be = arg;
    return be->ops->sync(be->ctx);
}

static float *download(const tensor *t) {
    float *p = malloc(tensor_n_bytes(t));
    if (p && tensor_download(t, p) != LS_OK) {
        free(p);
        return NULL;
    }
    return p;
}

static bool skip(const struct ctx *c, const char *name) { return c->o->only && !strstr(name, c->o->only); }

static ls_status verdict(struct bench_row *row, double max_rel, double bound) {
    row->checked = true;
    row->max_rel_err = max_rel;
    if (!(max_rel <= bound))
        return ls_fail(LS_ERR_INPUT, "bench: %s %s: result differs from the reference (max rel err %.3g > %.3g); not timed",
                       row->name, row->shape, max_rel, bound);
    return LS_OK;
}

// --- sgemm and memcpy baselines ------------------------------------------------------------------------

struct sgemm_args {
    int n;
    float *a, *b, *c;
};

static ls_status run_sgemm(void *arg) {
    struct sgemm_args *s = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->n, s->n, s->n, 1.0f, s->a, s->n, s->b, s->n, 0.0f, s->c,
                s->n);
    return LS_OK;
}

static ls_status bench_sgemm(struct ctx *c) {
    struct sgemm_args s = {2048, NULL, NULL, NULL};
    int64_t n2 = (int64_t)s.n * s.n;
    s.a = host_rand(c, n2, 1.0f), s.b = host_rand(c, n2, 1.0f), s.c = calloc((size_t)n2, 4);
    struct bench_row row = {.name = "openblas sgemm", .variant = "openblas"};
    snprintf(row.shape, sizeof row.shape, "2048x2048x2048");
    row.flops = 2.0 * s.n * (double)s.n * s.n;
    ls_status st = LS_ERR_OOM;
    if (s.a && s.b && s.c) {
        openblas_set_num_threads(c->o->threads);
        st = bench_time(run_sgemm, &s, NULL, NULL, c->o->min_seconds, &row);
        openblas_set_num_threads(1); // the engine never shares the cores with OpenBLAS threads
    }
    if (!st) {
        c->sgemm_gflops = row.flops / row.median_s * 1e-9;
        snprintf(row.ratio_of, sizeof row.ratio_of, "(baseline)");
        bench_print_row(c->o, &row);
    }
    free(s.a), free(s.b), free(s.c);
    return st;
}

struct memcpy_args {
    void *dst, *src;
    size_t n;
};

static ls_status run_memcpy(void *arg) {
    struct memcpy_args *m = arg;
    memcpy(m->dst, m->src, m->n);
    return LS_OK;
}

static ls_status bench_memcpy(struct ctx *c) {
    struct memcpy_args m = {NULL, NULL, (size_t)256 << 20};
    m.src = malloc(m.n), m.dst = malloc(m.n);
    if (!m.src || !m.dst) {
        free(m.src), free(m.dst);
        return ls_fail(LS_ERR_OOM, "bench: memcpy buffers");
    }
    memset(m.src, 1, m.n), memset(m.dst, 0, m.n);
    struct bench_row row = {.name = "memcpy (1 thread)", .variant = "libc"};
    snprintf(row.shape, sizeof row.shape, "256 MiB");
    row.bytes = 2.0 * (double)m.n;
    ls_status st = bench_time(run_memcpy, &m, NULL, NULL, c->o->min_seconds, &row);
    if (!st) {
        c->memcpy_gbps = row.bytes / row.median_s * 1e-9;
        snprintf(row.ratio_of, sizeof row.ratio_of, "(bandwidth baseline)");
        bench_print_row(c->o, &row);
    }
    free(m.src), free(m.dst);
    return st;
}

// --- conv2d ----------------------------------------------------------------------------------------------

struct conv_args {
    tensor out, x, w, b;
    struct conv2d_params p;
};

static ls_status run_conv(void *arg) {
    struct conv_args *a = arg;
    return op_conv2d(&a->out, &a->x, &a->w, &a->b, &a->p);
}

static ls_status bench_conv(struct ctx *c, const struct conv_shape *s) {
    if (skip(c, s->label)) return LS_OK;
    int64_t ho = conv_out_size(s->h, s->k, s->stride, s->pad, s->pad, 1), wo = conv_out_size(s->w, s->k, s->stride, s->pad, s->pad, 1);
    int64_t xs[4] = {s->n, s->c_in, s->h, s->w}, ws[4] = {s->c_out, s->c_in, s->k, s->k}, bs[1] = {s->c_out};
    int64_t os[4] = {s->n, s->c_out, ho, wo}, kk = s->c_in * s->k * s->k;
    float *hx = host_rand(c, s->n * s->c_in * s->h * s->w, 1.0f);
    float *hw = host_rand(c, s->c_out * kk, 1.0f / sqrtf((float)kk)), *hb = host_rand(c, s->c_out, 1.0f);
    struct conv_args a = {.p = CONV2D_SAME(s->stride, s->pad)};
    struct bench_row row = {.variant = "implicit-gemm"};
    snprintf(row.name, sizeof row.name, "%s", s->label);
    snprintf(row.shape, sizeof row.shape, "%lldx%lldx%lldx%lld k%d", (long long)s->n, (long long)s->c_in,
             (long long)s->h, (long long)s->w, s->k);
    row.flops = 2.0 * (double)(s->n * s->c_out * ho * wo) * (double)kk;
    ls_status st = !hx || !hw || !hb ? ls_fail(LS_ERR_OOM, "bench: host buffers") : LS_OK;
    if (!st) st = dev_tensor(c, &a.x, 4, xs, hx);
    if (!st) st = dev_tensor(c, &a.w, 4, ws, hw);
    if (!st) st = dev_tensor(c, &a.b, 1, bs, hb);
    if (!st) st = dev_tensor(c, &a.out, 4, os, NULL);
    if (!st) st = run_conv(&a);
    float *out = st ? NULL : download(&a.out);
    if (!st && out) {
        double max_rel = 0.0;
        for (int t = 0; t < 64; t++) {
            int64_t n = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->n) % s->n;
            int64_t co = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->c_out) % s->c_out;
            int64_t oy = (int64_t)((frand(&c->seed) + 1) * 0.5 * ho) % ho, ox = (int64_t)((frand(&c->seed) + 1) * 0.5 * wo) % wo;
            double acc = hb[co], mag = fabs(hb[co]);
            for (int64_t ci = 0; ci < s->c_in; ci++)
                for (int ky = 0; ky < s->k; ky++)
                    for (int kx = 0; kx < s->k; kx++) {
                        int64_t iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                        if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) continue;
                        double term = (double)hx[((n * s->c_in + ci) * s->h + iy) * s->w + ix] *
                                      hw[((co * s->c_in + ci) * s->k + ky) * s->k + kx];
                        acc += term;
                        mag += fabs(term);
                    }
            double got = out[((n * s->c_out + co) * ho + oy) * wo + ox];
            double rel = fabs(got - acc) / (mag > 0 ? mag : 1);
            if (rel > max_rel || rel != rel) max_rel = rel;
        }
        st = verdict(&row, max_rel, 1e-5);
    }
    free(out);
    if (!st) st = bench_time(run_conv, &a, sync_backend, c->be, c->o->min_seconds, &row);
    if (!st) {
        row.ratio = row.flops / row.median_s * 1e-9 / c->sgemm_gflops;
        snprintf(row.ratio_of, sizeof row.ratio_of, "of sgemm GFLOP/s");
        bench_print_row(c->o, &row);
    }
    dev_free(&a.x), dev_free(&a.w), dev_free(&a.b), dev_free(&a.out);
    free(hx), free(hw), free(hb);
    return st;
}

// --- linear ----------------------------------------------------------------------------------------------

struct linear_args {
    tensor out, x, w, b;
};

static ls_status run_linear(void *arg) {
    struct linear_args *a = arg;
    return op_linear(&a->out, &a->x, &a->w, &a->b);
}

static ls_status bench_linear(struct ctx *c, const struct gemm_shape *s) {
    if (skip(c, s->label)) return LS_OK;
    int64_t xs[2] = {s->m, s->k}, ws[2] = {s->n, s->k}, bs[1] = {s->n}, os[2] = {s->m, s->n};
    float *hx = host_rand(c, s->m * s->k, 1.0f), *hw = host_rand(c, s->n * s->k, 1.0f / sqrtf((float)s->k));
    float *hb = host_rand(c, s->n, 1.0f);
    struct linear_args a = {0};
    struct bench_row row = {.variant = "packed-gemm"};
    snprintf(row.name, sizeof row.name, "%s", s->label);
    snprintf(row.shape, sizeof row.shape, "%lldx%lld * (%lldx%lld)^T", (long long)s->m, (long long)s->k,
             (long long)s->n, (long long)s->k);
    row.flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
    ls_status st = !hx || !hw || !hb ? ls_fail(LS_ERR_OOM, "bench: host buffers") : LS_OK;
    if (!st) st = dev_tensor(c, &a.x, 2, xs, hx);
    if (!st) st = dev_tensor(c, &a.w, 2, ws, hw);
    if (!st) st = dev_tensor(c, &a.b, 1, bs, hb);
    if (!st) st = dev_tensor(c, &a.out, 2, os, NULL);
    if (!st) st = run_linear(&a);
    float *out = st ? NULL : download(&a.out);
    if (!st && out) {
        double max_rel = 0.0;
        for (int t = 0; t < 64; t++) {
            int64_t i = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->m) % s->m;
            int64_t j = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->n) % s->n;
            double acc = hb[j], mag = fabs(hb[j]);
            for (int64_t k = 0; k < s->k; k++) {
                double term = (double)hx[i * s->k + k] * hw[j * s->k + k];
                acc += term;
                mag += fabs(term);
            }
            double rel = fabs(out[i * s->n + j] - acc) / (mag > 0 ? mag : 1);
            if (rel > max_rel || rel != rel) max_rel = rel;
        }
        st = verdict(&row, max_rel, 1e-5);
    }
    free(out);
    if (!st) st = bench_time(run_linear, &a, sync_backend, c->be, c->o->min_seconds, &row);
    if (!st) {
        row.ratio = row.flops / row.median_s * 1e-9 / c->sgemm_gflops;
        snprintf(row.ratio_of, sizeof row.ratio_of, "of sgemm GFLOP/s");
        bench_print_row(c->o, &row);
    }
    dev_free(&a.x), dev_free(&a.w), dev_free(&a.b), dev_free(&a.out);
    free(hx), free(hw), free(hb);
    return st;
}

// --- attention -------------------------------------------------------------------------------------------

struct attn_args {
    tensor out, q, k, v;
    struct attention_params p;
    // naive baseline (host)
    const float *hq, *hk, *hv;
    float *hout;
    const struct attn_shape *s;
    pool *pool;
};

static ls_status run_attn(void *arg) {
    struct attn_args *a = arg;
    return op_attention(&a->out, &a->q, &a->k, &a->v, &a->p);
}

// Naive: for each (batch, head), S = scale q k^T materialised (Tq x Tk), softmax rows, S v. Plain loops,
// threaded over (batch, head) with the same thread count.
static void naive_task(void *arg, int64_t task, int thread) {
    (void)thread;
    struct attn_args *a = arg;
    const struct attn_shape *s = a->s;
    int64_t b = task / s->heads, h = task % s->heads, d = s->head_dim, c = s->heads * d;
    float *sc = malloc((size_t)(s->tq * s->tk) * 4);
    if (!sc) return;
    for (int64_t i = 0; i < s->tq; i++) {
        const float *qi = a->hq + (b * s->tq + i) * c + h * d;
        float m = -INFINITY, sum = 0.0f;
        for (int64_t j = 0; j < s->tk; j++) {
            const float *kj = a->hk + (b * s->tk + j) * c + h * d;
            float acc = 0.0f;
            for (int64_t e = 0; e < d; e++) acc += qi[e] * kj[e];
            sc[i * s->tk + j] = acc * a->p.scale;
            m = fmaxf(m, sc[i * s->tk + j]);
        }
        for (int64_t j = 0; j < s->tk; j++) sum += (sc[i * s->tk + j] = expf(sc[i * s->tk + j] - m));
        for (int64_t j = 0; j < s->tk; j++) sc[i * s->tk + j] /= sum;
    }
    for (int64_t i = 0; i < s->tq; i++) {
        float *oi = a->hout + (b * s->tq + i) * c + h * d;
        for (int64_t e = 0; e < d; e++) oi[e] = 0.0f;
        for (int64_t j = 0; j < s->tk; j++) {
            const float *vj = a->hv + (b * s->tk + j) * c + h * d;
            float p = sc[i * s->tk + j];
            for (int64_t e = 0; e < d; e++) oi[e] += p * vj[e];
        }
    }
    free(sc);
}

static ls_status run_naive(void *arg) {
    struct attn_args *a = arg;
    pool_run(a->pool, a->s->batch * a->s->heads, naive_task, a);
    return LS_OK;
}

static ls_status bench_attention(struct ctx *c, const struct attn_shape *s) {
    if (skip(c, s->label)) return LS_OK;
    int64_t ch = s->heads * s->head_dim;
    int64_t qs[3] = {s->batch, s->tq, ch}, ks[3] = {s->batch, s->tk, ch};
    float *hq = host_rand(c, s->batch * s->tq * ch, 1.0f), *hk = host_rand(c, s->batch * s->tk * ch, 1.0f);
    float *hv = host_rand(c, s->batch * s->tk * ch, 1.0f), *hout = malloc((size_t)(s->batch * s->tq * ch) * 4);
    struct attn_args a = {.p = {(int)s->heads, 1.0f / sqrtf((float)s->head_dim)}, .hq = hq, .hk = hk, .hv = hv,
                          .hout = hout, .s = s};
    struct bench_row row = {0};
    snprintf(row.variant, sizeof row.variant, "%s", s->tq <= 32 && s->tk <= 32 ? "direct" : "flash-tiles");
    snprintf(row.name, sizeof row.name, "%s", s->label);
    snprintf(row.shape, sizeof row.shape, "b%lld tq%lld tk%lld h%lld d%lld", (long long)s->batch, (long long)s->tq,
             (long long)s->tk, (long long)s->heads, (long long)s->head_dim);
    row.flops = 4.0 * (double)s->batch * (double)s->heads * (double)s->tq * (double)s->tk * (double)s->head_dim;
    ls_status st = !hq || !hk || !hv || !hout ? ls_fail(LS_ERR_OOM, "bench: host buffers") : LS_OK;
    if (!st) st = dev_tensor(c, &a.q, 3, qs, hq);
    if (!st) st = dev_tensor(c, &a.k, 3, ks, hk);
    if (!st) st = dev_tensor(c, &a.v, 3, ks, hv);
    if (!st) st = dev_tensor(c, &a.out, 3, qs, NULL);
    if (!st) st = pool_init(&a.pool, c->o->threads);
    if (!st) st = run_attn(&a);
    float *out = st ? NULL : download(&a.out);
    if (!st && out) { // check sampled rows in double
        double max_rel = 0.0;
        for (int t = 0; t < 8; t++) {
            int64_t b = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->batch) % s->batch;
            int64_t h = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->heads) % s->heads;
            int64_t i = (int64_t)((frand(&c->seed) + 1) * 0.5 * s->tq) % s->tq, d = s->head_dim;
            double *w = malloc((size_t)s->tk * sizeof *w), m = -INFINITY, sum = 0.0;
            if (!w) break;
            for (int64_t j = 0; j < s->tk; j++) {
                double acc = 0.0;
                for (int64_t e = 0; e < d; e++) acc += (double)hq[(b * s->tq + i) * ch + h * d + e] * hk[(b * s->tk + j) * ch + h * d + e];
                w[j] = acc * a.p.scale;
                m = fmax(m, w[j]);
            }
            for (int64_t j = 0; j < s->tk; j++) sum += (w[j] = exp(w[j] - m));
            for (int64_t e = 0; e < d; e++) {
                double acc = 0.0;
                for (int64_t j = 0; j < s->tk; j++) acc += w[j] / sum * hv[(b * s->tk + j) * ch + h * d + e];
                double rel = fabs(out[(b * s->tq + i) * ch + h * d + e] - acc) / (fabs(acc) + 1e-3);
                if (rel > max_rel || rel != rel) max_rel = rel;
            }
            free(w);
        }
        st = verdict(&row, max_rel, 1e-3);
    }
    free(out);
    if (!st) st = bench_time(run_attn, &a, sync_backend, c->be, c->o->min_seconds, &row);
    struct bench_row naive = row;
    if (!st) st = bench_time(run_naive, &a, NULL, NULL, c->o->min_seconds, &naive);
    if (!st) {
        row.ratio = naive.median_s / row.median_s;
        snprintf(row.ratio_of, sizeof row.ratio_of, "faster than naive (%.0f ms)", naive.median_s * 1e3);
        bench_print_row(c->o, &row);
    }
    pool_free(a.pool);
    dev_free(&a.q), dev_free(&a.k), dev_free(&a.v), dev_free(&a.out);
    free(hq), free(hk), free(hv), free(hout);
    return st;
}

// --- bandwidth-bound ops ------------------------------------------------------------------------------------

struct gn_args {
    tensor x, out, g, b;
    struct group_norm_params p;
};

static ls_status run_gn(void *arg) {
    struct gn_args *a = arg;
    return op_group_norm(&a->out, &a->x, &a->g, &a->b, &a->p);
}

static ls_status bench_group_norm(struct ctx *c) {
    const char *name = "group_norm+silu (frames)";
    if (skip(c, name)) return LS_OK;
    int64_t shape[4] = {32, 320, 32, 32}, cs[1] = {320}, n = 32 * 320 * 32 * 32;
    float *hx = host_rand(c, n, 2.0f), *hg = host_rand(c, 320, 1.0f), *hb = host_rand(c, 320, 1.0f);
    struct gn_args a = {.p = {32, 1e-5f, 16, true}};
    struct bench_row row = {.variant = "two-pass"};
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.shape, sizeof row.shape, "32x320x32x32 g32 f16");
    row.bytes = 3.0 * (double)n * 4; // two reads, one write
    ls_status st = !hx || !hg || !hb ? ls_fail(LS_ERR_OOM, "bench: host buffers") : LS_OK;
    if (!st) st = dev_tensor(c, &a.x, 4, shape, hx);
    if (!st) st = dev_tensor(c, &a.g, 1, cs, hg);
    if (!st) st = dev_tensor(c, &a.b, 1, cs, hb);
    if (!st) st = dev_tensor(c, &a.out, 4, shape, NULL);
    if (!st) st = run_gn(&a);
    float *out = st ? NULL : download(&a.out);
    if (!st && out) { // group 5 of sample 1 (frames 16..31, channels 50..59)
        double sum = 0, ss = 0, cnt = 16.0 * 10 * 1024, max_rel = 0;
        for (int f = 16; f < 32; f++)
            for (int ch = 50; ch < 60; ch++)
                for (int i = 0; i < 1024; i++) sum += hx[((int64_t)f * 320 + ch) * 1024 + i];
        double mean = sum / cnt;
        for (int f = 16; f < 32; f++)
            for (int ch = 50; ch < 60; ch++)
                for (int i = 0; i < 1024; i++) ss += pow(hx[((int64_t)f * 320 + ch) * 1024 + i] - mean, 2);
        double rstd = 1.0 / sqrt(ss / cnt + 1e-5);
        for (int t = 0; t < 256; t++) {
            int64_t f = 16 + t % 16, ch = 50 + t % 10, i = (t * 37) % 1024, idx = (f * 320 + ch) * 1024 + i;
            double v = (hx[idx] - mean) * rstd * hg[ch] + hb[ch];
            v = v / (1 + exp(-v));
            double rel = fabs(out[idx] - v) / (fabs(v) + 1e-3);
            if (rel > max_rel || rel != rel) max_rel = rel;
        }
        st = verdict(&row, max_rel, 1e-4);
    }
    free(out);
    if (!st) st = bench_time(run_gn, &a, sync_backend, c->be, c->o->min_seconds, &row);
    if (!st) {
        row.ratio = row.bytes / row.median_s * 1e-9 / c->memcpy_gbps;
        snprintf(row.ratio_of, sizeof row.ratio_of, "of memcpy GB/s");
        bench_print_row(c->o, &row);
    }
    dev_free(&a.x), dev_free(&a.g), dev_free(&a.b), dev_free(&a.out);
    free(hx), free(hg), free(hb);
    return st;
}

struct geglu_args {
    tensor x, out;
};

static ls_status run_geglu(void *arg) {
    struct geglu_args *a = arg;
    return op_geglu(&a->out, &a->x);
}

static ls_status bench_geglu(struct ctx *c) {
    const char *name = "geglu";
    if (skip(c, name)) return LS_OK;
    int64_t rows = 16384, n = 1280, xs[2] = {rows, 2 * n}, os[2] = {rows, n};
    float *hx = host_rand(c, rows * 2 * n, 3.0f);
    struct geglu_args a = {0};
    struct bench_row row = {.variant = "vector-erf"};
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.shape, sizeof row.shape, "16384x2560 -> 16384x1280");
    row.bytes = 3.0 * (double)(rows * n) * 4;
    ls_status st = !hx ? ls_fail(LS_ERR_OOM, "bench: host buffers") : LS_OK;
    if (!st) st = dev_tensor(c, &a.x, 2, xs, hx);
    if (!st) st = dev_tensor(c, &a.out, 2, os, NULL);
    if (!st) st = run_geglu(&a);
    float *out = st ? NULL : download(&a.out);
    if (!st && out) {
        double max_rel = 0;
        for (int64_t t = 0; t < 4096; t++) {
            int64_t r = (t * 7919) % rows, j = (t * 104729) % n;
            double g = hx[r * 2 * n + n + j], v = hx[r * 2 * n + j] * 0.5 * g * (1 + erf(g / sqrt(2.0)));
            double rel = fabs(out[r * n + j] - v) / (fabs(v) + 1e-3);
            if (rel > max_rel || rel != rel) max_rel = rel;
        }
        st = verdict(&row, max_rel, 1e-4);
    }
    free(out);
    if (!st) st = bench_time(run_geglu, &a, sync_backend, c->be, c->o->min_seconds, &row);
    if (!st) {
        row.ratio = row.bytes / row.median_s * 1e-9 / c->memcpy_gbps;
        snprintf(row.ratio_of, sizeof row.ratio_of, "of memcpy GB/s");
        bench_print_row(c->o, &row);
    }
    dev_free(&a.x), dev_free(&a.out);
    free(hx);
    return st;
}

// --- entry ---------------------------------------------------------------------------------------------------

int bench_ops(int argc, char **argv) {
    if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        printf("usage: latentsync bench ops [--device cpu|cuda] [--threads N] [--json] [--seconds S] [--only NAME]\n");
        return EXIT_OK;
    }
    struct bench_options o = {.device = "cpu", .threads = cpu_count(), .min_seconds = 1.0};
    if (!bench_parse_common(argc, argv, 2, &o)) return EXIT_USAGE;
    struct ctx c = {.o = &o, .seed = 20260101};
    openblas_set_num_threads(1);
    ls_status st = backend_init_by_name(o.device, o.threads, &c.be);
    if (st) return cli_fail(st);
    bench_print_header(&o, "kernels at LatentSync shapes");
    st = bench_sgemm(&c);
    if (!st) st = bench_memcpy(&c);
    for (int i = 0; !st && i < bench_n_conv_shapes; i++) st = bench_conv(&c, &bench_conv_shapes[i]);
    for (int i = 0; !st && i < bench_n_gemm_shapes; i++) st = bench_linear(&c, &bench_gemm_shapes[i]);
    for (int i = 0; !st && i < bench_n_attn_shapes; i++) st = bench_attention(&c, &bench_attn_shapes[i]);
    if (!st) st = bench_group_norm(&c);
    if (!st) st = bench_geglu(&c);
    backend_free(c.be);
    if (st) return cli_fail(st);
    bench_print_footer(&o);
    return EXIT_OK;
}
