// softmax.c — op_softmax over the last dim.
#include "ops-impl.h"

ls_status op_softmax(const tensor *out, const tensor *x) {
    static const char op[] = "softmax";
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_same_shape(op, "output", x, out));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if (x->n_dims < 1) return ls_fail(LS_ERR_SHAPE, "%s: scalar input", op);
    LS_TRY(ops_check_supported(OP_SOFTMAX, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->softmax(OPS_CTX(out), out, x);
    ops_trace_end(out);
    return s;
}
