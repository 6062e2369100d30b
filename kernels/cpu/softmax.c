// softmax.c — CPU softmax over the last dim (max-subtracted, vectorised exp). Tested by test_softmax.c.
#include <math.h>

#include "cpu-impl.h"
#include "vecmath.h"

struct sm_job {
    const tensor *out, *x;
    int64_t c;
};

static void softmax_row(float *o, const float *x, int64_t c) {
    float m = x[0];
    for (int64_t i = 1; i < c; i++) m = x[i] > m ? x[i] : m;
    vf acc = vsplat(0.0f);
    int64_t i = 0;
    for (; i + VEC_LANES <= c; i += VEC_LANES) {
        vf e = vexp(vload(x + i) - m);
        vstore(o + i, e);
        acc += e;
    }
    float sum = vhsum(acc);
    for (; i < c; i++) {
        o[i] = expf(x[i] - m);
        sum += o[i];
    }
    float inv = 1.0f / sum;
    for (i = 0; i < c; i++) o[i] *= inv;
}

static void sm_range(void *arg, int64_t begin, int64_t end, int thread) {
    (void)thread;
    const struct sm_job *job = arg;
    for (int64_t r = begin; r < end; r++)
        softmax_row((float *)job->out->data + r * job->c, (const float *)job->x->data + r * job->c, job->c);
}

ls_status cpu_softmax(void *ctx, const tensor *out, const tensor *x) {
    int64_t c = x->shape[x->n_dims - 1];
    struct sm_job job = {out, x, c};
    cpu_parallel_for(ctx, c ? tensor_n_elems(x) / c : 0, 16, sm_range, &job);
    return LS_OK;
}
