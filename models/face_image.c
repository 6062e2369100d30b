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

struct axis_tap {
    int lo, hi;  // padded-square indices of the two neighbours
    double frac; // weight of hi
};

static void axis_taps(struct axis_tap *taps, int size, int square) {
    double ratio = (double)square / (double)size;
    for (int d = 0; d < size; d++) {
        double src = ratio * d, lo = floor(src);
        if (lo < 0) lo = 0;
        double hi = ceil(src);
        if (hi > square - 1) hi = square - 1;
        taps[d] = (struct axis_tap){(int)lo, (int)hi, src - lo};
    }
}

ls_status face_image_square_resize(const struct face_image *img, const int rect[4], bool centre, int size, float *dst) {
    int w = rect[2], h = rect[3], square = w > h ? w : h, diff = abs(h - w);
    int appended = centre ? (int)floor(diff * 0.5 + 0.5) : diff; // Math.round
    int prepended = diff - appended;
    int off_x = h > w ? prepended : 0, off_y = h > w ? 0 : prepended; // the padded axis
    struct axis_tap *taps = malloc((size_t)size * sizeof *taps);
    if (!taps) return ls_fail(LS_ERR_OOM, "face image: out of memory resizing to %d", size);
    axis_taps(taps, size, square);
    int64_t plane = (int64_t)size * size;
    for (int r = 0; r < size; r++) {
        const struct axis_tap *ty = &taps[r];
        int y0 = ty->lo - off_y, y1 = ty->hi - off_y;
        const uint8_t *row0 = y0 >= 0 && y0 < h ? img->rgb + (int64_t)(rect[1] + y0) * img->row_bytes : NULL;
        const uint8_t *row1 = y1 >= 0 && y1 < h ? img->rgb + (int64_t)(rect[1] + y1) * img->row_bytes : NULL;
        for (int c = 0; c < size; c++) {
            const struct axis_tap *tx = &taps[c];
            int x0 = tx->lo - off_x, x1 = tx->hi - off_x;
            bool in0 = x0 >= 0 && x0 < w, in1 = x1 >= 0 && x1 < w;
            for (int ch = 0; ch < 3; ch++) {
                double tl = row0 && in0 ? row0[3 * (rect[0] + x0) + ch] : 0.0;
                double tr = row0 && in1 ? row0[3 * (rect[0] + x1) + ch] : 0.0;
                double bl = row1 && in0 ? row1[3 * (rect[0] + x0) + ch] : 0.0;
                double br = row1 && in1 ? row1[3 * (rect[0] + x1) + ch] : 0.0;
                double top = tl + (tr - tl) * tx->frac, bottom = bl + (br - bl) * tx->frac;
                dst[ch * plane + (int64_t)r * size + c] = (float)(top + (bottom - top) * ty->frac);
            }
        }
    }
    free(taps);
    return LS_OK;
}
