// face-impl.h — shared by the face model files: a weight_source over a TensorFlow.js file whose tensors
// were converted to our layouts (models/face_weights.c), and TensorFlow's SAME padding.
#ifndef LS_FACE_IMPL_H
#define LS_FACE_IMPL_H

#include "face.h"
#include "tfjs.h"

struct face_converted;

// The tensors of one TF.js file; conversions add tensors in our layouts. find() returns a converted tensor
// when one has that name, else the file's own. Missing inputs of conversions are collected and reported
// together by face_source_check.
struct face_source {
    struct tfjs_weights tfjs;
    struct face_converted *conv;
    int n_conv, cap_conv;
    int n_missing;
    char missing[400];
    ls_status error;
    char error_msg[400];
    struct weight_source src; // label = the manifest's file name
};

ls_status face_source_open(struct face_source *fs, const char *manifest_path);
void face_source_close(struct face_source *fs);
// Conv filter (KH, KW, Ci, Co) -> (Co, Ci, KH, KW), same name.
void face_source_conv(struct face_source *fs, const char *name);
// Depthwise filter (KH, KW, C, 1) -> (C, 1, KH, KW), same name.
void face_source_depthwise(struct face_source *fs, const char *name);
// tf.matMul weight (in, out) -> (out, in), same name.
void face_source_matrix(struct face_source *fs, const char *name);
// Folds tf.batchNorm(depthwise(x), mean, variance, beta, gamma, eps) into a depthwise filter: writes
// "<prefix>/folded_weights" (C, 1, KH, KW) = w * gamma / sqrt(variance + eps) and "<prefix>/folded_bias"
// (C) = beta - mean * gamma / sqrt(variance + eps), from "<prefix>/depthwise_weights" and
// "<prefix>/BatchNorm/{gamma,beta,moving_mean,moving_variance}".
void face_source_depthwise_bn(struct face_source *fs, const char *prefix, double eps);
// LS_OK, or the first conversion error / the list of missing inputs.
ls_status face_source_check(const struct face_source *fs);

// TensorFlow's SAME padding for one axis: out = ceil(in / stride), the odd pixel goes after.
static inline void face_same_pad(int64_t in, int kernel, int stride, int *before, int *after) {
    int64_t out = (in + stride - 1) / stride, total = (out - 1) * stride + kernel - in;
    if (total < 0) total = 0;
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
}

static inline struct conv2d_params face_same_conv(int64_t h, int64_t w, int kernel, int stride, int groups) {
    struct conv2d_params p = {
        .stride_h = stride, .stride_w = stride, .dilation_h = 1, .dilation_w = 1, .groups = groups};
    face_same_pad(h, kernel, stride, &p.pad_top, &p.pad_bottom);
    face_same_pad(w, kernel, stride, &p.pad_left, &p.pad_right);
    return p;
}

#endif
