// elementwise.c — unary activations, binary add/mul, axpby (out = a x + b y) and fill.
#include "ops-impl.h"

static const char *const unary_names[UNARY_COUNT] = {"gelu", "gelu_tanh", "silu", "relu", "relu6"};

ls_status op_unary(const tensor *out, const tensor *x, unary_op u) {
    if ((unsigned)u >= UNARY_COUNT) return ls_fail(LS_ERR_INPUT, "unary: unknown op %d", (int)u);
    const char *op = unary_names[u];
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_same_shape(op, "output", x, out));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_supported(OP_UNARY, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->unary(OPS_CTX(out), out, x, u);
    ops_trace_end(out);
    return s;
}

ls_status op_gelu(const tensor *out, const tensor *x) { return op_unary(out, x, UNARY_GELU); }
ls_status op_gelu_tanh(const tensor *out, const tensor *x) { return op_unary(out, x, UNARY_GELU_TANH); }
ls_status op_silu(const tensor *out, const tensor *x) { return op_unary(out, x, UNARY_SILU); }
ls_status op_relu(const tensor *out, const tensor *x) { return op_unary(out, x, UNARY_RELU); }
ls_status op_relu6(const tensor *out, const tensor *x) { return op_unary(out, x, UNARY_RELU6); }

static ls_status binary(const char *op, const tensor *out, const tensor *a, const tensor *b, binary_op bop) {
    LS_TRY(ops_check_backend(op, out, 2, (const tensor *[]){a, b}));
    LS_TRY(ops_check_dtype(op, "first input", a, out->dtype));
    LS_TRY(ops_check_dtype(op, "second input", b, out->dtype));
    LS_TRY(ops_check_same_shape(op, "first input", out, a));
    LS_TRY(ops_check_same_shape(op, "second input", out, b));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_supported(OP_BINARY, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->binary(OPS_CTX(out), out, a, b, bop);
    ops_trace_end(out);
    return s;
}

ls_status op_add(const tensor *out, const tensor *a, const tensor *b) { return binary("add", out, a, b, BINARY_ADD); }
ls_status op_mul(const tensor *out, const tensor *a, const tensor *b) { return binary("mul", out, a, b, BINARY_MUL); }

ls_status op_axpby(const tensor *out, float alpha, const tensor *x, float beta, const tensor *y) {
    static const char op[] = "axpby";
    LS_TRY(ops_check_backend(op, out, 2, (const tensor *[]){x, y}));
    LS_TRY(ops_check_dtype(op, "x", x, out->dtype));
    LS_TRY(ops_check_same_shape(op, "x", out, x));
    if (y) {
        LS_TRY(ops_check_dtype(op, "y", y, out->dtype));
        LS_TRY(ops_check_same_shape(op, "y", out, y));
    }
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_supported(OP_AXPBY, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->axpby(OPS_CTX(out), out, alpha, x, beta, y);
    ops_trace_end(out);
    return s;
}

ls_status op_scale(const tensor *out, const tensor *x, float s) { return op_axpby(out, s, x, 0.0f, NULL); }

ls_status op_fill(const tensor *out, float value) {
    static const char op[] = "fill";
    LS_TRY(ops_check_backend(op, out, 0, NULL));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_supported(OP_FILL, out, DTYPE_COUNT));
    return OPS_BACKEND(out)->fill(OPS_CTX(out), out, value);
}
