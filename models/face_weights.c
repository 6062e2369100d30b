// face_weights.c — the face-api TensorFlow.js files as a weight_source in our layouts: convolution filters
// HWIO -> OIHW, depthwise filters -> (C, 1, KH, KW), matMul weights transposed, and the SSD's depthwise
// batch norms folded into their filters at load (face-api `ssdMobilenetv1/mobileNetV1.ts`
// depthwiseConvLayer computes depthwiseConv2d then tf.batchNorm with epsilon 0.0010000000474974513).
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face-impl.h"

struct face_converted {
    char name[128];
    tensor t;
    float *data;
};

static bool source_find(void *ctx, const char *name, tensor *out) {
    const struct face_source *fs = ctx;
    for (int i = 0; i < fs->n_conv; i++)
        if (!strcmp(fs->conv[i].name, name)) {
            *out = fs->conv[i].t;
            return true;
        }
    const tensor *t = tfjs_find(&fs->tfjs, name);
    if (t) *out = *t;
    return t != NULL;
}

static int source_count(void *ctx) { return ((const struct face_source *)ctx)->tfjs.n_tensors; }
static const char *source_name_at(void *ctx, int i) { return ((const struct face_source *)ctx)->tfjs.tensors[i].name; }

ls_status face_source_open(struct face_source *fs, const char *manifest_path) {
    memset(fs, 0, sizeof *fs);
    LS_TRY(tfjs_read(&fs->tfjs, manifest_path));
    fs->src = (struct weight_source){.label = fs->tfjs.label,
                                     .find = source_find,
                                     .count = source_count,
                                     .name_at = source_name_at,
                                     .ctx = fs,
                                     .keeps_memory = false};
    return LS_OK;
}

void face_source_close(struct face_source *fs) {
    if (!fs) return;
    for (int i = 0; i < fs->n_conv; i++)
        free(fs->conv[i].data);
    free(fs->conv);
    tfjs_free(&fs->tfjs);
    memset(fs, 0, sizeof *fs);
}

static void record_error(struct face_source *fs, ls_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void record_error(struct face_source *fs, ls_status status, const char *fmt, ...) {
    if (fs->error) return;
    fs->error = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fs->error_msg, sizeof fs->error_msg, fmt, ap);
    va_end(ap);
}

static void note_missing(struct face_source *fs, const char *name) {
    size_t used = strlen(fs->missing);
    if (fs->n_missing < 5 && used + strlen(name) + 4 < sizeof fs->missing)
        snprintf(fs->missing + used, sizeof fs->missing - used, "%s'%s'", used ? ", " : "", name);
    fs->n_missing++;
}

// The file's f32 tensor `name` of rank n_dims, or NULL (recorded as missing or as an error).
static const tensor *input(struct face_source *fs, const char *name, int n_dims) {
    const tensor *t = tfjs_find(&fs->tfjs, name);
    if (!t) {
        note_missing(fs, name);
        return NULL;
    }
    if (t->dtype != DTYPE_F32 || t->n_dims != n_dims) {
        char s[96];
        record_error(fs, LS_ERR_SHAPE, "%s: tensor '%s': %s %s, expected a rank-%d float32 tensor", fs->tfjs.label,
                     name, dtype_name(t->dtype), tensor_shape_str(t, s, sizeof s), n_dims);
        return NULL;
    }
    return t;
}

// A new converted tensor (uninitialised values); NULL on OOM (recorded).
static float *output(struct face_source *fs, const char *name, int n_dims, const int64_t *shape) {
    if (fs->n_conv == fs->cap_conv) {
        int cap = fs->cap_conv ? 2 * fs->cap_conv : 64;
        struct face_converted *p = realloc(fs->conv, (size_t)cap * sizeof *p);
        if (!p) goto oom;
        fs->conv = p;
        fs->cap_conv = cap;
    }
    struct face_converted *c = &fs->conv[fs->n_conv];
    memset(c, 0, sizeof *c);
    if (tensor_wrap(&c->t, NULL, DTYPE_F32, n_dims, shape, NULL)) goto oom;
    c->data = malloc((size_t)tensor_n_elems(&c->t) * 4 + 4);
    if (!c->data) goto oom;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->t.data = c->data;
    fs->n_conv++;
    return c->data;
oom:
    record_error(fs, LS_ERR_OOM, "%s: out of memory converting '%s'", fs->tfjs.label, name);
    return NULL;
}

void face_source_conv(struct face_source *fs, const char *name) {
    const tensor *t = input(fs, name, 4);
    if (!t) return;
    int64_t kh = t->shape[0], kw = t->shape[1], ci = t->shape[2], co = t->shape[3];
    float *dst = output(fs, name, 4, (int64_t[]){co, ci, kh, kw});
    if (dst) tfjs_hwio_to_oihw(dst, t->data, kh, kw, ci, co);
}

void face_source_depthwise(struct face_source *fs, const char *name) {
    const tensor *t = input(fs, name, 4);
    if (!t) return;
    int64_t kh = t->shape[0], kw = t->shape[1], c = t->shape[2], m = t->shape[3];
    float *dst = output(fs, name, 4, (int64_t[]){c * m, 1, kh, kw});
    if (dst) tfjs_depthwise_to_oihw(dst, t->data, kh, kw, c, m);
}

void face_source_matrix(struct face_source *fs, const char *name) {
    const tensor *t = input(fs, name, 2);
    if (!t) return;
    float *dst = output(fs, name, 2, (int64_t[]){t->shape[1], t->shape[0]});
    if (dst) tfjs_transpose(dst, t->data, t->shape[0], t->shape[1]);
}

void face_source_depthwise_bn(struct face_source *fs, const char *prefix, double eps) {
    char name[160];
    static const char *const parts[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const tensor *bn[4];
    snprintf(name, sizeof name, "%s/depthwise_weights", prefix);
    const tensor *w = input(fs, name, 4);
    bool ok = w != NULL;
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s/BatchNorm/%s", prefix, parts[i]);
        bn[i] = input(fs, name, 1);
        ok = ok && bn[i];
    }
    if (!ok) return;
    int64_t kh = w->shape[0], kw = w->shape[1], c = w->shape[2];
    for (int i = 0; i < 4; i++)
        if (bn[i]->shape[0] != c || w->shape[3] != 1) {
            record_error(fs, LS_ERR_SHAPE, "%s: '%s/BatchNorm/%s' has %lld channels, the depthwise filter %lld x %lld",
                         fs->tfjs.label, prefix, parts[i], (long long)bn[i]->shape[0], (long long)c,
                         (long long)w->shape[3]);
            return;
        }
    snprintf(name, sizeof name, "%s/folded_weights", prefix);
    float *fw = output(fs, name, 4, (int64_t[]){c, 1, kh, kw});
    if (!fw) return;
    snprintf(name, sizeof name, "%s/folded_bias", prefix);
    float *fb = output(fs, name, 1, (int64_t[]){c});
    if (!fb) return;
    tfjs_depthwise_to_oihw(fw, w->data, kh, kw, c, 1);
    const float *gamma = bn[0]->data, *beta = bn[1]->data, *mean = bn[2]->data, *var = bn[3]->data;
    for (int64_t i = 0; i < c; i++) {
        double s = gamma[i] / sqrt((double)var[i] + eps);
        for (int64_t k = 0; k < kh * kw; k++)
            fw[i * kh * kw + k] = (float)(fw[i * kh * kw + k] * s);
        fb[i] = (float)(beta[i] - mean[i] * s);
    }
}

ls_status face_source_check(const struct face_source *fs) {
    if (fs->n_missing)
        return ls_fail(LS_ERR_INPUT, "%s: %d tensor%s missing: %s%s", fs->tfjs.label, fs->n_missing,
                       fs->n_missing == 1 ? "" : "s", fs->missing, fs->n_missing > 5 ? ", ..." : "");
    if (fs->error) return ls_fail(fs->error, "%s", fs->error_msg);
    return LS_OK;
}
