// layer_norm.c — op_layer_norm: LayerNorm over the last dim.
#include "ops-impl.h"

ls_status op_layer_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta, float eps) {
    static const char op[] = "layer_norm";
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){x, gamma, beta}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_same_shape(op, "output", x, out));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if (x->n_dims < 1) return ls_fail(LS_ERR_SHAPE, "%s: scalar input", op);
    if (!(eps > 0)) return ls_fail(LS_ERR_INPUT, "%s: eps must be positive", op);
    int64_t c = x->shape[x->n_dims - 1];
    LS_TRY(ops_check_affine(op, gamma, out, c));
    LS_TRY(ops_check_affine(op, beta, out, c));
    LS_TRY(ops_check_supported(OP_LAYER_NORM, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->layer_norm(OPS_CTX(out), out, x, gamma, beta, eps);
    ops_trace_end(out);
    return s;
}
