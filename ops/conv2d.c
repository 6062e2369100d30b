// conv2d.c — op_conv2d: 2-D convolution, NCHW, any kernel/stride/padding/dilation, dense or grouped.
#include "ops-impl.h"

ls_status op_conv2d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                    const struct conv2d_params *p) {
    static const char op[] = "conv2d";
    char a[96], b[96], c[96];
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){x, w, bias}));
    LS_TRY(ops_check_rank(op, "input", x, 4));
    LS_TRY(ops_check_rank(op, "weight", w, 4));
    LS_TRY(ops_check_rank(op, "output", out, 4));
    LS_TRY(ops_check_weight(op, w));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    LS_TRY(ops_check_contiguous(op, "weight", w));
    if (p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 || p->groups < 1 ||
        p->pad_top < 0 || p->pad_bottom < 0 || p->pad_left < 0 || p->pad_right < 0)
        return ls_fail(LS_ERR_INPUT, "%s: bad parameters (stride %dx%d, dilation %dx%d, groups %d)", op, p->stride_h,
                       p->stride_w, p->dilation_h, p->dilation_w, p->groups);
    int64_t ci = x->shape[1], co = w->shape[0];
    int kh = (int)w->shape[2], kw = (int)w->shape[3];
    if (ci % p->groups || co % p->groups || w->shape[1] != ci / p->groups)
        return ls_fail(LS_ERR_SHAPE, "%s: input %s does not match weight %s with %d groups", op,
                       tensor_shape_str(x, a, sizeof a), tensor_shape_str(w, b, sizeof b), p->groups);
    int64_t ho = conv_out_size(x->shape[2], kh, p->stride_h, p->pad_top, p->pad_bottom, p->dilation_h);
    int64_t wo = conv_out_size(x->shape[3], kw, p->stride_w, p->pad_left, p->pad_right, p->dilation_w);
    if (ho <= 0 || wo <= 0)
        return ls_fail(LS_ERR_SHAPE, "%s: input %s is smaller than kernel %s", op, tensor_shape_str(x, a, sizeof a),
                       tensor_shape_str(w, b, sizeof b));
    if (out->shape[0] != x->shape[0] || out->shape[1] != co || out->shape[2] != ho || out->shape[3] != wo)
        return ls_fail(LS_ERR_SHAPE, "%s: output %s, expected (%lld, %lld, %lld, %lld) for input %s", op,
                       tensor_shape_str(out, a, sizeof a), (long long)x->shape[0], (long long)co, (long long)ho,
                       (long long)wo, tensor_shape_str(x, c, sizeof c));
    if (bias) {
        LS_TRY(ops_check_dtype(op, "bias", bias, out->dtype));
        if (bias->n_dims != 1 || bias->shape[0] != co)
            return ls_fail(LS_ERR_SHAPE, "%s: bias %s, expected (%lld)", op, tensor_shape_str(bias, a, sizeof a),
                           (long long)co);
    }
    LS_TRY(ops_check_supported(OP_CONV2D, out, w->dtype));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->conv2d(OPS_CTX(out), out, x, w, bias, p);
    ops_trace_end(out);
    return s;
}
