// backend.c — backend-neutral helpers over the function table, and the plan backend (no memory, no
// compute) that models run on to size their arenas.
#include <string.h>

#include "runtime.h"

const char *backend_name(const struct backend *be) { return be ? be->ops->name : "none"; }

void backend_free(struct backend *be) {
    if (!be || be == backend_plan()) return;
    if (be->ops->destroy) be->ops->destroy(be->ctx);
}

ls_status backend_alloc(struct backend *be, size_t n_bytes, void **ptr) {
    *ptr = NULL;
    if (be->is_plan) return LS_OK;
    return be->ops->alloc(be->ctx, n_bytes, ptr);
}

void backend_release(struct backend *be, void *ptr) {
    if (be && ptr && !be->is_plan) be->ops->free(be->ctx, ptr);
}

ls_status tensor_upload(const tensor *dst, const void *src_host) {
    if (!tensor_is_contiguous(dst)) return ls_fail(LS_ERR_SHAPE, "upload into a non-contiguous tensor");
    if (dst->backend->is_plan) return LS_OK;
    return dst->backend->ops->upload(dst->backend->ctx, dst->data, src_host, tensor_n_bytes(dst));
}

ls_status tensor_download(const tensor *src, void *dst_host) {
    if (!tensor_is_contiguous(src)) return ls_fail(LS_ERR_SHAPE, "download of a non-contiguous tensor");
    if (src->backend->is_plan) return LS_OK;
    return src->backend->ops->download(src->backend->ctx, dst_host, src->data, tensor_n_bytes(src));
}

const char *op_kind_name(op_kind op) {
    static const char *const names[OP_COUNT] = {
        "linear", "conv2d",  "conv1d", "group_norm", "layer_norm", "softmax", "attention",          "unary",
        "binary", "axpby", "geglu",  "upsample2x", "copy",       "timestep_embedding", "fill",
        "pool2d",
    };
    return (unsigned)op < OP_COUNT ? names[op] : "?";
}

// --- the plan backend ------------------------------------------------------------------------------------

static ls_status plan_alloc(void *ctx, size_t n, void **p) {
    (void)ctx, (void)n;
    *p = NULL;
    return LS_OK;
}
static void plan_free(void *ctx, void *p) { (void)ctx, (void)p; }
static ls_status plan_copy_bytes(void *ctx, void *d, const void *s, size_t n) {
    (void)ctx, (void)d, (void)s, (void)n;
    return LS_OK;
}
static ls_status plan_sync(void *ctx) {
    (void)ctx;
    return LS_OK;
}
static bool plan_supports(void *ctx, op_kind op, dtype o, dtype w) {
    (void)ctx, (void)op, (void)o, (void)w;
    return true;
}
static ls_status plan_linear(void *c, const tensor *o, const tensor *x, const tensor *w, const tensor *b) {
    (void)c, (void)o, (void)x, (void)w, (void)b;
    return LS_OK;
}
static ls_status plan_conv2d(void *c, const tensor *o, const tensor *x, const tensor *w, const tensor *b,
                             const struct conv2d_params *p) {
    (void)c, (void)o, (void)x, (void)w, (void)b, (void)p;
    return LS_OK;
}
static ls_status plan_conv1d(void *c, const tensor *o, const tensor *x, const tensor *w, const tensor *b,
                             const struct conv1d_params *p) {
    (void)c, (void)o, (void)x, (void)w, (void)b, (void)p;
    return LS_OK;
}
static ls_status plan_group_norm(void *c, const tensor *o, const tensor *x, const tensor *g, const tensor *b,
                                 const struct group_norm_params *p) {
    (void)c, (void)o, (void)x, (void)g, (void)b, (void)p;
    return LS_OK;
}
static ls_status plan_layer_norm(void *c, const tensor *o, const tensor *x, const tensor *g, const tensor *b,
                                 float eps) {
    (void)c, (void)o, (void)x, (void)g, (void)b, (void)eps;
    return LS_OK;
}
static ls_status plan_softmax(void *c, const tensor *o, const tensor *x) {
    (void)c, (void)o, (void)x;
    return LS_OK;
}
static ls_status plan_attention(void *c, const tensor *o, const tensor *q, const tensor *k, const tensor *v,
                                const struct attention_params *p) {
    (void)c, (void)o, (void)q, (void)k, (void)v, (void)p;
    return LS_OK;
}
static ls_status plan_unary(void *c, const tensor *o, const tensor *x, unary_op op) {
    (void)c, (void)o, (void)x, (void)op;
    return LS_OK;
}
static ls_status plan_binary(void *c, const tensor *o, const tensor *a, const tensor *b, binary_op op) {
    (void)c, (void)o, (void)a, (void)b, (void)op;
    return LS_OK;
}
static ls_status plan_axpby(void *c, const tensor *o, float al, const tensor *x, float be, const tensor *y) {
    (void)c, (void)o, (void)al, (void)x, (void)be, (void)y;
    return LS_OK;
}
static ls_status plan_2(void *c, const tensor *o, const tensor *x) {
    (void)c, (void)o, (void)x;
    return LS_OK;
}
static ls_status plan_timestep(void *c, const tensor *o, const tensor *t, const struct timestep_params *p) {
    (void)c, (void)o, (void)t, (void)p;
    return LS_OK;
}
static ls_status plan_fill(void *c, const tensor *o, float v) {
    (void)c, (void)o, (void)v;
    return LS_OK;
}
static ls_status plan_pool2d(void *c, const tensor *o, const tensor *x, const struct pool2d_params *p) {
    (void)c, (void)o, (void)x, (void)p;
    return LS_OK;
}

static const struct backend_ops plan_ops = {
    .version = BACKEND_API_VERSION,
    .name = "plan",
    .alloc = plan_alloc,
    .free = plan_free,
    .upload = plan_copy_bytes,
    .download = plan_copy_bytes,
    .sync = plan_sync,
    .supports = plan_supports,
    .linear = plan_linear,
    .conv2d = plan_conv2d,
    .conv1d = plan_conv1d,
    .group_norm = plan_group_norm,
    .layer_norm = plan_layer_norm,
    .softmax = plan_softmax,
    .attention = plan_attention,
    .unary = plan_unary,
    .binary = plan_binary,
    .axpby = plan_axpby,
    .geglu = plan_2,
    .upsample2x = plan_2,
    .copy = plan_2,
    .timestep_embedding = plan_timestep,
    .fill = plan_fill,
    .pool2d = plan_pool2d,
};

static struct backend plan_backend = {.ops = &plan_ops, .ctx = NULL, .is_plan = 1};

struct backend *backend_plan(void) { return &plan_backend; }
