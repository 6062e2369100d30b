// weights.c — binding a model's named weights from a weight_source onto a backend: shape checks with
// one-line messages, all missing names reported at once, unexpected names warned about, dtype placement
// (GEMM weights keep f16/bf16/i8 when the backend's kernels take them; everything else gets the
// activation dtype), one buffer per model, and zero-copy aliasing of an mmap'd source on the CPU.
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models.h"

#define NAME_BYTES 256
#define ALIGN_BYTES 256

struct weight_binder {
    const struct weight_source *src; // NULL: random weights
    dtype random_matrix_dt;
    uint64_t random_state;
    struct backend *be;
    dtype act;
    bool sizing, zero_copy;
    size_t n_bytes; // sizing: total; copying: cursor
    uint8_t *buffer;
    size_t n_tensors, n_params;
    int n_missing;
    char missing[512];
    ls_status error;
    char error_msg[1024];
    char **bound; // names bound (copying pass), for the unexpected-name check
    size_t n_bound, cap_bound;
};

dtype backend_activation_dtype(const struct backend *be) {
    (void)be;
    return DTYPE_F32; // the CUDA backend also computes in f32 activations unless it opts into f16
}

bool weights_peek(const struct weight_source *src, const char *name, tensor *out) {
    return src->find(src->ctx, name, out);
}

static void record_error(struct weight_binder *b, ls_status s, const char *msg) {
    if (b->error) return;
    b->error = s;
    snprintf(b->error_msg, sizeof b->error_msg, "%s", msg);
}

static size_t reserve(struct weight_binder *b, size_t n_bytes) {
    size_t at = (b->n_bytes + ALIGN_BYTES - 1) & ~(size_t)(ALIGN_BYTES - 1);
    b->n_bytes = at + n_bytes;
    return at;
}

static bool keeps_dtype(const struct weight_binder *b, weight_kind kind, dtype src_dt) {
    if (kind == WEIGHT_PARAM) return src_dt == b->act;
    if (src_dt == DTYPE_I32) return false;
    return b->be->ops->supports(b->be->ctx, OP_LINEAR, b->act, src_dt) &&
           b->be->ops->supports(b->be->ctx, OP_CONV2D, b->act, src_dt);
}

// Converts a contiguous host tensor to `dt` (scaling i8 when dequantising) into dst; false on OOM.
static bool convert_host(void *dst, dtype dt, const tensor *src, const float *scale) {
    size_t n = (size_t)tensor_n_elems(src);
    if (src->dtype == dt) {
        memcpy(dst, src->data, n * dtype_size(dt));
        return true;
    }
    float *tmp = dt == DTYPE_F32 ? dst : malloc(n * 4 + 4);
    if (!tmp) return false;
    switch (src->dtype) {
    case DTYPE_F32: memcpy(tmp, src->data, n * 4); break;
    case DTYPE_F16: convert_f16_to_f32(tmp, src->data, n); break;
    case DTYPE_BF16: convert_bf16_to_f32(tmp, src->data, n); break;
    case DTYPE_I8: {
        const int8_t *q = src->data;
        size_t row = src->shape[0] ? n / (size_t)src->shape[0] : 0;
        for (size_t i = 0; i < n; i++) tmp[i] = (float)q[i] * (scale ? scale[row ? i / row : 0] : 1.0f);
        break;
    }
    default: break;
    }
    if (dt == DTYPE_F16) convert_f32_to_f16(dst, tmp, n);
    else if (dt == DTYPE_BF16) convert_f32_to_bf16(dst, tmp, n);
    if (tmp != dst) free(tmp);
    return true;
}

static ls_status upload_converted(struct weight_binder *b, void *dev, dtype dt, const tensor *src, const float *scale) {
    size_t n_bytes = (size_t)tensor_n_elems(src) * dtype_size(dt);
    if (b->be->ops == NULL || b->be->is_plan) return LS_OK;
    bool direct = src->dtype == dt;
    void *host = direct ? src->data : malloc(n_bytes ? n_bytes : 1);
    if (!host) return ls_fail(LS_ERR_OOM, "%s: out of memory converting a weight", b->src->label);
    if (!direct && !convert_host(host, dt, src, scale)) {
        free(host);
        return ls_fail(LS_ERR_OOM, "%s: out of memory converting a weight", b->src ? b->src->label : "random weights");
    }
    ls_status s = b->be->ops->upload(b->be->ctx, dev, host, n_bytes);
    if (!direct) free(host);
    return s;
}

static uint64_t next_random(uint64_t *state) { // splitmix64
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Unit-variance uniform noise: cheap enough for 1.3 B values (a normal would take ~40 s here).
static float random_unit(uint64_t *state) {
    return (float)((double)(next_random(state) >> 11) * (3.4641016151377544 / 9007199254740992.0) - 1.7320508075688772);
}

static void bind_random(struct weight_binder *b, tensor *out, weight_kind kind, int n_dims, const int64_t *shape,
                        const char *name) {
    dtype dt = kind == WEIGHT_MATRIX ? b->random_matrix_dt : b->act;
    tensor host;
    ls_status st = tensor_wrap(&host, NULL, DTYPE_F32, n_dims, shape, NULL);
    if (st) {
        record_error(b, st, ls_error());
        return;
    }
    size_t n = (size_t)tensor_n_elems(&host), n_bytes = n * dtype_size(dt);
    if (b->sizing) {
        reserve(b, n_bytes);
        b->n_tensors++;
        b->n_params += n;
        return;
    }
    LS_ASSERT(dt != DTYPE_I8);
    float *vals = malloc(n * 4 + 4);
    if (!vals) {
        record_error(b, LS_ERR_OOM, "random weights: out of memory");
        return;
    }
    bool is_norm_weight = n_dims == 1 && strstr(name, "norm") && strstr(name, ".weight");
    float scale = n_dims >= 2 ? 1.0f / sqrtf((float)(n / (size_t)shape[0])) : 0.1f;
    for (size_t i = 0; i < n; i++) vals[i] = (is_norm_weight ? 1.0f : 0.0f) + scale * random_unit(&b->random_state);
    host.data = vals;
    st = tensor_wrap(out, b->be, dt, n_dims, shape, b->buffer + reserve(b, n_bytes));
    if (!st) st = upload_converted(b, out->data, dt, &host, NULL);
    if (st) record_error(b, st, ls_error());
    free(vals);
}

static void remember(struct weight_binder *b, const char *name) {
    if (b->n_bound == b->cap_bound) {
        size_t cap = b->cap_bound ? 2 * b->cap_bound : 256;
        char **p = realloc(b->bound, cap * sizeof *p);
        if (!p) return;
        b->bound = p;
        b->cap_bound = cap;
    }
    char *copy = strdup(name);
    if (copy) b->bound[b->n_bound++] = copy;
}

void weights_bind(struct weight_binder *b, tensor *out, weight_kind kind, int n_dims, const int64_t *shape,
                  const char *name_fmt, ...) {
    char name[NAME_BYTES], msg[768], s1[96], s2[96];
    va_list ap;
    va_start(ap, name_fmt);
    vsnprintf(name, sizeof name, name_fmt, ap);
    va_end(ap);
    memset(out, 0, sizeof *out);
    if (!b->src) {
        bind_random(b, out, kind, n_dims, shape, name);
        return;
    }
    tensor src;
    if (!b->src->find(b->src->ctx, name, &src)) {
        if (b->sizing) {
            size_t used = strlen(b->missing);
            if (b->n_missing < 6 && used + strlen(name) + 3 < sizeof b->missing)
                snprintf(b->missing + used, sizeof b->missing - used, "%s'%s'", used ? ", " : "", name);
            b->n_missing++;
        }
        return;
    }
    bool same = src.n_dims == n_dims;
    for (int i = 0; same && i < n_dims; i++) same = src.shape[i] == shape[i];
    if (!same) {
        snprintf(msg, sizeof msg, "%s: tensor '%s': shape %s, expected %s", b->src->label, name,
                 tensor_shape_str(&src, s1, sizeof s1), shape_str(n_dims, shape, s2, sizeof s2));
        record_error(b, LS_ERR_SHAPE, msg);
        return;
    }
    if (src.dtype == DTYPE_I32 || (src.dtype == DTYPE_I8 && kind != WEIGHT_MATRIX)) {
        snprintf(msg, sizeof msg, "%s: tensor '%s': dtype %s is not a float weight", b->src->label, name,
                 dtype_name(src.dtype));
        record_error(b, LS_ERR_DTYPE, msg);
        return;
    }
    tensor scale_src = {0};
    if (src.dtype == DTYPE_I8) {
        char sname[NAME_BYTES + 8];
        snprintf(sname, sizeof sname, "%s.scale", name);
        if (!b->src->find(b->src->ctx, sname, &scale_src) || scale_src.dtype != DTYPE_F32 || scale_src.n_dims != 1 ||
            scale_src.shape[0] != shape[0]) {
            snprintf(msg, sizeof msg, "%s: tensor '%s': i8 weight without a (%lld) f32 '%s'", b->src->label, name,
                     (long long)shape[0], sname);
            record_error(b, LS_ERR_INPUT, msg);
            return;
        }
    }
    dtype dt = keeps_dtype(b, kind, src.dtype) ? src.dtype : b->act;
    bool alias = b->zero_copy && dt == src.dtype;
    size_t n_bytes = (size_t)tensor_n_elems(&src) * dtype_size(dt);
    if (b->sizing) {
        if (!alias) reserve(b, n_bytes);
        if (dt == DTYPE_I8 && !alias) reserve(b, (size_t)shape[0] * 4);
        b->n_tensors++;
        b->n_params += (size_t)tensor_n_elems(&src);
        return;
    }
    ls_status st = tensor_wrap(out, b->be, dt, n_dims, shape, NULL);
    if (st) {
        record_error(b, st, ls_error());
        return;
    }
    if (alias) {
        out->data = src.data;
        if (dt == DTYPE_I8) out->scale = scale_src.data;
    } else {
        out->data = b->buffer + reserve(b, n_bytes);
        st = upload_converted(b, out->data, dt, &src, dt == DTYPE_I8 ? NULL : scale_src.data);
        if (!st && dt == DTYPE_I8) {
            float *sc = (float *)(void *)(b->buffer + reserve(b, (size_t)shape[0] * 4));
            st = b->be->ops->upload(b->be->ctx, sc, scale_src.data, (size_t)shape[0] * 4);
            out->scale = sc;
        }
        if (st) record_error(b, st, ls_error());
    }
    remember(b, name);
    if (dt == DTYPE_I8) {
        char sname[NAME_BYTES + 8];
        snprintf(sname, sizeof sname, "%s.scale", name);
        remember(b, sname);
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void warn_unexpected(struct weight_binder *b, const char *const *unused) {
    const struct weight_source *src = b->src;
    if (!src->count || !src->name_at) return;
    qsort(b->bound, b->n_bound, sizeof *b->bound, cmp_str);
    int n = src->count(src->ctx), n_unexpected = 0;
    char list[400] = "";
    for (int i = 0; i < n; i++) {
        const char *name = src->name_at(src->ctx, i);
        bool skip = false;
        for (int u = 0; unused && unused[u] && !skip; u++) skip = !strncmp(name, unused[u], strlen(unused[u]));
        if (skip || bsearch(&name, b->bound, b->n_bound, sizeof *b->bound, cmp_str)) continue;
        size_t used = strlen(list);
        if (n_unexpected < 4 && used + strlen(name) + 4 < sizeof list)
            snprintf(list + used, sizeof list - used, "%s'%s'", used ? ", " : "", name);
        n_unexpected++;
    }
    if (n_unexpected)
        log_msg(LOG_WARN, "%s: %d unexpected tensor%s ignored: %s%s", src->label, n_unexpected,
                n_unexpected == 1 ? "" : "s", list, n_unexpected > 4 ? ", ..." : "");
}

static void binder_release(struct weight_binder *b) {
    for (size_t i = 0; i < b->n_bound; i++) free(b->bound[i]);
    free(b->bound);
}

ls_status weights_load(struct weight_store *store, const struct weight_source *src, struct backend *be,
                       weights_bind_fn bind, void *model, const char *const *unused) {
    memset(store, 0, sizeof *store);
    struct weight_binder b = {.src = src, .be = be, .act = backend_activation_dtype(be), .sizing = true};
    b.zero_copy = src->keeps_memory && !strcmp(be->ops->name, "cpu");
    bind(&b, model);
    if (b.n_missing) {
        binder_release(&b);
        return ls_fail(LS_ERR_INPUT, "%s: %d tensor%s missing: %s%s", src->label, b.n_missing,
                       b.n_missing == 1 ? "" : "s", b.missing, b.n_missing > 6 ? ", ..." : "");
    }
    if (b.error) {
        binder_release(&b);
        return ls_fail(b.error, "%s", b.error_msg);
    }
    size_t total = b.n_bytes;
    if (total) {
        ls_status s = backend_alloc(be, total, (void **)&b.buffer);
        if (s) {
            binder_release(&b);
            return ls_fail_context(s, "%s: weights of %.1f MiB: ", src->label, (double)total / (1 << 20));
        }
    }
    size_t n_tensors = b.n_tensors, n_params = b.n_params;
    b.sizing = false;
    b.n_bytes = 0;
    bind(&b, model);
    if (b.error) {
        backend_release(be, b.buffer);
        binder_release(&b);
        return ls_fail(b.error, "%s", b.error_msg);
    }
    warn_unexpected(&b, unused);
    store->backend = be;
    store->buffer = b.buffer;
    store->n_bytes = total;
    store->n_tensors = n_tensors;
    store->n_params = n_params;
    binder_release(&b);
    return LS_OK;
}

ls_status weights_init_random(struct weight_store *store, struct backend *be, weights_bind_fn bind, void *model,
                              dtype matrix_dt, uint64_t seed) {
    memset(store, 0, sizeof *store);
    struct weight_binder b = {.src = NULL, .be = be, .act = backend_activation_dtype(be), .sizing = true,
                              .random_matrix_dt = matrix_dt, .random_state = seed};
    if (matrix_dt != DTYPE_F32 && matrix_dt != DTYPE_F16 && matrix_dt != DTYPE_BF16)
        return ls_fail(LS_ERR_USAGE, "random weights: dtype %s not supported (f32, f16, bf16)", dtype_name(matrix_dt));
    bind(&b, model);
    if (b.error) return ls_fail(b.error, "%s", b.error_msg);
    size_t total = b.n_bytes, n_tensors = b.n_tensors, n_params = b.n_params;
    if (total) LS_TRY(backend_alloc(be, total, (void **)&b.buffer));
    b.sizing = false;
    b.n_bytes = 0;
    bind(&b, model);
    if (b.error) {
        backend_release(be, b.buffer);
        return ls_fail(b.error, "%s", b.error_msg);
    }
    *store = (struct weight_store){be, b.buffer, total, n_tensors, n_params};
    return LS_OK;
}

void weights_free(struct weight_store *store) {
    if (!store) return;
    if (store->buffer) backend_release(store->backend, store->buffer);
    memset(store, 0, sizeof *store);
}
