// tensor.c — tensor descriptors and views (reshape, permute, slice, broadcast); no memory is owned here.
#include <stdio.h>
#include <string.h>

#include "runtime.h"

static void set_contiguous_strides(tensor *t) {
    int64_t s = 1;
    for (int i = t->n_dims - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i];
    }
}

const char *shape_str(int n_dims, const int64_t *shape, char *buf, size_t buf_bytes) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, buf_bytes - n, "(");
    for (int i = 0; i < n_dims && n < buf_bytes; i++)
        n += (size_t)snprintf(buf + n, buf_bytes - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n < buf_bytes) snprintf(buf + n, buf_bytes - n, ")");
    return buf;
}

const char *tensor_shape_str(const tensor *t, char *buf, size_t buf_bytes) {
    return shape_str(t->n_dims, t->shape, buf, buf_bytes);
}

ls_status tensor_wrap(tensor *t, struct backend *be, dtype dt, int n_dims, const int64_t *shape, void *data) {
    if (n_dims < 0 || n_dims > TENSOR_MAX_DIMS)
        return ls_fail(LS_ERR_SHAPE, "tensor rank %d outside 0..%d", n_dims, TENSOR_MAX_DIMS);
    if ((unsigned)dt >= DTYPE_COUNT) return ls_fail(LS_ERR_DTYPE, "unknown dtype %d", (int)dt);
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->n_dims = n_dims;
    for (int i = 0; i < n_dims; i++) {
        if (shape[i] < 0) return ls_fail(LS_ERR_SHAPE, "negative dimension %lld", (long long)shape[i]);
        t->shape[i] = shape[i];
    }
    set_contiguous_strides(t);
    t->data = data;
    t->backend = be;
    return LS_OK;
}

int64_t tensor_n_elems(const tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->n_dims; i++) n *= t->shape[i];
    return n;
}

size_t tensor_n_bytes(const tensor *t) { return (size_t)tensor_n_elems(t) * dtype_size(t->dtype); }

bool tensor_is_contiguous(const tensor *t) {
    int64_t s = 1;
    for (int i = t->n_dims - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return false;
        s *= t->shape[i];
    }
    return true;
}

bool tensor_same_shape(const tensor *a, const tensor *b) {
    if (a->n_dims != b->n_dims) return false;
    for (int i = 0; i < a->n_dims; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

ls_status tensor_reshape(tensor *out, const tensor *t, int n_dims, const int64_t *shape) {
    char a[96], b[96];
    if (!tensor_is_contiguous(t))
        return ls_fail(LS_ERR_SHAPE, "reshape of a non-contiguous tensor %s", tensor_shape_str(t, a, sizeof a));
    if (n_dims < 0 || n_dims > TENSOR_MAX_DIMS) return ls_fail(LS_ERR_SHAPE, "reshape to rank %d", n_dims);
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++) n *= shape[i];
    if (n != tensor_n_elems(t))
        return ls_fail(LS_ERR_SHAPE, "reshape %s to %s: element counts differ", tensor_shape_str(t, a, sizeof a),
                       shape_str(n_dims, shape, b, sizeof b));
    tensor r = *t;
    r.n_dims = n_dims;
    for (int i = 0; i < n_dims; i++) r.shape[i] = shape[i];
    set_contiguous_strides(&r);
    *out = r;
    return LS_OK;
}

ls_status tensor_permute(tensor *out, const tensor *t, const int *perm) {
    int seen = 0;
    tensor r = *t;
    for (int i = 0; i < t->n_dims; i++) {
        int p = perm[i];
        if (p < 0 || p >= t->n_dims || (seen & (1 << p)))
            return ls_fail(LS_ERR_SHAPE, "permute: bad permutation entry %d at position %d", p, i);
        seen |= 1 << p;
        r.shape[i] = t->shape[p];
        r.stride[i] = t->stride[p];
    }
    *out = r;
    return LS_OK;
}

ls_status tensor_slice(tensor *out, const tensor *t, int dim, int64_t start, int64_t len) {
    char a[96];
    if (dim < 0 || dim >= t->n_dims || start < 0 || len < 0 || start + len > t->shape[dim])
        return ls_fail(LS_ERR_SHAPE, "slice [%lld, %lld) of dim %d of %s out of range", (long long)start,
                       (long long)(start + len), dim, tensor_shape_str(t, a, sizeof a));
    tensor r = *t;
    r.shape[dim] = len;
    if (t->data) r.data = (char *)t->data + (size_t)(start * t->stride[dim]) * dtype_size(t->dtype);
    if (t->scale && dim == 0) r.scale = t->scale + start;
    *out = r;
    return LS_OK;
}

ls_status tensor_broadcast(tensor *out, const tensor *t, int n_dims, const int64_t *shape) {
    char a[96], b[96];
    if (n_dims != t->n_dims) goto bad;
    tensor r = *t;
    for (int i = 0; i < n_dims; i++) {
        if (t->shape[i] == shape[i]) continue;
        if (t->shape[i] != 1) goto bad;
        r.shape[i] = shape[i];
        r.stride[i] = 0;
    }
    *out = r;
    return LS_OK;
bad:
    return ls_fail(LS_ERR_SHAPE, "cannot broadcast %s to %s", tensor_shape_str(t, a, sizeof a),
                   shape_str(n_dims, shape, b, sizeof b));
}
