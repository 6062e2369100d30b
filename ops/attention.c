// attention.c — op_attention: multi-head scaled dot-product attention (self or cross), no mask.
#include "ops-impl.h"

static ls_status check_rows(const char *op, const char *what, const tensor *t) {
    char a[96];
    if (t->n_dims != 3 || t->stride[2] != 1 || t->stride[1] < t->shape[2] || t->stride[0] < t->shape[1] * t->stride[1])
        return ls_fail(LS_ERR_SHAPE, "%s: %s %s must be (B, T, C) with contiguous channels", op, what,
                       tensor_shape_str(t, a, sizeof a));
    return LS_OK;
}

ls_status op_attention(const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                       const struct attention_params *p) {
    static const char op[] = "attention";
    char a[96], b[96], c[96];
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){q, k, v}));
    LS_TRY(ops_check_dtype(op, "query", q, out->dtype));
    LS_TRY(ops_check_dtype(op, "key", k, out->dtype));
    LS_TRY(ops_check_dtype(op, "value", v, out->dtype));
    LS_TRY(check_rows(op, "query", q));
    LS_TRY(check_rows(op, "key", k));
    LS_TRY(check_rows(op, "value", v));
    LS_TRY(check_rows(op, "output", out));
    int h = p->heads;
    if (h < 1 || q->shape[2] % h || v->shape[2] % h)
        return ls_fail(LS_ERR_SHAPE, "%s: %d heads do not divide query %s / value %s", op, h,
                       tensor_shape_str(q, a, sizeof a), tensor_shape_str(v, b, sizeof b));
    if (k->shape[0] != q->shape[0] || v->shape[0] != q->shape[0] || k->shape[2] != q->shape[2] ||
        v->shape[1] != k->shape[1] || k->shape[1] < 1)
        return ls_fail(LS_ERR_SHAPE, "%s: query %s, key %s, value %s do not agree", op,
                       tensor_shape_str(q, a, sizeof a), tensor_shape_str(k, b, sizeof b),
                       tensor_shape_str(v, c, sizeof c));
    if (out->shape[0] != q->shape[0] || out->shape[1] != q->shape[1] || out->shape[2] != v->shape[2])
        return ls_fail(LS_ERR_SHAPE, "%s: output %s, expected (%lld, %lld, %lld)", op,
                       tensor_shape_str(out, a, sizeof a), (long long)q->shape[0], (long long)q->shape[1],
                       (long long)v->shape[2]);
    LS_TRY(ops_check_supported(OP_ATTENTION, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->attention(OPS_CTX(out), out, q, k, v, p);
    ops_trace_end(out);
    return s;
}
