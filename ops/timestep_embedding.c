// timestep_embedding.c — op_timestep_embedding: diffusers' get_timestep_embedding (sinusoids of t).
#include "ops-impl.h"

ls_status op_timestep_embedding(const tensor *out, const tensor *t, const struct timestep_params *p) {
    static const char op[] = "timestep_embedding";
    char a[96], b[96];
    LS_TRY(ops_check_backend(op, out, 1, (const tensor *[]){t}));
    LS_TRY(ops_check_dtype(op, "timesteps", t, DTYPE_F32));
    LS_TRY(ops_check_rank(op, "timesteps", t, 1));
    LS_TRY(ops_check_rank(op, "output", out, 2));
    LS_TRY(ops_check_contiguous(op, "output", out));
    if (out->shape[0] != t->shape[0] || out->shape[1] < 2 || out->shape[1] % 2)
        return ls_fail(LS_ERR_SHAPE, "%s: output %s for timesteps %s (dim must be even)", op,
                       tensor_shape_str(out, a, sizeof a), tensor_shape_str(t, b, sizeof b));
    if (!(p->max_period > 1) || !((float)(out->shape[1] / 2) - p->freq_shift > 0))
        return ls_fail(LS_ERR_INPUT, "%s: bad max_period %g or freq_shift %g", op, p->max_period, p->freq_shift);
    LS_TRY(ops_check_supported(OP_TIMESTEP_EMBEDDING, out, DTYPE_COUNT));
    ops_trace_begin(op, out);
    ls_status s = OPS_BACKEND(out)->timestep_embedding(OPS_CTX(out), out, t, p);
    ops_trace_end(out);
    return s;
}
