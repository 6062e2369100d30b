// face_track.c — LatentSync's use of the face detector, reproduced from bytedance/LatentSync:
//   latentsync/utils/face_detector.py   FaceDetector.__call__ (face selection rules, landmarks rounded)
//   latentsync/utils/image_processor.py ImageProcessor.affine_transform (the three alignment points)
//   latentsync/utils/affine_transform.py AlignRestore.__init__ (template, crop size),
//                                        AlignRestore.transformation_from_points (similarity fit with the
//                                        smoothed bias), align_warp_face (matrix stored as float16)
// The 2x2 SVD of the original is replaced by the closed form of the 2-D orthogonal Procrustes rotation
// (spec/pipeline.md §3.5): same rotation, det fixed to +1, up to float rounding. Arithmetic is float32
// where torch computes in float32 (std in double, as torch's CPU Welford accumulates).
// Tested by tests/test_face_track.c against tests/reference/face_track_reference.py (the original code).
#include <math.h>
#include <string.h>

#include "face_track.h"

ls_status face_track_init(struct face_track *t, int resolution) {
    memset(t, 0, sizeof *t);
    if (resolution <= 0 || resolution % 8)
        return ls_fail(LS_ERR_INPUT, "face track: resolution %d is not a positive multiple of 8", resolution);
    static const double base[3][2] = {{19 - 2, 30 - 10}, {56 + 2, 30 - 10}, {37.5, 45 - 5}};
    double ratio = resolution / 256.0 * 2.8; // numpy float64, then torch.tensor(float32)
    t->resolution = resolution;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            t->template_pts[i][j] = (float)(base[i][j] * ratio);
    t->crop_width = (int)(75 * ratio);
    t->crop_height = (int)(100 * ratio);
    return LS_OK;
}

int face_track_select(const struct face_detection *faces, int n_faces, float threshold) {
    int best = -1;
    long long max_size = 0;
    for (int i = 0; i < n_faces; i++) {
        const struct face_detection *f = &faces[i];
        long long x1 = (long long)f->x1, y1 = (long long)f->y1, x2 = (long long)f->x2, y2 = (long long)f->y2;
        long long w = x2 - x1, h = y2 - y1;
        if (w < 50 || h < 80) continue;
        double ratio = (double)w / (double)h;
        if (ratio > 1.5 || ratio < 0.2) continue;
        if (f->score < threshold) continue;
        if (w * h > max_size) max_size = w * h, best = i;
    }
    return best;
}

// np.mean of the rounded landmarks at `idx`, then np.round (half to even; rint in the default mode).
static void group_point(const float (*lm)[2], const int *idx, int n, float out[2]) {
    for (int c = 0; c < 2; c++) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += rint(lm[idx[i]][c]);
        out[c] = (float)rint(sum / n);
    }
}

ls_status face_track_points(face_layout layout, int n_points, const float (*landmarks)[2], float points[3][2]) {
    static const int i106_brow0[5] = {43, 48, 49, 51, 50}, i106_brow1[5] = {101, 102, 103, 104, 105};
    static const int i106_nose[4] = {74, 77, 83, 86};
    static const int i68_brow0[5] = {17, 18, 19, 20, 21}, i68_brow1[5] = {22, 23, 24, 25, 26};
    static const int i68_nose[4] = {28, 29, 31, 35};
    bool is106 = layout == FACE_LAYOUT_INSIGHTFACE106;
    int need = is106 ? 106 : 68;
    if ((layout != FACE_LAYOUT_IBUG68 && !is106) || n_points != need)
        return ls_fail(LS_ERR_INPUT, "face track: %d landmarks in layout %d, expected %d", n_points, (int)layout, need);
    group_point(landmarks, is106 ? i106_brow0 : i68_brow0, 5, points[0]);
    group_point(landmarks, is106 ? i106_brow1 : i68_brow1, 5, points[1]);
    group_point(landmarks, is106 ? i106_nose : i68_nose, 4, points[2]);
    return LS_OK;
}

// torch.mean over the rows, then the centred rows and torch.std (unbiased) over all six numbers.
static float centre(const float p[3][2], float a[3][2]) {
    float c[2];
    for (int j = 0; j < 2; j++)
        c[j] = (p[0][j] + p[1][j] + p[2][j]) / 3.0f;
    double sum = 0, sq = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            a[i][j] = p[i][j] - c[j], sum += a[i][j];
    double mean = sum / 6;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            sq += (a[i][j] - mean) * (a[i][j] - mean);
    return (float)sqrt(sq / 5);
}

static float round_f16(float v) { return f16_to_f32(f32_to_f16(v)); }

void face_track_affine(struct face_track *t, const float points[3][2], float affine[2][3]) {
    float a[3][2], b[3][2];
    float s1 = centre(points, a), s2 = centre((const float(*)[2])t->template_pts, b);
    float c1[2], c2[2];
    for (int j = 0; j < 2; j++) {
        c1[j] = (points[0][j] + points[1][j] + points[2][j]) / 3.0f;
        c2[j] = (t->template_pts[0][j] + t->template_pts[1][j] + t->template_pts[2][j]) / 3.0f;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            a[i][j] /= s1, b[i][j] /= s2;
    // covariance C = An^T Bn; rotation R = V U^T of its SVD, in closed form
    float cov[2][2] = {{0, 0}, {0, 0}};
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 3; i++)
                cov[r][c] += a[i][r] * b[i][c];
    double ca = (double)cov[0][0] + cov[1][1], cb = (double)cov[0][1] - cov[1][0], norm = sqrt(ca * ca + cb * cb);
    float rot[2][2] = {{(float)(ca / norm), (float)(-cb / norm)}, {(float)(cb / norm), (float)(ca / norm)}};
    float s = s2 / s1;
    for (int r = 0; r < 2; r++) {
        float rc = rot[r][0] * c1[0] + rot[r][1] * c1[1];
        affine[r][0] = s * rot[r][0];
        affine[r][1] = s * rot[r][1];
        affine[r][2] = c2[r] - s * rc;
    }
    float bias[2] = {b[2][0] - a[2][0], b[2][1] - a[2][1]};
    if (t->has_bias)
        for (int j = 0; j < 2; j++)
            bias[j] = t->bias[j] * 0.2f + bias[j] * 0.8f;
    t->has_bias = true;
    for (int j = 0; j < 2; j++)
        t->bias[j] = bias[j], affine[j][2] += bias[j];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            affine[r][c] = round_f16(affine[r][c]);
}

ls_status face_track_frame(struct face_track *t, const struct face_provider *fp, const struct face_image *img,
                           struct face_track_result *r) {
    memset(r, 0, sizeof *r);
    struct face_detection faces[FACE_SSD_MAX_RESULTS];
    int n = 0;
    LS_TRY(fp->detect(fp->ctx, img, faces, FACE_SSD_MAX_RESULTS, &n));
    if (n > FACE_SSD_MAX_RESULTS) n = FACE_SSD_MAX_RESULTS;
    int k = face_track_select(faces, n, 0.5f);
    if (k < 0) return LS_OK;
    float landmarks[FACE_MAX_LANDMARKS][2];
    LS_TRY(fp->landmarks(fp->ctx, img, &faces[k], landmarks));
    LS_TRY(face_track_points(fp->layout, fp->n_landmarks, (const float(*)[2])landmarks, r->points));
    r->face = faces[k];
    r->found = true;
    face_track_affine(t, (const float(*)[2])r->points, r->affine);
    return LS_OK;
}
