// checks.c — argument checks shared by every op (backend, dtype, rank, contiguity, backend support).
#include "ops-impl.h"

ls_status ops_check_backend(const char *op, const tensor *out, int n, const tensor *const *ins) {
    if (!out->backend) return ls_fail(LS_ERR_INPUT, "%s: output has no backend", op);
    bool plan = out->backend->is_plan;
    if (!plan && !out->data) return ls_fail(LS_ERR_INPUT, "%s: output has no memory", op);
    for (int i = 0; i < n; i++) {
        const tensor *t = ins[i];
        if (!t) continue;
        if (plan) continue;
        if (t->backend != out->backend)
            return ls_fail(LS_ERR_INPUT, "%s: input %d is on backend %s, output on %s", op, i,
                           backend_name(t->backend), backend_name(out->backend));
        if (!t->data) return ls_fail(LS_ERR_INPUT, "%s: input %d has no memory", op, i);
    }
    return LS_OK;
}

ls_status ops_check_dtype(const char *op, const char *what, const tensor *t, dtype dt) {
    if (t->dtype != dt)
        return ls_fail(LS_ERR_DTYPE, "%s: %s has dtype %s, expected %s", op, what, dtype_name(t->dtype),
                       dtype_name(dt));
    return LS_OK;
}

ls_status ops_check_weight(const char *op, const tensor *w) {
    switch (w->dtype) {
    case DTYPE_F32:
    case DTYPE_F16:
    case DTYPE_BF16: return LS_OK;
    case DTYPE_I8:
        if (!w->scale && !(w->backend && w->backend->is_plan))
            return ls_fail(LS_ERR_DTYPE, "%s: i8 weight without per-channel scales", op);
        return LS_OK;
    default: return ls_fail(LS_ERR_DTYPE, "%s: weight dtype %s is not a weight type", op, dtype_name(w->dtype));
    }
}

ls_status ops_check_rank(const char *op, const char *what, const tensor *t, int n) {
    char b[96];
    if (t->n_dims != n)
        return ls_fail(LS_ERR_SHAPE, "%s: %s has shape %s, expected rank %d", op, what, tensor_shape_str(t, b, sizeof b),
                       n);
    return LS_OK;
}

ls_status ops_check_contiguous(const char *op, const char *what, const tensor *t) {
    if (!tensor_is_contiguous(t)) return ls_fail(LS_ERR_SHAPE, "%s: %s must be contiguous", op, what);
    return LS_OK;
}

ls_status ops_check_supported(op_kind op, const tensor *out, dtype w_dt) {
    const struct backend *be = out->backend;
    if (!be->ops->supports(be->ctx, op, out->dtype, w_dt))
        return ls_fail(LS_ERR_UNSUPPORTED, "backend %s does not support %s with output %s%s%s", be->ops->name,
                       op_kind_name(op), dtype_name(out->dtype), w_dt == DTYPE_COUNT ? "" : " and weight ",
                       w_dt == DTYPE_COUNT ? "" : dtype_name(w_dt));
    return LS_OK;
}

ls_status ops_check_same_shape(const char *op, const char *what, const tensor *a, const tensor *b) {
    char x[96], y[96];
    if (!tensor_same_shape(a, b))
        return ls_fail(LS_ERR_SHAPE, "%s: %s shape %s, expected %s", op, what, tensor_shape_str(b, y, sizeof y),
                       tensor_shape_str(a, x, sizeof x));
    return LS_OK;
}

ls_status ops_check_affine(const char *op, const tensor *t, const tensor *out, int64_t c) {
    char a[96];
    if (!t) return LS_OK;
    LS_TRY(ops_check_dtype(op, "affine parameter", t, out->dtype));
    if (t->n_dims != 1 || t->shape[0] != c || !tensor_is_contiguous(t))
        return ls_fail(LS_ERR_SHAPE, "%s: affine parameter %s, expected (%lld)", op, tensor_shape_str(t, a, sizeof a),
                       (long long)c);
    return LS_OK;
}

int64_t conv_out_size(int64_t in, int kernel, int stride, int pad_before, int pad_after, int dilation) {
    int64_t span = (int64_t)dilation * (kernel - 1) + 1;
    int64_t padded = in + pad_before + pad_after;
    if (stride <= 0 || padded < span) return 0;
    return (padded - span) / stride + 1;
}
