// backend_count.c — a plan-style backend that computes nothing and counts what each op would cost:
// FLOPs (2 per multiply-add) and bytes touched, per op kind. Running a model's forward pass on it gives
// the model's FLOPs for a shape, which the benchmarks divide by measured time.
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct count_ctx {
    struct backend be;
    struct op_counts *counts;
};

static ls_status c_alloc(void *ctx, size_t n, void **p) {
    (void)ctx, (void)n;
    *p = NULL;
    return LS_OK;
}
static void c_free(void *ctx, void *p) { (void)ctx, (void)p; }
static ls_status c_copy_bytes(void *ctx, void *d, const void *s, size_t n) {
    (void)ctx, (void)d, (void)s, (void)n;
    return LS_OK;
}
static ls_status c_sync(void *ctx) {
    (void)ctx;
    return LS_OK;
}
static bool c_supports(void *ctx, op_kind op, dtype o, dtype w) {
    (void)ctx, (void)op, (void)o, (void)w;
    return true;
}

static void add(void *vctx, op_kind op, double flops, double bytes) {
    struct op_counts *c = ((struct count_ctx *)vctx)->counts;
    c->flops[op] += flops;
    c->bytes[op] += bytes;
    c->calls[op] += 1;
}

static double nbytes(const tensor *t) { return t ? (double)tensor_n_elems(t) * (double)dtype_size(t->dtype) : 0.0; }

static ls_status c_linear(void *ctx, const tensor *o, const tensor *x, const tensor *w, const tensor *b) {
    add(ctx, OP_LINEAR, 2.0 * (double)tensor_n_elems(o) * (double)w->shape[1], nbytes(o) + nbytes(x) + nbytes(w) + nbytes(b));
    return LS_OK;
}
static ls_status c_conv2d(void *ctx, const tensor *o, const tensor *x, const tensor *w, const tensor *b,
                          const struct conv2d_params *p) {
    (void)p;
    double k = (double)w->shape[1] * (double)w->shape[2] * (double)w->shape[3];
    add(ctx, OP_CONV2D, 2.0 * (double)tensor_n_elems(o) * k, nbytes(o) + nbytes(x) + nbytes(w) + nbytes(b));
    return LS_OK;
}
static ls_status c_conv1d(void *ctx, const tensor *o, const tensor *x, const tensor *w, const tensor *b,
                          const struct conv1d_params *p) {
    (void)p;
    add(ctx, OP_CONV1D, 2.0 * (double)tensor_n_elems(o) * (double)w->shape[1] * (double)w->shape[2],
        nbytes(o) + nbytes(x) + nbytes(w) + nbytes(b));
    return LS_OK;
}
static ls_status c_group_norm(void *ctx, const tensor *o, const tensor *x, const tensor *g, const tensor *b,
                              const struct group_norm_params *p) {
    (void)g, (void)b, (void)p;
    add(ctx, OP_GROUP_NORM, 0, nbytes(o) + 2 * nbytes(x));
    return LS_OK;
}
static ls_status c_layer_norm(void *ctx, const tensor *o, const tensor *x, const tensor *g, const tensor *b, float e) {
    (void)g, (void)b, (void)e;
    add(ctx, OP_LAYER_NORM, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_softmax(void *ctx, const tensor *o, const tensor *x) {
    add(ctx, OP_SOFTMAX, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_attention(void *ctx, const tensor *o, const tensor *q, const tensor *k, const tensor *v,
                             const struct attention_params *p) {
    (void)p;
    double f = 2.0 * (double)q->shape[0] * (double)q->shape[1] * (double)k->shape[1] * (double)(q->shape[2] + v->shape[2]);
    add(ctx, OP_ATTENTION, f, nbytes(o) + nbytes(q) + nbytes(k) + nbytes(v));
    return LS_OK;
}
static ls_status c_unary(void *ctx, const tensor *o, const tensor *x, unary_op op) {
    (void)op;
    add(ctx, OP_UNARY, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_binary(void *ctx, const tensor *o, const tensor *a, const tensor *b, binary_op op) {
    (void)a, (void)b, (void)op;
    add(ctx, OP_BINARY, 0, 3 * nbytes(o));
    return LS_OK;
}
static ls_status c_axpby(void *ctx, const tensor *o, float al, const tensor *x, float be, const tensor *y) {
    (void)al, (void)x, (void)be;
    add(ctx, OP_AXPBY, 0, (y ? 3 : 2) * nbytes(o));
    return LS_OK;
}
static ls_status c_geglu(void *ctx, const tensor *o, const tensor *x) {
    add(ctx, OP_GEGLU, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_upsample(void *ctx, const tensor *o, const tensor *x) {
    add(ctx, OP_UPSAMPLE2X, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_copy(void *ctx, const tensor *o, const tensor *x) {
    add(ctx, OP_COPY, 0, nbytes(o) + nbytes(x));
    return LS_OK;
}
static ls_status c_timestep(void *ctx, const tensor *o, const tensor *t, const struct timestep_params *p) {
    (void)t, (void)p;
    add(ctx, OP_TIMESTEP_EMBEDDING, 0, nbytes(o));
    return LS_OK;
}
static ls_status c_fill(void *ctx, const tensor *o, float v) {
    (void)v;
    add(ctx, OP_FILL, 0, nbytes(o));
    return LS_OK;
}
static ls_status c_pool2d(void *ctx, const tensor *o, const tensor *x, const struct pool2d_params *p) {
    add(ctx, OP_POOL2D, (double)tensor_n_elems(o) * p->kernel_h * p->kernel_w, nbytes(o) + nbytes(x));
    return LS_OK;
}
static void c_destroy(void *ctx) { free(ctx); }

static const struct backend_ops count_ops = {
    .version = BACKEND_API_VERSION,
    .name = "count",
    .alloc = c_alloc,
    .free = c_free,
    .upload = c_copy_bytes,
    .download = c_copy_bytes,
    .sync = c_sync,
    .supports = c_supports,
    .linear = c_linear,
    .conv2d = c_conv2d,
    .conv1d = c_conv1d,
    .group_norm = c_group_norm,
    .layer_norm = c_layer_norm,
    .softmax = c_softmax,
    .attention = c_attention,
    .unary = c_unary,
    .binary = c_binary,
    .axpby = c_axpby,
    .geglu = c_geglu,
    .upsample2x = c_upsample,
    .copy = c_copy,
    .timestep_embedding = c_timestep,
    .fill = c_fill,
    .pool2d = c_pool2d,
    .destroy = c_destroy,
};

ls_status backend_count_init(struct backend **out, struct op_counts *counts) {
    *out = NULL;
    struct count_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ls_fail(LS_ERR_OOM, "count backend: out of memory");
    memset(counts, 0, sizeof *counts);
    ctx->counts = counts;
    ctx->be = (struct backend){.ops = &count_ops, .ctx = ctx, .is_plan = 1};
    *out = &ctx->be;
    return LS_OK;
}

double op_counts_total_flops(const struct op_counts *c) {
    double f = 0;
    for (int i = 0; i < OP_COUNT; i++) f += c->flops[i];
    return f;
}
