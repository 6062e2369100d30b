// face.h — face detection and landmarks behind one seam, the face *provider*: detect every face of an RGB
// frame (boxes + scores, best first), then place a landmark set on one of them. The pipeline
// (pipeline/face_track.c) selects a face and derives the alignment points from the landmark layout, so a
// second provider (InsightFace's SCRFD + 2d106det pair, the one LatentSync uses) plugs in beside the first.
//
// Provider 1, "face-api": @vladmandic/face-api's SSD MobileNetV1 detector and face_landmark_68 net, read
// from their TensorFlow.js files (scripts/fetch-face-models) and run on our ops, reproducing face-api's
// pre- and post-processing (models/face_detect.c, models/face_landmarks.c).
//
// Usage sketch:
//     struct face_provider fp;
//     LS_TRY(face_api_provider_init(&fp, "~/.cache/latentsync/face-api", backend));
//     struct face_detection faces[8];
//     int n;
//     LS_TRY(fp.detect(fp.ctx, &frame, faces, 8, &n));          // n may exceed 8: only 8 are written
//     float pts[FACE_MAX_LANDMARKS][2];
//     if (n) LS_TRY(fp.landmarks(fp.ctx, &frame, &faces[0], pts)); // fp.n_landmarks points, frame pixels
//     face_provider_free(&fp);
#ifndef LS_FACE_H
#define LS_FACE_H

#include "models.h"

// An 8-bit RGB frame, rows top to bottom, 3 interleaved bytes per pixel. Borrowed by every call.
struct face_image {
    const uint8_t *rgb;
    int width, height;
    int64_t row_bytes; // >= 3 * width
};

// A detected face in frame pixels (continuous coordinates: x1 = left edge, x2 = x1 + width).
struct face_detection {
    float x1, y1, x2, y2;
    float score;
};

typedef enum face_layout {
    FACE_LAYOUT_IBUG68,         // the 68-point iBUG 300-W markup (dlib, face-api)
    FACE_LAYOUT_INSIGHTFACE106, // InsightFace's 2d106det markup (LatentSync's original)
} face_layout;

#define FACE_MAX_LANDMARKS 106

struct face_provider {
    const char *name;
    face_layout layout;
    int n_landmarks;
    // Every face the detector keeps, in descending score order; writes min(*n_faces, max_faces) of them.
    ls_status (*detect)(void *ctx, const struct face_image *img, struct face_detection *faces, int max_faces,
                        int *n_faces);
    // n_landmarks (x, y) points for one detection, in frame pixels.
    ls_status (*landmarks)(void *ctx, const struct face_image *img, const struct face_detection *face,
                           float (*points)[2]);
    void (*destroy)(void *ctx);
    void *ctx;
};

// The face-api provider on backend `be`: reads ssd_mobilenetv1_model-weights_manifest.json and
// face_landmark_68_model-weights_manifest.json (+ shards) from model_dir; detection threshold 0.5, at most
// 100 faces (face-api's SsdMobilenetv1Options defaults). The provider owns its models and arena.
ls_status face_api_provider_init(struct face_provider *p, const char *model_dir, struct backend *be);
void face_provider_free(struct face_provider *p); // NULL-safe; p is zeroed
// Where scripts/fetch-face-models puts the models by default: $LS_FACE_MODELS, else
// $XDG_CACHE_HOME/latentsync/face-api, else $HOME/.cache/latentsync/face-api. Writes the folder into buf;
// false when no candidate can be formed (no HOME) or it does not fit.
bool face_api_default_dir(char *buf, size_t buf_bytes);

// --- face-api's SSD MobileNetV1 (ssdMobilenetv1/*.ts) ----------------------------------------------------

#define FACE_SSD_INPUT       512
#define FACE_SSD_ANCHORS     5118 // 32²·3 + 16²·6 + 8²·6 + 4²·6 + 2²·6 + 1²·6
#define FACE_SSD_PAIRS       13
#define FACE_SSD_EXTRA       8
#define FACE_SSD_HEADS       6
#define FACE_SSD_MAX_RESULTS 100

struct face_ssd {
    tensor conv0_w, conv0_b;                                 // (32, 3, 3, 3), (32): MobilenetV1/Conv2d_0_pointwise
    tensor dw_w[FACE_SSD_PAIRS], dw_b[FACE_SSD_PAIRS];       // (C, 1, 3, 3), (C): Conv2d_i_depthwise, batch norm folded
    tensor pw_w[FACE_SSD_PAIRS], pw_b[FACE_SSD_PAIRS];       // (Co, C, 1, 1), (Co): Conv2d_i_pointwise
    tensor extra_w[FACE_SSD_EXTRA], extra_b[FACE_SSD_EXTRA]; // Prediction/Conv2d_j_pointwise: 1x1 / 3x3 s2 (odd j)
    tensor box_w[FACE_SSD_HEADS], box_b[FACE_SSD_HEADS];     // (A*4, C, 1, 1): BoxPredictor_k/BoxEncodingPredictor
    tensor cls_w[FACE_SSD_HEADS], cls_b[FACE_SSD_HEADS];     // (A*3, C, 1, 1): BoxPredictor_k/ClassPredictor
    float anchors[FACE_SSD_ANCHORS][4];                      // Output/extra_dim: (ymin, xmin, ymax, xmax), unit square
    float *host;                                             // staging: input, head outputs, decoding
    struct weight_store store;
};

// Reads, converts (TF layouts -> ours, batch norm folded with face-api's epsilon) and binds the weights.
// A model runs one call at a time (it owns a host staging buffer).
ls_status face_ssd_load(struct face_ssd *m, const char *manifest_path, struct backend *be);
void face_ssd_free(struct face_ssd *m);
ls_status face_ssd_plan(const struct face_ssd *m, size_t *peak_bytes);
// The network: x (1, 3, 512, 512) in [-1, 1] -> raw head outputs on the host, anchor-major as face-api
// reshapes them: box encodings (5118, 4) as (ty, tx, th, tw), class logits (5118, 3).
ls_status face_ssd_forward(const struct face_ssd *m, arena *act, const tensor *x, float (*box_enc)[4],
                           float (*class_logits)[3]);
// SsdMobilenetv1.locateFaces: pad to square (bottom/right), resize to 512, forward, decode, sigmoid, NMS
// (IoU 0.5), boxes clipped to the unit square and mapped to frame pixels. max_results <= 0 or > 100 means
// 100, face-api's default. Writes min(*n, max_faces) detections, best first.
ls_status face_ssd_detect(const struct face_ssd *m, arena *act, const struct face_image *img, float min_confidence,
                          int max_results, struct face_detection *faces, int max_faces, int *n);

// --- face-api's face_landmark_68 net (faceFeatureExtractor/*.ts, faceLandmarkNet/*.ts) ------------------

#define FACE_LM_INPUT  112
#define FACE_LM_BLOCKS 4
#define FACE_LM_POINTS 68

struct face_lm_block { // denseBlock4: conv0 (dense 3x3 in block 0, else separable, stride 2), conv1..3 separable
    tensor conv_dw[4]; // (C, 1, 3, 3) depthwise filters; conv_dw[0] unbound in block 0
    tensor conv_w[4];  // (Co, Ci, 1, 1) pointwise filters; block 0 conv_w[0] is the dense (32, 3, 3, 3)
    tensor conv_b[4];  // (Co)
};

struct face_landmarks {
    struct face_lm_block dense[FACE_LM_BLOCKS]; // 32, 64, 128, 256 channels
    tensor fc_w, fc_b;                          // (136, 256), (136)
    float *host;                                // staging for the input (3*112*112)
    struct weight_store store;
};

ls_status face_landmarks_load(struct face_landmarks *m, const char *manifest_path, struct backend *be);
void face_landmarks_free(struct face_landmarks *m);
ls_status face_landmarks_plan(const struct face_landmarks *m, size_t *peak_bytes);
// x (1, 3, 112, 112) normalised as face-api does -> the 136 raw outputs (x0, y0, x1, ...) on the host.
ls_status face_landmarks_forward(const struct face_landmarks *m, arena *act, const tensor *x, float *out136);
// DetectAllFaceLandmarksTask for one detection: crop the box (clipped to the frame, floored), pad to square
// (centred), resize to 112, forward, map back; points (68, 2) in frame pixels.
ls_status face_landmarks_detect(const struct face_landmarks *m, arena *act, const struct face_image *img,
                                const struct face_detection *face, float (*points)[2]);

// --- image preparation as face-api/tfjs does it (models/face_image.c) -----------------------------------

// The integer crop face-api takes of a box: Box.clipAtImageBorders(width, height) (clip, then floor each
// of x, y, width, height). Fails (LS_ERR_INPUT) when nothing of the box is inside the frame.
ls_status face_crop_rect(const struct face_detection *face, int width, int height, int rect[4]);
// Crop rect (x, y, w, h) of img, zero-padded to a square (NetInput.toBatchTensor: centred or at the
// bottom/right, padToSquare's rounding), resized to size x size with tf.image.resizeBilinear (no corner
// alignment, no half-pixel centres), as planes: dst (3, size, size) RGB float in 0..255. Fails
// (LS_ERR_INPUT) unless the rect lies inside the frame.
ls_status face_image_square_resize(const struct face_image *img, const int rect[4], bool centre, int size, float *dst);

#endif
