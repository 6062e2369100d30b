// face_image.c — the image preparation face-api does before its networks, reproduced value for value:
// Box.clipAtImageBorders (face-api `src/classes/Box.ts`), padToSquare (`src/ops/padToSquare.ts`: the
// appended side gets round(diff * 0.5) or all of diff, the prepended side the rest) and tfjs-backend-cpu's
// ResizeBilinear with alignCorners = halfPixelCenters = false (source = dst * in/out, neighbours floor and
// ceil clamped, lerp in double, one rounding to float32). The padded square is never materialised.
#include <math.h>
#include <stdlib.h>

#include "face.h"

ls_status face_crop_rect(const struct face_detection *face, int width, int height, int rect[4]) {
    double x = face->x1 > 0 ? face->x1 : 0, y = face->y1 > 0 ? face->y1 : 0;
    double w = face->x2 - x, h = face->y2 - y;
    if (w > width - x) w = width - x;
    if (h > height - y) h = height - y;
    rect[0] = (int)floor(x), rect[1] = (int)floor(y), rect[2] = (int)floor(w), rect[3] = (int)floor(h);
    if (rect[2] <= 0 || rect[3] <= 0 || rect[0] >= width || rect[1] >= height)
        return ls_fail(LS_ERR_INPUT, "face box (%.1f, %.1f)-(%.1f, %.1f) lies outside the %dx%d frame", face->x1,
                       face->y1, face->x2, face->y2, width, height);
    return LS_OK;
}

// tfjs ResizeBilinear's source neighbours of destination index d along an axis of `square` pixels.
static inline void axis_tap(int d, double ratio, int square, int *lo, int *hi, double *frac) {
    double src = ratio * d, f = floor(src), c = ceil(src);
    if (f < 0) f = 0;
    if (c > square - 1) c = square - 1;
    *lo = (int)f, *hi = (int)c, *frac = src - f;
}

ls_status face_image_square_resize(const struct face_image *img, const int rect[4], bool centre, int size, float *dst) {
    if (size < 1 || rect[0] < 0 || rect[1] < 0 || rect[2] < 1 || rect[3] < 1 || rect[0] + rect[2] > img->width ||
        rect[1] + rect[3] > img->height)
        return ls_fail(LS_ERR_INPUT, "face image: crop (%d, %d, %d, %d) is not inside the %dx%d frame (or size %d)",
                       rect[0], rect[1], rect[2], rect[3], img->width, img->height, size);
    int w = rect[2], h = rect[3], square = w > h ? w : h, diff = abs(h - w);
    int appended = centre ? (int)floor(diff * 0.5 + 0.5) : diff; // Math.round
    int prepended = diff - appended;
    int off_x = h > w ? prepended : 0, off_y = h > w ? 0 : prepended; // the padded axis
    double ratio = (double)square / (double)size;
    int64_t plane = (int64_t)size * size;
    for (int r = 0; r < size; r++) {
        int y0, y1;
        double fy;
        axis_tap(r, ratio, square, &y0, &y1, &fy);
        y0 -= off_y, y1 -= off_y;
        const uint8_t *row0 = y0 >= 0 && y0 < h ? img->rgb + (int64_t)(rect[1] + y0) * img->row_bytes : NULL;
        const uint8_t *row1 = y1 >= 0 && y1 < h ? img->rgb + (int64_t)(rect[1] + y1) * img->row_bytes : NULL;
        for (int c = 0; c < size; c++) {
            int x0, x1;
            double fx;
            axis_tap(c, ratio, square, &x0, &x1, &fx);
            x0 -= off_x, x1 -= off_x;
            bool in0 = x0 >= 0 && x0 < w, in1 = x1 >= 0 && x1 < w;
            for (int ch = 0; ch < 3; ch++) {
                double tl = row0 && in0 ? row0[3 * (rect[0] + x0) + ch] : 0.0;
                double tr = row0 && in1 ? row0[3 * (rect[0] + x1) + ch] : 0.0;
                double bl = row1 && in0 ? row1[3 * (rect[0] + x0) + ch] : 0.0;
                double br = row1 && in1 ? row1[3 * (rect[0] + x1) + ch] : 0.0;
                double top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx;
                dst[ch * plane + (int64_t)r * size + c] = (float)(top + (bottom - top) * fy);
            }
        }
    }
    return LS_OK;
}
