// geglu.c — op_geglu: diffusers' GEGLU gate, value * GELU(gate) over the two halves of the last dim.
#include "ops-impl.h"

ls_status op_geglu(const tensor *out, const tensor *x) {
    static const char op[] = "geglu";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    bool ok = x->n_dims >= 1 && x->n_dims == out->n_dims && x->shape[x->n_dims - 1] == 2 * out->shape[out->n_dims - 1];
    for (int i = 0; ok && i < x->n_dims - 1; i++) ok = x->shape[i] == out->shape[i];
    if (!ok)
        return ls_fail(LS_ERR_SHAPE, "%s: input %s, output %s: last dim must halve", op,
                       tensor_shape_str(x, a, sizeof a), tensor_shape_str(out, b, sizeof b));
    LS_TRY(ops_check_supported(OP_GEGLU, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->geglu(OPS_CTX(out), out, x);
    ops_trace_end(out);
    return s;
}
