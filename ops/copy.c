// copy.c — op_copy (strided, dtype-converting) and what is built on it: permute, concat and the UNet's
// layout changes between (B, C, F, H, W), (B*F, C, H, W) and (B*H*W, F, C).
#include "ops-impl.h"

ls_status op_copy(const tensor *out, const tensor *x) {
    static const char op[] = "copy";
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){x}));
    LS_TRY(ops_check_same_shape(op, "input", out, x));
    if (x->dtype == DTYPE_I8 || out->dtype == DTYPE_I8 || (x->dtype == DTYPE_I32) != (out->dtype == DTYPE_I32))
        return ls_fail(LS_ERR_DTYPE, "%s: cannot convert %s to %s", op, dtype_name(x->dtype), dtype_name(out->dtype));
    LS_TRY(ops_check_supported(OP_COPY, out, x->dtype));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->copy(OPS_CTX(out), out, x);
    ops_trace_end(out);
    return s;
}

ls_status op_permute(const tensor *out, const tensor *x, const int *perm) {
    tensor view;
    LS_TRY(tensor_permute(&view, x, perm));
    LS_TRY(ops_check_contiguous("permute", "output", out));
    return op_copy(out, &view);
}

ls_status op_concat(const tensor *out, const tensor *a, const tensor *b, int dim) {
    char s1[96], s2[96], s3[96];
    bool ok = dim >= 0 && dim < out->n_dims && a->n_dims == out->n_dims && b->n_dims == out->n_dims &&
              a->shape[dim] + b->shape[dim] == out->shape[dim];
    for (int i = 0; ok && i < out->n_dims; i++)
        if (i != dim) ok = a->shape[i] == out->shape[i] && b->shape[i] == out->shape[i];
    if (!ok)
        return ls_fail(LS_ERR_SHAPE, "concat: %s and %s along dim %d do not make %s", tensor_shape_str(a, s1, sizeof s1),
                       tensor_shape_str(b, s2, sizeof s2), dim, tensor_shape_str(out, s3, sizeof s3));
    tensor part;
    LS_TRY(tensor_slice(&part, out, dim, 0, a->shape[dim]));
    LS_TRY(op_copy(&part, a));
    LS_TRY(tensor_slice(&part, out, dim, a->shape[dim], b->shape[dim]));
    return op_copy(&part, b);
}

static ls_status layout_fail(const char *op, const tensor *out, const tensor *x) {
    char a[96], b[96];
    return ls_fail(LS_ERR_SHAPE, "%s: output %s does not fit input %s", op, tensor_shape_str(out, a, sizeof a),
                   tensor_shape_str(x, b, sizeof b));
}

ls_status op_bcfhw_to_frames(const tensor *out, const tensor *x) {
    static const char op[] = "bcfhw_to_frames";
    LS_TRY(ops_check_rank(op, "input", x, 5));
    LS_TRY(ops_check_rank(op, "output", out, 4));
    int64_t b = x->shape[0], c = x->shape[1], f = x->shape[2], h = x->shape[3], w = x->shape[4];
    if (out->shape[0] != b * f || out->shape[1] != c || out->shape[2] != h || out->shape[3] != w)
        return layout_fail(op, out, x);
    tensor v, o5;
    LS_TRY(tensor_permute(&v, x, (const int[]){0, 2, 1, 3, 4})); // (B, F, C, H, W)
    LS_TRY(tensor_reshape(&o5, out, 5, (const int64_t[]){b, f, c, h, w}));
    return op_copy(&o5, &v);
}

ls_status op_frames_to_bcfhw(const tensor *out, const tensor *x, int64_t frames) {
    static const char op[] = "frames_to_bcfhw";
    LS_TRY(ops_check_rank(op, "input", x, 4));
    LS_TRY(ops_check_rank(op, "output", out, 5));
    if (frames < 1 || x->shape[0] % frames) return layout_fail(op, out, x);
    int64_t b = x->shape[0] / frames, c = x->shape[1], h = x->shape[2], w = x->shape[3];
    if (out->shape[0] != b || out->shape[1] != c || out->shape[2] != frames || out->shape[3] != h || out->shape[4] != w)
        return layout_fail(op, out, x);
    tensor x5, v;
    LS_TRY(tensor_reshape(&x5, x, 5, (const int64_t[]){b, frames, c, h, w}));
    LS_TRY(tensor_permute(&v, &x5, (const int[]){0, 2, 1, 3, 4})); // (B, C, F, H, W)
    return op_copy(out, &v);
}

ls_status op_frames_to_temporal(const tensor *out, const tensor *x, int64_t frames) {
    static const char op[] = "frames_to_temporal";
    LS_TRY(ops_check_rank(op, "input", x, 4));
    LS_TRY(ops_check_rank(op, "output", out, 3));
    if (frames < 1 || x->shape[0] % frames) return layout_fail(op, out, x);
    int64_t b = x->shape[0] / frames, c = x->shape[1], hw = x->shape[2] * x->shape[3];
    if (out->shape[0] != b * hw || out->shape[1] != frames || out->shape[2] != c) return layout_fail(op, out, x);
    tensor x4, v, o4;
    LS_TRY(tensor_reshape(&x4, x, 4, (const int64_t[]){b, frames, c, hw}));
    LS_TRY(tensor_permute(&v, &x4, (const int[]){0, 3, 1, 2})); // (B, HW, F, C)
    LS_TRY(tensor_reshape(&o4, out, 4, (const int64_t[]){b, hw, frames, c}));
    return op_copy(&o4, &v);
}

ls_status op_temporal_to_frames(const tensor *out, const tensor *x, int64_t height, int64_t width) {
    static const char op[] = "temporal_to_frames";
    LS_TRY(ops_check_rank(op, "input", x, 3));
    LS_TRY(ops_check_rank(op, "output", out, 4));
    int64_t hw = height * width;
    if (hw < 1 || x->shape[0] % hw) return layout_fail(op, out, x);
    int64_t b = x->shape[0] / hw, f = x->shape[1], c = x->shape[2];
    if (out->shape[0] != b * f || out->shape[1] != c || out->shape[2] != height || out->shape[3] != width)
        return layout_fail(op, out, x);
    tensor x4, v, o4;
    LS_TRY(tensor_reshape(&x4, x, 4, (const int64_t[]){b, hw, f, c}));
    LS_TRY(tensor_permute(&v, &x4, (const int[]){0, 2, 3, 1})); // (B, F, C, HW)
    LS_TRY(tensor_reshape(&o4, out, 4, (const int64_t[]){b, f, c, hw}));
    return op_copy(&o4, &v);
}
