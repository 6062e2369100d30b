// face_landmarks.c — face-api's 68-point landmark net (face_landmark_68_model) on our ops, with its input
// crop and output mapping. Reproduces @vladmandic/face-api 1.7.15: FaceFeatureExtractor.forwardInput
// (crop padded to a centred square, resized to 112, minus the mean RGB (122.782, 117.001, 104.298), / 255;
// four denseBlock4 of 32, 64, 128, 256 channels, each halving the size; 7x7 average pool), FaceProcessor
// .runNet (fully connected 256 -> 136), FaceLandmark68NetBase.postProcess (x 112, minus the centring pad,
// / the scaled crop size) and DetectAllFaceLandmarksTask (crop = Box.clipAtImageBorders of the detection,
// points shifted by the unclipped detection box). denseBlock4 (faceFeatureExtractor/denseBlock.ts):
// out1 = relu(conv0(x)), out2 = sep1(out1), out3 = sep2(relu(out1 + out2)),
// out4 = sep3(relu(out1 + (out2 + out3))), result = relu(out1 + (out2 + (out3 + out4))); sepK is a depthwise
// 3x3 then a pointwise 1x1 then the bias (tf.separableConv2d), conv0 of block 0 a dense 3x3 conv.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face-impl.h"

static const int block_channels[FACE_LM_BLOCKS + 1] = {3, 32, 64, 128, 256};
static const float mean_rgb[3] = {122.782f, 117.001f, 104.298f};

#define LM_HOST_FLOATS (3 * FACE_LM_INPUT * FACE_LM_INPUT)

static void bind_landmarks(struct weight_binder *b, void *model) {
    struct face_landmarks *m = model;
    for (int d = 0; d < FACE_LM_BLOCKS; d++) {
        struct face_lm_block *k = &m->dense[d];
        int64_t ci = block_channels[d], co = block_channels[d + 1];
        for (int c = 0; c < 4; c++) {
            int64_t in = c ? co : ci;
            if (d == 0 && c == 0) {
                weights_bind(b, &k->conv_w[0], WEIGHT_MATRIX, 4, (int64_t[]){co, ci, 3, 3}, "dense0/conv0/filters");
            } else {
                weights_bind(b, &k->conv_dw[c], WEIGHT_MATRIX, 4, (int64_t[]){in, 1, 3, 3},
                             "dense%d/conv%d/depthwise_filter", d, c);
                weights_bind(b, &k->conv_w[c], WEIGHT_MATRIX, 4, (int64_t[]){co, in, 1, 1},
                             "dense%d/conv%d/pointwise_filter", d, c);
            }
            weights_bind(b, &k->conv_b[c], WEIGHT_PARAM, 1, (int64_t[]){co}, "dense%d/conv%d/bias", d, c);
        }
    }
    weights_bind(b, &m->fc_w, WEIGHT_MATRIX, 2, (int64_t[]){2 * FACE_LM_POINTS, 256}, "fc/weights");
    weights_bind(b, &m->fc_b, WEIGHT_PARAM, 1, (int64_t[]){2 * FACE_LM_POINTS}, "fc/bias");
}

ls_status face_landmarks_load(struct face_landmarks *m, const char *manifest_path, struct backend *be) {
    memset(m, 0, sizeof *m);
    struct face_source fs;
    LS_TRY(face_source_open(&fs, manifest_path));
    char name[96];
    face_source_conv(&fs, "dense0/conv0/filters");
    for (int d = 0; d < FACE_LM_BLOCKS; d++)
        for (int c = d ? 0 : 1; c < 4; c++) {
            snprintf(name, sizeof name, "dense%d/conv%d/depthwise_filter", d, c);
            face_source_depthwise(&fs, name);
            snprintf(name, sizeof name, "dense%d/conv%d/pointwise_filter", d, c);
            face_source_conv(&fs, name);
        }
    face_source_matrix(&fs, "fc/weights");
    ls_status s = face_source_check(&fs);
    if (!s) s = weights_load(&m->store, &fs.src, be, bind_landmarks, m, NULL);
    face_source_close(&fs);
    if (!s) {
        m->host = malloc(LM_HOST_FLOATS * sizeof *m->host);
        if (!m->host) {
            weights_free(&m->store);
            s = ls_fail(LS_ERR_OOM, "face landmarks: out of memory for the staging buffer");
        }
    }
    return s;
}

void face_landmarks_free(struct face_landmarks *m) {
    if (!m) return;
    weights_free(&m->store);
    free(m->host);
    memset(m, 0, sizeof *m);
}

// tf.separableConv2d(x, dw, pw, stride, 'same') + bias: out (1, Co, ho, wo); scratch from the arena.
static ls_status separable(arena *act, const tensor *out, const tensor *x, const tensor *dw, const tensor *pw,
                           const tensor *b, int stride) {
    size_t mark = arena_mark(act);
    tensor t;
    LS_TRY(arena_tensor(act, &t, DTYPE_F32, 4, (int64_t[]){1, x->shape[1], out->shape[2], out->shape[3]}));
    struct conv2d_params p = face_same_conv(x->shape[2], x->shape[3], 3, stride, (int)x->shape[1]);
    LS_TRY(op_conv2d(&t, x, dw, NULL, &p));
    struct conv2d_params p1 = CONV2D_SAME(1, 0);
    LS_TRY(op_conv2d(out, &t, pw, b, &p1));
    arena_release(act, mark);
    return LS_OK;
}

static ls_status dense_block(const struct face_lm_block *k, bool first, arena *act, const tensor *x,
                             const tensor *out) {
    int64_t s4[4] = {out->shape[0], out->shape[1], out->shape[2], out->shape[3]};
    size_t mark = arena_mark(act);
    tensor o1, o2, o3, o4, t;
    LS_TRY(arena_tensor(act, &o1, DTYPE_F32, 4, s4));
    LS_TRY(arena_tensor(act, &o2, DTYPE_F32, 4, s4));
    LS_TRY(arena_tensor(act, &o3, DTYPE_F32, 4, s4));
    LS_TRY(arena_tensor(act, &o4, DTYPE_F32, 4, s4));
    LS_TRY(arena_tensor(act, &t, DTYPE_F32, 4, s4));
    if (first) {
        struct conv2d_params p = face_same_conv(x->shape[2], x->shape[3], 3, 2, 1);
        LS_TRY(op_conv2d(&o1, x, &k->conv_w[0], &k->conv_b[0], &p));
    } else {
        LS_TRY(separable(act, &o1, x, &k->conv_dw[0], &k->conv_w[0], &k->conv_b[0], 2));
    }
    LS_TRY(op_relu(&o1, &o1));
    LS_TRY(separable(act, &o2, &o1, &k->conv_dw[1], &k->conv_w[1], &k->conv_b[1], 1));
    LS_TRY(op_add(&t, &o1, &o2));
    LS_TRY(op_relu(&t, &t));
    LS_TRY(separable(act, &o3, &t, &k->conv_dw[2], &k->conv_w[2], &k->conv_b[2], 1));
    LS_TRY(op_add(&t, &o2, &o3));
    LS_TRY(op_add(&t, &o1, &t));
    LS_TRY(op_relu(&t, &t));
    LS_TRY(separable(act, &o4, &t, &k->conv_dw[3], &k->conv_w[3], &k->conv_b[3], 1));
    LS_TRY(op_add(&t, &o3, &o4));
    LS_TRY(op_add(&t, &o2, &t));
    LS_TRY(op_add(&t, &o1, &t));
    LS_TRY(op_relu(out, &t));
    arena_release(act, mark);
    return LS_OK;
}

ls_status face_landmarks_forward(const struct face_landmarks *m, arena *act, const tensor *x, float *out136) {
    if (x->n_dims != 4 || x->shape[0] != 1 || x->shape[1] != 3 || x->shape[2] != FACE_LM_INPUT ||
        x->shape[3] != FACE_LM_INPUT) {
        char s[96];
        return ls_fail(LS_ERR_SHAPE, "face landmarks: input %s, expected (1, 3, %d, %d)",
                       tensor_shape_str(x, s, sizeof s), FACE_LM_INPUT, FACE_LM_INPUT);
    }
    model_trace_begin(act, "face_landmarks");
    size_t mark = arena_mark(act);
    const tensor *in = x;
    tensor blocks[FACE_LM_BLOCKS];
    int64_t size = FACE_LM_INPUT;
    for (int d = 0; d < FACE_LM_BLOCKS; d++) {
        size /= 2;
        LS_TRY(arena_tensor(act, &blocks[d], DTYPE_F32, 4, (int64_t[]){1, block_channels[d + 1], size, size}));
        LS_TRY(dense_block(&m->dense[d], d == 0, act, in, &blocks[d]));
        in = &blocks[d];
    }
    tensor pooled, flat, out;
    LS_TRY(arena_tensor(act, &pooled, DTYPE_F32, 4, (int64_t[]){1, 256, 1, 1}));
    LS_TRY(op_pool2d(
        &pooled, in,
        &(struct pool2d_params){.kind = POOL_AVG, .kernel_h = 7, .kernel_w = 7, .stride_h = 2, .stride_w = 2}));
    LS_TRY(tensor_reshape(&flat, &pooled, 2, (int64_t[]){1, 256}));
    LS_TRY(arena_tensor(act, &out, DTYPE_F32, 2, (int64_t[]){1, 2 * FACE_LM_POINTS}));
    LS_TRY(op_linear(&out, &flat, &m->fc_w, &m->fc_b));
    if (!act->planning) LS_TRY(tensor_download(&out, out136));
    arena_release(act, mark);
    model_trace_end(act);
    return LS_OK;
}

ls_status face_landmarks_plan(const struct face_landmarks *m, size_t *peak_bytes) {
    arena plan;
    arena_init_plan(&plan);
    tensor x;
    LS_TRY(arena_tensor(&plan, &x, DTYPE_F32, 4, (int64_t[]){1, 3, FACE_LM_INPUT, FACE_LM_INPUT}));
    LS_TRY(face_landmarks_forward(m, &plan, &x, NULL));
    *peak_bytes = plan.peak_bytes + 256;
    return LS_OK;
}

ls_status face_landmarks_detect(const struct face_landmarks *m, arena *act, const struct face_image *img,
                                const struct face_detection *face, float (*points)[2]) {
    int rect[4];
    LS_TRY(face_crop_rect(face, img->width, img->height, rect));
    LS_TRY(face_image_square_resize(img, rect, true, FACE_LM_INPUT, m->host));
    int64_t plane = FACE_LM_INPUT * FACE_LM_INPUT;
    for (int c = 0; c < 3; c++)
        for (int64_t i = 0; i < plane; i++)
            m->host[c * plane + i] = (m->host[c * plane + i] - mean_rgb[c]) / 255.0f;
    size_t mark = arena_mark(act);
    tensor x;
    LS_TRY(arena_tensor(act, &x, DTYPE_F32, 4, (int64_t[]){1, 3, FACE_LM_INPUT, FACE_LM_INPUT}));
    LS_TRY(tensor_upload(&x, m->host));
    float out[2 * FACE_LM_POINTS];
    ls_status s = face_landmarks_forward(m, act, &x, out);
    arena_release(act, mark);
    LS_TRY(s);
    // postProcess: the crop scaled to fit 112, centred on the padded axis; each step rounds to float32.
    double scale = (double)FACE_LM_INPUT / (rect[2] > rect[3] ? rect[2] : rect[3]);
    double w = rect[2] * scale, h = rect[3] * scale;
    float pad_x = (float)(w < h ? fabs(w - h) / 2 : 0.0), pad_y = (float)(h < w ? fabs(w - h) / 2 : 0.0);
    for (int i = 0; i < FACE_LM_POINTS; i++) {
        float rx = (out[2 * i] * (float)FACE_LM_INPUT - pad_x) / (float)w;
        float ry = (out[2 * i + 1] * (float)FACE_LM_INPUT - pad_y) / (float)h;
        points[i][0] = (float)((double)rx * rect[2] + face->x1);
        points[i][1] = (float)((double)ry * rect[3] + face->y1);
    }
    return LS_OK;
}
