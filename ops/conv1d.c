// conv1d.c — op_conv1d: 1-D convolution (Whisper's front end), (B, C, L) layout.
#include "ops-impl.h"

ls_status op_conv1d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                    const struct conv1d_params *p) {
    static const char op[] = "conv1d";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){x, w, bias}));
    LS_TRY(ops_check_rank(op, "input", x, 3));
    LS_TRY(ops_check_rank(op, "weight", w, 3));
    LS_TRY(ops_check_rank(op, "output", out, 3));
    LS_TRY(ops_check_weight(op, w));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_contiguous(op, "weight", w));
    if (p->stride < 1 || p->dilation < 1 || p->pad < 0)
        return ls_fail(LS_ERR_INPUT, "%s: bad parameters (stride %d, pad %d, dilation %d)", op, p->stride, p->pad,
                       p->dilation);
    if (w->shape[1] != x->shape[1])
        return ls_fail(LS_ERR_SHAPE, "%s: input %s does not match weight %s", op, tensor_shape_str(x, a, sizeof a),
                       tensor_shape_str(w, b, sizeof b));
    int64_t lo = conv_out_size(x->shape[2], (int)w->shape[2], p->stride, p->pad, p->pad, p->dilation);
    if (lo <= 0 || out->shape[0] != x->shape[0] || out->shape[1] != w->shape[0] || out->shape[2] != lo)
        return ls_fail(LS_ERR_SHAPE, "%s: output %s, expected (%lld, %lld, %lld)", op,
                       tensor_shape_str(out, a, sizeof a), (long long)x->shape[0], (long long)w->shape[0],
                       (long long)lo);
    if (bias) {
        LS_TRY(ops_check_dtype(op, "bias", bias, out->dtype));
        if (bias->n_dims != 1 || bias->shape[0] != w->shape[0])
            return ls_fail(LS_ERR_SHAPE, "%s: bias %s, expected (%lld)", op, tensor_shape_str(bias, a, sizeof a),
                           (long long)w->shape[0]);
    }
    LS_TRY(ops_check_supported(OP_CONV1D, out, w->dtype));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->conv1d(OPS_CTX(out), out, x, w, bias, p);
    ops_trace_end(out);
    return s;
}
