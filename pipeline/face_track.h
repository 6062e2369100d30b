// face_track.h — from a frame's face detections and landmarks to LatentSync's alignment: which face to
// use, its three alignment points, and the smoothed 2x3 similarity transform that maps the frame onto the
// face crop. Provider-neutral (models/face.h): the points are taken from whichever landmark layout the
// provider returns. (To be folded into pipeline/pipeline.h when that header lands.)
//
// Usage sketch (one job, frames in processing order):
//     struct face_track track;
//     face_track_init(&track, 256);
//     for each frame:
//         struct face_track_result r;
//         LS_TRY(face_track_frame(&track, &provider, &frame, &r));
//         if (!r.found) ... the original aborts with "Face not detected"; we keep or fail per --on-missing-face
//         warp the frame with r.affine into a track.crop_width x track.crop_height crop
#ifndef LS_FACE_TRACK_H
#define LS_FACE_TRACK_H

#include "face.h"

struct face_track {
    int resolution;              // 256 (LatentSync 1.5) or 512 (1.6)
    int crop_width, crop_height; // int(75 * ratio), int(100 * ratio), ratio = 2.8 * resolution / 256
    float template_pts[3][2];    // (17, 20), (58, 20), (37.5, 40) * ratio
    bool has_bias;
    float bias[2]; // the last smoothed translation bias (normalised units), AlignRestore.p_bias
};

struct face_track_result {
    bool found;
    struct face_detection face; // the selected detection
    float points[3][2];         // the rounded alignment points: brow (image left), brow (image right), nose
    float affine[2][3];         // frame pixel -> crop pixel, smoothed, rounded to float16 values
};

// resolution: a positive multiple of 8 (LatentSync asserts it).
ls_status face_track_init(struct face_track *t, int resolution);

// FaceDetector.__call__'s choice among detections (any order; the first of equal sizes wins): integer box
// (truncated), width >= 50, height >= 80, 0.2 <= width/height <= 1.5, score >= threshold (0.5), largest
// width*height. Returns its index, or -1 when none qualifies.
int face_track_select(const struct face_detection *faces, int n_faces, float threshold);

// The three alignment points from a landmark set (n points of `layout`), as ImageProcessor.affine_transform
// computes them: landmarks rounded (half to even), the means of the brow and nose groups rounded again.
// 106 points: the original's indices. 68 points (iBUG): brows 17-21 and 22-26 (exact per LatentSync's own
// 106->68 table), nose 28, 29, 31, 35 (a substitute for 106's 74, 77, 83, 86: spec/face.md §6, unverified).
ls_status face_track_points(face_layout layout, int n_points, const float (*landmarks)[2], float points[3][2]);

// AlignRestore.transformation_from_points(points, template, smooth=True): similarity fit with the scale
// ratio of the two spreads, the nose row's normalised offset added to the translation and smoothed
// (0.2 previous + 0.8 new; the first frame unsmoothed), then every entry rounded to float16 as the
// original stores it. Updates the smoothing state.
void face_track_affine(struct face_track *t, const float points[3][2], float affine[2][3]);

// One frame: detect, select, landmarks of the selected face, points, smoothed transform. A frame without a
// qualifying face gives r->found = false and leaves the smoothing state as it was.
ls_status face_track_frame(struct face_track *t, const struct face_provider *fp, const struct face_image *img,
                           struct face_track_result *r);

#endif
