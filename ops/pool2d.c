// pool2d.c — op_pool2d: max or average pooling of (B, C, H, W) over KH x KW windows (face_landmark_68's
// global average pool, SCRFD's 2x2 pools, tiny_face_detector's max pools).
#include "ops-impl.h"

ls_status op_pool2d(const tensor *out, const tensor *x, const struct pool2d_params *p) {
    static const char op[] = "pool2d";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_rank(op, "input", x, 4));
    LS_TRY(ops_check_rank(op, "output", out, 4));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if ((p->kind != POOL_MAX && p->kind != POOL_AVG) || p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 ||
        p->stride_w < 1 || p->pad_top < 0 || p->pad_bottom < 0 || p->pad_left < 0 || p->pad_right < 0 ||
        p->pad_top >= p->kernel_h || p->pad_bottom >= p->kernel_h || p->pad_left >= p->kernel_w ||
        p->pad_right >= p->kernel_w)
        return ls_fail(LS_ERR_INPUT,
                       "%s: bad parameters (kind %d, kernel %dx%d, stride %dx%d, padding %d,%d,%d,%d; "
                       "each pad must be smaller than the kernel)",
                       op, (int)p->kind, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->pad_top, p->pad_bottom,
                       p->pad_left, p->pad_right);
    int64_t ho = conv_out_size(x->shape[2], p->kernel_h, p->stride_h, p->pad_top, p->pad_bottom, 1);
    int64_t wo = conv_out_size(x->shape[3], p->kernel_w, p->stride_w, p->pad_left, p->pad_right, 1);
    if (ho <= 0 || wo <= 0)
        return ls_fail(LS_ERR_SHAPE, "%s: input %s is smaller than the %dx%d window", op,
                       tensor_shape_str(x, a, sizeof a), p->kernel_h, p->kernel_w);
    if (out->shape[0] != x->shape[0] || out->shape[1] != x->shape[1] || out->shape[2] != ho || out->shape[3] != wo)
        return ls_fail(LS_ERR_SHAPE, "%s: output %s, expected (%lld, %lld, %lld, %lld) for input %s", op,
                       tensor_shape_str(out, a, sizeof a), (long long)x->shape[0], (long long)x->shape[1],
                       (long long)ho, (long long)wo, tensor_shape_str(x, b, sizeof b));
    if (!OPS_BACKEND(out)->pool2d)
        return ls_fail(LS_ERR_UNSUPPORTED, "%s: backend %s has no pool2d kernel", op, backend_name(out->backend));
    LS_TRY(ops_check_supported(OP_POOL2D, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->pool2d(OPS_CTX(out), out, x, p);
    ops_trace_end(out);
    return s;
}
