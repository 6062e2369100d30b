// ops-impl.h — checks shared by the op files: one backend for all tensors, dtypes, support queries.
#ifndef LS_OPS_IMPL_H
#define LS_OPS_IMPL_H

#include <stdio.h>

#include "ops.h"

// All non-NULL tensors must live on out's backend (or out is on the plan backend, which accepts any),
// and have data unless on the plan backend.
ls_status ops_check_backend(const char *op, const tensor *out, int n, const tensor *const *ins);
// Fails unless t->dtype == dt.
ls_status ops_check_dtype(const char *op, const char *what, const tensor *t, dtype dt);
// Weights: f32/f16/bf16, or i8 with scales.
ls_status ops_check_weight(const char *op, const tensor *w);
// Fails unless t has rank n.
ls_status ops_check_rank(const char *op, const char *what, const tensor *t, int n);
ls_status ops_check_contiguous(const char *op, const char *what, const tensor *t);
// Fails unless the backend claims support.
ls_status ops_check_supported(op_kind op, const tensor *out, dtype w_dt);
// Fails unless a and b have the same shape.
ls_status ops_check_same_shape(const char *op, const char *what, const tensor *a, const tensor *b);

// Affine parameter of a norm: NULL, or (c) contiguous with out's dtype.
ls_status ops_check_affine(const char *op, const tensor *t, const tensor *out, int64_t c);

// Trace spans per op, except while planning (the plan backend runs every op without computing).
static inline void ops_trace_begin(const char *op, const tensor *out) {
    if (!out->backend->is_plan) trace_begin(op, "op");
}
static inline void ops_trace_end(const tensor *out) {
    if (!out->backend->is_plan) trace_end();
}

#define OPS_BACKEND(t) ((t)->backend->ops)
#define OPS_CTX(t) ((t)->backend->ctx)

#endif
