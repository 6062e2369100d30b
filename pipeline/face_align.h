// face_align.h — the pixel side of LatentSync's face alignment and restoration (spec/pipeline.md §3.8-§3.10,
// §4, §8): warping a frame into the face crop with the tracked affine, the anisotropic Lanczos-4 resize of
// the crop to res x res (OpenCV's uint8 algorithm), the mouth mask, and pasting a generated face back into
// the frame with the eroded, blurred seam (AlignRestore.restore_img). CPU, uint8/float host buffers; the
// affine is the float16-rounded one face_track.h produces (frame pixel -> crop pixel).
//
//     struct face_aligner *a;
//     LS_TRY(face_aligner_init(&a, 256, frame_w, frame_h));   // crop 210 x 280 at 256
//     LS_TRY(face_align(a, &frame, r.affine, face));           // face: (3, 256, 256) uint8 planes
//     ... generate `out` (3, 256, 256) float in about [-1, 1] ...
//     LS_TRY(face_restore(a, rgb, row_bytes, r.affine, out));  // rgb: the frame, modified in place
//     face_aligner_free(a);
#ifndef LS_FACE_ALIGN_H
#define LS_FACE_ALIGN_H

#include "face.h"

struct face_aligner;

// resolution: 256 or 512 (any positive multiple of 8 works); frames of frame_w x frame_h RGB pixels.
// Holds the scratch the warps need (about 3 frames of floats); no allocation per frame afterwards.
ls_status face_aligner_init(struct face_aligner **out, int resolution, int frame_w, int frame_h);
void face_aligner_free(struct face_aligner *a); // NULL is a no-op
void face_aligner_crop_size(const struct face_aligner *a, int *crop_w, int *crop_h);

// kornia warp_affine(frame, affine, (crop_h, crop_w), align_corners=True, bilinear, fill 127), truncated to
// uint8, then cv2.resize(INTER_LANCZOS4) to res x res. face: (3, res, res) uint8 RGB planes.
ls_status face_align(struct face_aligner *a, const struct face_image *frame, const float affine[2][3], uint8_t *face);

// restore_img: the face (3, res, res), values in about [-1, 1], resized to the crop with antialiased
// bicubic (a = -0.5), warped back with the inverse affine, blended into the frame (rgb, row_bytes apart,
// frame_w x frame_h) through the eroded and Gaussian-blurred warped crop mask.
ls_status face_restore(struct face_aligner *a, uint8_t *rgb, int64_t row_bytes, const float affine[2][3],
                       const float *face);

// OpenCV INTER_LANCZOS4 resize of interleaved uint8 images (channels 1..4), bit-exact with cv2.resize.
ls_status resize_lanczos4_u8(const uint8_t *src, int src_w, int src_h, int channels, uint8_t *dst, int dst_w,
                             int dst_h);

// LatentSync's mask.png (0 = regenerate, 255 = keep), read with libav, Lanczos-resized to res x res, channel
// 0 divided by 255: mask (res * res floats in [0, 1]). Errors name the file (missing, not an image, empty).
ls_status mouth_mask_load(const char *path, int resolution, float *mask);

#endif
