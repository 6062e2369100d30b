// face_detect.c — face-api's SSD MobileNetV1 face detector on our ops, with its pre- and post-processing.
// Reproduces @vladmandic/face-api 1.7.15 `src/ssdMobilenetv1/`: SsdMobilenetv1.forwardInput/locateFaces
// (input pad-to-square at the bottom/right, resize to 512, x/127.5 - 1), mobileNetV1.ts (conv 3x3/2 then
// 13 depthwise + pointwise pairs, strides 2 at pairs 2, 4, 6, 12, batch norm after each depthwise conv,
// ReLU6 everywhere, conv11 kept), predictionLayer.ts (8 extra convs, 6 box predictors on conv11, the
// backbone output and extras 1, 3, 5, 7), outputLayer.ts (box decoding against the stored anchors
// Output/extra_dim with variances 10, 10, 5, 5; sigmoid of class 1) and nonMaxSuppression.ts (greedy,
// IoU 0.5). Float32 rounding of each decoding step follows the tf ops' order. TensorFlow SAME padding.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face-impl.h"

static const int pair_stride[FACE_SSD_PAIRS] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
static const int pw_channels[FACE_SSD_PAIRS + 1] = {32,  64,  128, 128, 256, 256,  512,
                                                    512, 512, 512, 512, 512, 1024, 1024};
static const int extra_channels[FACE_SSD_EXTRA] = {256, 512, 128, 256, 128, 256, 64, 128};
static const int head_anchors[FACE_SSD_HEADS] = {3, 6, 6, 6, 6, 6};
static const int head_channels[FACE_SSD_HEADS] = {512, 1024, 512, 256, 256, 128};
static const double bn_eps = 0.0010000000474974513; // mobileNetV1.ts: float32(1e-3)

#define SSD_HOST_FLOATS (3 * FACE_SSD_INPUT * FACE_SSD_INPUT)
// after the input staging: box encodings (4), class logits (3), decoded boxes (4), candidates (2) per anchor
#define SSD_DECODE_FLOATS (13 * FACE_SSD_ANCHORS)

static void bind_ssd(struct weight_binder *b, void *model) {
    struct face_ssd *m = model;
    weights_bind(b, &m->conv0_w, WEIGHT_MATRIX, 4, (int64_t[]){32, 3, 3, 3}, "MobilenetV1/Conv2d_0_pointwise/weights");
    weights_bind(b, &m->conv0_b, WEIGHT_PARAM, 1, (int64_t[]){32},
                 "MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset");
    for (int i = 0; i < FACE_SSD_PAIRS; i++) {
        int64_t c = pw_channels[i], co = pw_channels[i + 1];
        weights_bind(b, &m->dw_w[i], WEIGHT_MATRIX, 4, (int64_t[]){c, 1, 3, 3},
                     "MobilenetV1/Conv2d_%d_depthwise/folded_weights", i + 1);
        weights_bind(b, &m->dw_b[i], WEIGHT_PARAM, 1, (int64_t[]){c}, "MobilenetV1/Conv2d_%d_depthwise/folded_bias",
                     i + 1);
        weights_bind(b, &m->pw_w[i], WEIGHT_MATRIX, 4, (int64_t[]){co, c, 1, 1},
                     "MobilenetV1/Conv2d_%d_pointwise/weights", i + 1);
        weights_bind(b, &m->pw_b[i], WEIGHT_PARAM, 1, (int64_t[]){co},
                     "MobilenetV1/Conv2d_%d_pointwise/convolution_bn_offset", i + 1);
    }
    for (int j = 0; j < FACE_SSD_EXTRA; j++) {
        int64_t ci = j ? extra_channels[j - 1] : 1024, co = extra_channels[j], k = j % 2 ? 3 : 1;
        weights_bind(b, &m->extra_w[j], WEIGHT_MATRIX, 4, (int64_t[]){co, ci, k, k},
                     "Prediction/Conv2d_%d_pointwise/weights", j);
        weights_bind(b, &m->extra_b[j], WEIGHT_PARAM, 1, (int64_t[]){co},
                     "Prediction/Conv2d_%d_pointwise/convolution_bn_offset", j);
    }
    for (int k = 0; k < FACE_SSD_HEADS; k++) {
        int64_t c = head_channels[k], a = head_anchors[k];
        weights_bind(b, &m->box_w[k], WEIGHT_MATRIX, 4, (int64_t[]){4 * a, c, 1, 1},
                     "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", k);
        weights_bind(b, &m->box_b[k], WEIGHT_PARAM, 1, (int64_t[]){4 * a},
                     "Prediction/BoxPredictor_%d/BoxEncodingPredictor/biases", k);
        weights_bind(b, &m->cls_w[k], WEIGHT_MATRIX, 4, (int64_t[]){3 * a, c, 1, 1},
                     "Prediction/BoxPredictor_%d/ClassPredictor/weights", k);
        weights_bind(b, &m->cls_b[k], WEIGHT_PARAM, 1, (int64_t[]){3 * a},
                     "Prediction/BoxPredictor_%d/ClassPredictor/biases", k);
    }
}

// Graph constants of the exported TF model that face-api computes itself, and the inputs folded above.
static const char *const ssd_unused[] = {"Prediction/BoxPredictor_0/stack",
                                         "Prediction/BoxPredictor_0/strided_slice",
                                         "Prediction/BoxPredictor_1/stack",
                                         "Prediction/BoxPredictor_2/stack",
                                         "Prediction/BoxPredictor_3/stack",
                                         "Prediction/BoxPredictor_4/stack",
                                         "Prediction/BoxPredictor_5/stack",
                                         "Postprocessor/",
                                         "Preprocessor/",
                                         "concat_1/axis",
                                         "Output/extra_dim",
                                         "MobilenetV1/Conv2d_1_depthwise/",
                                         "MobilenetV1/Conv2d_2_depthwise/",
                                         "MobilenetV1/Conv2d_3_depthwise/",
                                         "MobilenetV1/Conv2d_4_depthwise/",
                                         "MobilenetV1/Conv2d_5_depthwise/",
                                         "MobilenetV1/Conv2d_6_depthwise/",
                                         "MobilenetV1/Conv2d_7_depthwise/",
                                         "MobilenetV1/Conv2d_8_depthwise/",
                                         "MobilenetV1/Conv2d_9_depthwise/",
                                         "MobilenetV1/Conv2d_10_depthwise/",
                                         "MobilenetV1/Conv2d_11_depthwise/",
                                         "MobilenetV1/Conv2d_12_depthwise/",
                                         "MobilenetV1/Conv2d_13_depthwise/",
                                         NULL};

ls_status face_ssd_load(struct face_ssd *m, const char *manifest_path, struct backend *be) {
    memset(m, 0, sizeof *m);
    struct face_source fs;
    LS_TRY(face_source_open(&fs, manifest_path));
    char name[128];
    face_source_conv(&fs, "MobilenetV1/Conv2d_0_pointwise/weights");
    for (int i = 1; i <= FACE_SSD_PAIRS; i++) {
        snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise", i);
        face_source_depthwise_bn(&fs, name, bn_eps);
        snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_pointwise/weights", i);
        face_source_conv(&fs, name);
    }
    for (int j = 0; j < FACE_SSD_EXTRA; j++) {
        snprintf(name, sizeof name, "Prediction/Conv2d_%d_pointwise/weights", j);
        face_source_conv(&fs, name);
    }
    for (int k = 0; k < FACE_SSD_HEADS; k++) {
        snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", k);
        face_source_conv(&fs, name);
        snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor/weights", k);
        face_source_conv(&fs, name);
    }
    const tensor *anchors = tfjs_find(&fs.tfjs, "Output/extra_dim");
    ls_status s = face_source_check(&fs);
    if (!s && (!anchors || anchors->dtype != DTYPE_F32 || tensor_n_elems(anchors) != FACE_SSD_ANCHORS * 4))
        s = ls_fail(LS_ERR_INPUT, "%s: tensor 'Output/extra_dim' (the anchors) missing or not (1, %d, 4) float32",
                    fs.tfjs.label, FACE_SSD_ANCHORS);
    if (!s) {
        memcpy(m->anchors, anchors->data, sizeof m->anchors);
        s = weights_load(&m->store, &fs.src, be, bind_ssd, m, ssd_unused);
    }
    face_source_close(&fs);
    if (!s) {
        m->host = malloc((SSD_HOST_FLOATS + SSD_DECODE_FLOATS) * sizeof *m->host);
        if (!m->host) {
            weights_free(&m->store);
            s = ls_fail(LS_ERR_OOM, "face detector: out of memory for its %d-float staging buffer", SSD_HOST_FLOATS);
        }
    }
    return s;
}

void face_ssd_free(struct face_ssd *m) {
    if (!m) return;
    weights_free(&m->store);
    free(m->host);
    memset(m, 0, sizeof *m);
}

// conv (+ bias) then ReLU6, TensorFlow SAME padding.
static ls_status conv_relu6(const tensor *out, const tensor *x, const tensor *w, const tensor *b, int stride,
                            int groups) {
    struct conv2d_params p = face_same_conv(x->shape[2], x->shape[3], (int)w->shape[2], stride, groups);
    LS_TRY(op_conv2d(out, x, w, b, &p));
    return op_relu6(out, out);
}

static ls_status view(tensor *t, const arena *act, void *data, int64_t c, int64_t h, int64_t w) {
    return tensor_wrap(t, act->backend, DTYPE_F32, 4, (int64_t[]){1, c, h, w}, data);
}

// One box-predictor head: 1x1 convs to (A*4, H, W) and (A*3, H, W), downloaded and stored anchor-major
// (anchor = first + (y*W + x)*A + a), as tf.reshape of the NHWC output does.
static ls_status head(const struct face_ssd *m, arena *act, int k, const tensor *x, int first, float (*box_enc)[4],
                      float (*class_logits)[3]) {
    int64_t a = head_anchors[k], h = x->shape[2], w = x->shape[3], hw = h * w;
    size_t mark = arena_mark(act);
    tensor box, cls;
    LS_TRY(arena_tensor(act, &box, DTYPE_F32, 4, (int64_t[]){1, 4 * a, h, w}));
    LS_TRY(arena_tensor(act, &cls, DTYPE_F32, 4, (int64_t[]){1, 3 * a, h, w}));
    struct conv2d_params p = CONV2D_SAME(1, 0);
    LS_TRY(op_conv2d(&box, x, &m->box_w[k], &m->box_b[k], &p));
    LS_TRY(op_conv2d(&cls, x, &m->cls_w[k], &m->cls_b[k], &p));
    if (!act->planning) {
        float *host = m->host; // 7*A*hw <= 7*6*1024 floats
        LS_TRY(tensor_download(&box, host));
        LS_TRY(tensor_download(&cls, host + 4 * a * hw));
        for (int64_t cell = 0; cell < hw; cell++)
            for (int64_t j = 0; j < a; j++) {
                int64_t anchor = first + cell * a + j;
                for (int v = 0; v < 4; v++)
                    box_enc[anchor][v] = host[(j * 4 + v) * hw + cell];
                for (int v = 0; v < 3; v++)
                    class_logits[anchor][v] = host[4 * a * hw + (j * 3 + v) * hw + cell];
            }
    }
    arena_release(act, mark);
    return LS_OK;
}

ls_status face_ssd_forward(const struct face_ssd *m, arena *act, const tensor *x, float (*box_enc)[4],
                           float (*class_logits)[3]) {
    if (x->n_dims != 4 || x->shape[0] != 1 || x->shape[1] != 3 || x->shape[2] != FACE_SSD_INPUT ||
        x->shape[3] != FACE_SSD_INPUT) {
        char s[96];
        return ls_fail(LS_ERR_SHAPE, "face detector: input %s, expected (1, 3, %d, %d)",
                       tensor_shape_str(x, s, sizeof s), FACE_SSD_INPUT, FACE_SSD_INPUT);
    }
    model_trace_begin(act, "face_ssd");
    size_t mark = arena_mark(act);
    // Backbone in three ping-pong slots sized for the largest activation; conv11 gets its own tensor
    // because box predictor 0 reads it after the backbone.
    int64_t h = FACE_SSD_INPUT / 2, w = FACE_SSD_INPUT / 2, max_pw = 32 * h * w, max_dw = 0;
    int64_t sh[FACE_SSD_PAIRS], sw[FACE_SSD_PAIRS];
    for (int i = 0; i < FACE_SSD_PAIRS; i++) {
        h = (h + pair_stride[i] - 1) / pair_stride[i], w = (w + pair_stride[i] - 1) / pair_stride[i];
        sh[i] = h, sw[i] = w;
        int64_t dw = pw_channels[i] * h * w, pw = pw_channels[i + 1] * h * w;
        max_dw = dw > max_dw ? dw : max_dw;
        max_pw = pw > max_pw ? pw : max_pw;
    }
    tensor conv11, features, t;
    void *slot[2], *slot_dw;
    LS_TRY(arena_tensor(act, &conv11, DTYPE_F32, 4, (int64_t[]){1, pw_channels[11], sh[10], sw[10]}));
    LS_TRY(arena_bytes(act, (size_t)max_pw * 4, &slot[0]));
    LS_TRY(arena_bytes(act, (size_t)max_pw * 4, &slot[1]));
    LS_TRY(arena_bytes(act, (size_t)max_dw * 4, &slot_dw));
    tensor cur;
    LS_TRY(view(&cur, act, slot[0], 32, FACE_SSD_INPUT / 2, FACE_SSD_INPUT / 2));
    LS_TRY(conv_relu6(&cur, x, &m->conv0_w, &m->conv0_b, 2, 1));
    for (int i = 0; i < FACE_SSD_PAIRS; i++) {
        LS_TRY(view(&t, act, slot_dw, pw_channels[i], sh[i], sw[i]));
        LS_TRY(conv_relu6(&t, &cur, &m->dw_w[i], &m->dw_b[i], pair_stride[i], pw_channels[i]));
        tensor next;
        if (i + 1 == 11)
            next = conv11;
        else
            LS_TRY(view(&next, act, cur.data == slot[0] ? slot[1] : slot[0], pw_channels[i + 1], sh[i], sw[i]));
        LS_TRY(conv_relu6(&next, &t, &m->pw_w[i], &m->pw_b[i], 1, 1));
        cur = next;
    }
    features = cur; // (1, 1024, 16, 16)
    tensor extra[FACE_SSD_EXTRA];
    const tensor *in = &features;
    for (int j = 0; j < FACE_SSD_EXTRA; j++) {
        int stride = j % 2 ? 2 : 1;
        int64_t eh = (in->shape[2] + stride - 1) / stride, ew = (in->shape[3] + stride - 1) / stride;
        LS_TRY(arena_tensor(act, &extra[j], DTYPE_F32, 4, (int64_t[]){1, extra_channels[j], eh, ew}));
        LS_TRY(conv_relu6(&extra[j], in, &m->extra_w[j], &m->extra_b[j], stride, 1));
        in = &extra[j];
    }
    const tensor *head_in[FACE_SSD_HEADS] = {&conv11, &features, &extra[1], &extra[3], &extra[5], &extra[7]};
    int first = 0;
    for (int k = 0; k < FACE_SSD_HEADS; k++) {
        LS_TRY(head(m, act, k, head_in[k], first, box_enc, class_logits));
        first += head_anchors[k] * (int)(head_in[k]->shape[2] * head_in[k]->shape[3]);
    }
    arena_release(act, mark);
    model_trace_end(act);
    if (first != FACE_SSD_ANCHORS)
        return ls_fail(LS_ERR_SHAPE, "face detector: %d anchors, expected %d", first, FACE_SSD_ANCHORS);
    return LS_OK;
}

ls_status face_ssd_plan(const struct face_ssd *m, size_t *peak_bytes) {
    arena plan;
    arena_init_plan(&plan);
    tensor x;
    LS_TRY(arena_tensor(&plan, &x, DTYPE_F32, 4, (int64_t[]){1, 3, FACE_SSD_INPUT, FACE_SSD_INPUT}));
    LS_TRY(face_ssd_forward(m, &plan, &x, NULL, NULL));
    *peak_bytes = plan.peak_bytes + 256;
    return LS_OK;
}

// --- decoding and NMS (host) ----------------------------------------------------------------------------

// outputLayer.ts decodeBoxesLayer: each tf op rounds to float32.
static void decode_box(const float anchor[4], const float enc[4], float box[4]) {
    float size0 = anchor[2] - anchor[0], size1 = anchor[3] - anchor[1];
    float centre0 = anchor[0] + size0 / 2.0f, centre1 = anchor[1] + size1 / 2.0f;
    float half0 = (float)exp((double)(enc[2] / 5.0f)) * size0 / 2.0f;
    float half1 = (float)exp((double)(enc[3] / 5.0f)) * size1 / 2.0f;
    float mid0 = enc[0] / 10.0f * size0 + centre0, mid1 = enc[1] / 10.0f * size1 + centre1;
    box[0] = mid0 - half0, box[1] = mid1 - half1, box[2] = mid0 + half0, box[3] = mid1 + half1;
}

// nonMaxSuppression.ts IOU, on (ymin, xmin, ymax, xmax) in double.
static double iou(const float *a, const float *b) {
    double ay0 = fmin(a[0], a[2]), ax0 = fmin(a[1], a[3]), ay1 = fmax(a[0], a[2]), ax1 = fmax(a[1], a[3]);
    double by0 = fmin(b[0], b[2]), bx0 = fmin(b[1], b[3]), by1 = fmax(b[0], b[2]), bx1 = fmax(b[1], b[3]);
    double area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0 || area_b <= 0) return 0.0;
    double ih = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0.0), iw = fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0.0);
    return ih * iw / (area_a + area_b - ih * iw);
}

struct candidate {
    float score;
    int index;
};

static int by_score(const void *pa, const void *pb) { // descending; ties by index = a stable sort
    const struct candidate *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->index - b->index;
}

ls_status face_ssd_detect(const struct face_ssd *m, arena *act, const struct face_image *img, float min_confidence,
                          int max_results, struct face_detection *faces, int max_faces, int *n) {
    *n = 0;
    if (img->width < 1 || img->height < 1 || img->row_bytes < 3 * (int64_t)img->width)
        return ls_fail(LS_ERR_INPUT, "face detector: bad frame %dx%d (row of %lld bytes)", img->width, img->height,
                       (long long)img->row_bytes);
    size_t mark = arena_mark(act);
    tensor x;
    LS_TRY(arena_tensor(act, &x, DTYPE_F32, 4, (int64_t[]){1, 3, FACE_SSD_INPUT, FACE_SSD_INPUT}));
    int full[4] = {0, 0, img->width, img->height};
    LS_TRY(face_image_square_resize(img, full, false, FACE_SSD_INPUT, m->host));
    for (int64_t i = 0; i < SSD_HOST_FLOATS; i++)
        m->host[i] = m->host[i] / 127.5f - 1.0f;
    LS_TRY(tensor_upload(&x, m->host));
    float(*enc)[4] = (float(*)[4])(m->host + SSD_HOST_FLOATS);
    float(*logits)[3] = (float(*)[3])(enc + FACE_SSD_ANCHORS);
    float(*boxes)[4] = (float(*)[4])(logits + FACE_SSD_ANCHORS);
    struct candidate *cand = (struct candidate *)(boxes + FACE_SSD_ANCHORS);
    ls_status s = face_ssd_forward(m, act, &x, enc, logits);
    arena_release(act, mark);
    LS_TRY(s);
    int n_cand = 0;
    for (int i = 0; i < FACE_SSD_ANCHORS; i++) {
        decode_box(m->anchors[i], enc[i], boxes[i]);
        float score = (float)(1.0 / (1.0 + exp(-(double)logits[i][1])));
        if (score > min_confidence) cand[n_cand++] = (struct candidate){score, i};
    }
    qsort(cand, (size_t)n_cand, sizeof *cand, by_score);
    // SsdMobilenetv1Options: maxResults || 100; candidates only enter while fewer are selected.
    int limit = max_results <= 0 || max_results > FACE_SSD_MAX_RESULTS ? FACE_SSD_MAX_RESULTS : max_results;
    struct candidate selected[FACE_SSD_MAX_RESULTS];
    int n_sel = 0;
    for (int c = 0; c < n_cand && n_sel < limit; c++) {
        bool keep = true;
        for (int j = n_sel - 1; j >= 0 && keep; j--)
            keep = iou(boxes[cand[c].index], boxes[selected[j].index]) <= 0.5;
        if (keep) selected[n_sel++] = cand[c];
    }
    // locateFaces: unit-square box clipped, scaled by 512 / the resized image's size, then by the frame size.
    double scale = (double)FACE_SSD_INPUT / (img->width > img->height ? img->width : img->height);
    double pad_x = FACE_SSD_INPUT / floor(img->width * scale + 0.5),
           pad_y = FACE_SSD_INPUT / floor(img->height * scale + 0.5);
    for (int k = 0; k < n_sel && k < max_faces; k++) {
        const float *b = boxes[selected[k].index];
        double top = fmax(0.0, b[0]) * pad_y, bottom = fmin(1.0, b[2]) * pad_y;
        double left = fmax(0.0, b[1]) * pad_x, right = fmin(1.0, b[3]) * pad_x;
        double x0 = left * img->width, y0 = top * img->height;
        faces[k] = (struct face_detection){(float)x0, (float)y0, (float)(x0 + (right - left) * img->width),
                                           (float)(y0 + (bottom - top) * img->height), selected[k].score};
    }
    *n = n_sel;
    return LS_OK;
}
