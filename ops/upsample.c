// upsample.c — op_upsample2x: nearest-neighbour x2 upsampling of the last two dims (Upsample2D/3D).
#include "ops-impl.h"

ls_status op_upsample2x(const tensor *out, const tensor *x) {
    static const char op[] = "upsample2x";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_rank(op, "input", x, 4));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if (out->n_dims != 4 || out->shape[0] != x->shape[0] || out->shape[1] != x->shape[1] ||
        out->shape[2] != 2 * x->shape[2] || out->shape[3] != 2 * x->shape[3])
        return ls_fail(LS_ERR_SHAPE, "%s: output %s for input %s", op, tensor_shape_str(out, a, sizeof a),
                       tensor_shape_str(x, b, sizeof b));
    LS_TRY(ops_check_supported(OP_UPSAMPLE2X, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->upsample2x(OPS_CTX(out), out, x);
    ops_trace_end(out);
    return s;
}
