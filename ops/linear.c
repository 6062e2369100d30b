// linear.c — op_linear: out (..., N) = x (..., K) w^T + bias (nn.Linear).
#include "ops-impl.h"

ls_status op_linear(const tensor *out, const tensor *x, const tensor *w, const tensor *bias) {
    static const char op[] = "linear";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){x, w, bias}));
    LS_TRY(ops_check_rank(op, "weight", w, 2));
    LS_TRY(ops_check_weight(op, w));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_contiguous(op, "weight", w));
    if (x->n_dims < 1 || out->n_dims != x->n_dims) return ls_fail(LS_ERR_SHAPE, "%s: input and output ranks differ", op);
    int64_t n = w->shape[0], k = w->shape[1];
    if (x->shape[x->n_dims - 1] != k)
        return ls_fail(LS_ERR_SHAPE, "%s: input %s does not match weight %s", op, tensor_shape_str(x, a, sizeof a),
                       tensor_shape_str(w, b, sizeof b));
    for (int i = 0; i < x->n_dims - 1; i++)
        if (out->shape[i] != x->shape[i]) goto bad_out;
    if (out->shape[out->n_dims - 1] != n) goto bad_out;
    if (bias) {
        LS_TRY(ops_check_dtype(op, "bias", bias, out->dtype));
        if (bias->n_dims != 1 || bias->shape[0] != n)
            return ls_fail(LS_ERR_SHAPE, "%s: bias %s, expected (%lld)", op, tensor_shape_str(bias, a, sizeof a),
                           (long long)n);
    }
    LS_TRY(ops_check_supported(OP_LINEAR, out, w->dtype));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->linear(OPS_CTX(out), out, x, w, bias);
    ops_trace_end(out);
    return s;
bad_out:
    return ls_fail(LS_ERR_SHAPE, "%s: output %s for input %s and weight %s", op, tensor_shape_str(out, a, sizeof a),
                   tensor_shape_str(x, b, sizeof b), tensor_shape_str(w, (char[96]){0}, 96));
}
