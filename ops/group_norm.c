// group_norm.c — op_group_norm: GroupNorm, optionally across frames, with an optional fused SiLU.
#include "ops-impl.h"

ls_status op_group_norm(const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                        const struct group_norm_params *p) {
    static const char op[] = "group_norm";
    char a[96];
    LS_TRY(ops_check_backend(op, out, 3, (const tensor *[]){x, gamma, beta}));
    LS_TRY(ops_check_dtype(op, "input", x, out->dtype));
    LS_TRY(ops_check_same_shape(op, "output", x, out));
    LS_TRY(ops_check_contiguous(op, "input", x));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if (x->n_dims < 2) return ls_fail(LS_ERR_SHAPE, "%s: input %s needs (B, C, ...)", op, tensor_shape_str(x, a, sizeof a));
    int64_t c = x->shape[1];
    if (p->groups < 1 || c % p->groups)
        return ls_fail(LS_ERR_SHAPE, "%s: %lld channels not divisible into %d groups", op, (long long)c, p->groups);
    if (p->frames < 1 || x->shape[0] % p->frames)
        return ls_fail(LS_ERR_SHAPE, "%s: batch %lld not a multiple of %d frames", op, (long long)x->shape[0], p->frames);
    if (!(p->eps > 0)) return ls_fail(LS_ERR_INPUT, "%s: eps must be positive", op);
    LS_TRY(ops_check_affine(op, gamma, out, c));
    LS_TRY(ops_check_affine(op, beta, out, c));
    LS_TRY(ops_check_supported(OP_GROUP_NORM, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->group_norm(OPS_CTX(out), out, x, gamma, beta, p);
    ops_trace_end(out);
    return s;
}
