// test_face_track.c — LatentSync's face selection, alignment points and smoothed similarity transform
// (pipeline/face_track.c) against the original code run by tests/reference/face_track_reference.py on
// 2 x 8 synthetic frames (resolutions 256 and 512; distractor faces, a frame with no qualifying face, a
// size tie, landmarks on .5): selection and points must be identical, the float16 matrix entries equal or
// one float16 step apart (the original's float32 SVD vs our closed-form rotation). Also the 68-point
// mapping with half-to-even rounding, argument checks, and face_track_frame over a stand-in provider
// (a frame without a face leaves the smoothing state untouched).
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face_track.h"
#include "harness.h"

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = 0;
    else
        free(buf), buf = NULL;
    fclose(f);
    return buf;
}

static double num(const cJSON *arr, int i) { return cJSON_GetArrayItem(arr, i)->valuedouble; }

// One float16 step at the magnitude of v.
static double f16_step(double v) {
    double a = fabs(v);
    if (a < 6.103515625e-05) return 5.960464477539063e-08;
    return ldexp(1.0, (int)floor(log2(a)) - 10);
}

static void reference_runs(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/face_track_reference.json", dir);
    char *text = read_text(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    CHECK(root != NULL, "cannot read %s", path);
    if (!root) return;
    const cJSON *jformat = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *jversion = cJSON_GetObjectItemCaseSensitive(root, "version");
    CHECK(cJSON_IsString(jformat) && !strcmp(jformat->valuestring, "latentsync-face-track-reference") &&
              cJSON_IsNumber(jversion) && jversion->valueint == 1,
          "%s: not a version-1 face-track reference; hint: regenerate with tests/reference/face_track_reference.py",
          path);
    int n_frames = 0, n_entries = 0, n_exact = 0;
    double worst_steps = 0;
    const cJSON *jrun;
    cJSON_ArrayForEach(jrun, cJSON_GetObjectItemCaseSensitive(root, "runs")) {
        int res = cJSON_GetObjectItemCaseSensitive(jrun, "resolution")->valueint;
        struct face_track t;
        CHECK_OK(face_track_init(&t, res));
        const cJSON *jcrop = cJSON_GetObjectItemCaseSensitive(jrun, "crop");
        CHECK(t.crop_width == (int)num(jcrop, 0) && t.crop_height == (int)num(jcrop, 1), "crop %dx%d at %d",
              t.crop_width, t.crop_height, res);
        const cJSON *jtpl = cJSON_GetObjectItemCaseSensitive(jrun, "template");
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                CHECK(t.template_pts[i][j] == (float)num(cJSON_GetArrayItem(jtpl, i), j), "template %d,%d", i, j);
        const cJSON *jf;
        int frame = 0;
        cJSON_ArrayForEach(jf, cJSON_GetObjectItemCaseSensitive(jrun, "frames")) {
            const cJSON *jfaces = cJSON_GetObjectItemCaseSensitive(jf, "faces");
            int n = cJSON_GetArraySize(jfaces), expected = cJSON_GetObjectItemCaseSensitive(jf, "selected")->valueint;
            struct face_detection faces[8];
            for (int k = 0; k < n && k < 8; k++) {
                const cJSON *jface = cJSON_GetArrayItem(jfaces, k),
                            *jb = cJSON_GetObjectItemCaseSensitive(jface, "bbox");
                faces[k] =
                    (struct face_detection){(float)num(jb, 0), (float)num(jb, 1), (float)num(jb, 2), (float)num(jb, 3),
                                            (float)cJSON_GetObjectItemCaseSensitive(jface, "score")->valuedouble};
            }
            int got = face_track_select(faces, n, 0.5f);
            CHECK(got == expected, "run %d frame %d: selected %d, original %d", res, frame, got, expected);
            if (got >= 0 && got == expected) {
                const cJSON *jl = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(jfaces, got), "landmarks");
                float lm[106][2], pts[3][2], m[2][3];
                for (int i = 0; i < 106; i++)
                    lm[i][0] = (float)num(jl, 2 * i), lm[i][1] = (float)num(jl, 2 * i + 1);
                CHECK_OK(face_track_points(FACE_LAYOUT_INSIGHTFACE106, 106, (const float(*)[2])lm, pts));
                const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jf, "points");
                for (int i = 0; i < 3; i++)
                    CHECK(pts[i][0] == num(cJSON_GetArrayItem(jp, i), 0) &&
                              pts[i][1] == num(cJSON_GetArrayItem(jp, i), 1),
                          "run %d frame %d: point %d (%g, %g), original (%g, %g)", res, frame, i, pts[i][0], pts[i][1],
                          num(cJSON_GetArrayItem(jp, i), 0), num(cJSON_GetArrayItem(jp, i), 1));
                face_track_affine(&t, (const float(*)[2])pts, m);
                const cJSON *ja = cJSON_GetObjectItemCaseSensitive(jf, "affine_f16");
                for (int r = 0; r < 2; r++)
                    for (int c = 0; c < 3; c++) {
                        double ref = num(cJSON_GetArrayItem(ja, r), c), steps = fabs(m[r][c] - ref) / f16_step(ref);
                        CHECK(steps <= 1.0, "run %d frame %d: affine[%d][%d] %.9g, original %.9g", res, frame, r, c,
                              m[r][c], ref);
                        worst_steps = fmax(worst_steps, steps);
                        n_exact += m[r][c] == ref;
                        n_entries++;
                    }
            }
            frame++;
            n_frames++;
        }
    }
    printf("face track vs original: %d frames, %d of %d float16 matrix entries identical, worst %.0f step\n", n_frames,
           n_exact, n_entries, worst_steps);
    cJSON_Delete(root);
}

static void ibug68_points(void) {
    float lm[68][2] = {{0}};
    for (int i = 0; i < 5; i++)
        lm[17 + i][0] = 10.0f + i, lm[17 + i][1] = 20.0f; // mean 12, 20
    for (int i = 0; i < 5; i++)
        lm[22 + i][0] = 30.0f + i, lm[22 + i][1] = 2.5f + i * 0; // 2.5 -> 2 each
    const int nose[4] = {28, 29, 31, 35};
    const float nx[4] = {1, 2, 2, 2}, ny[4] = {0, 0, 1, 1.4f}; // means 1.75 -> 2 and 0.5 -> 0 (half to even)
    for (int i = 0; i < 4; i++)
        lm[nose[i]][0] = nx[i], lm[nose[i]][1] = ny[i];
    lm[30][0] = 1000.0f; // not part of any group
    float pts[3][2];
    CHECK_OK(face_track_points(FACE_LAYOUT_IBUG68, 68, (const float(*)[2])lm, pts));
    CHECK(pts[0][0] == 12 && pts[0][1] == 20, "brow 0 (%g, %g)", pts[0][0], pts[0][1]);
    CHECK(pts[1][0] == 32 && pts[1][1] == 2, "brow 1 (%g, %g)", pts[1][0], pts[1][1]);
    CHECK(pts[2][0] == 2 && pts[2][1] == 0, "nose (%g, %g)", pts[2][0], pts[2][1]);
    CHECK_FAILS(face_track_points(FACE_LAYOUT_IBUG68, 106, (const float(*)[2])lm, pts), LS_ERR_INPUT, "expected 68");
    struct face_track t;
    CHECK_FAILS(face_track_init(&t, 100), LS_ERR_INPUT, "resolution 100");
}

// A provider with scripted answers: frame i returns faces[i] (n_faces[i] of them) and landmarks around it.
struct stand_in {
    int frame;
    struct face_detection faces[3];
    int n_faces[3];
};

static ls_status stand_in_detect(void *ctx, const struct face_image *img, struct face_detection *faces, int max_faces,
                                 int *n) {
    struct stand_in *s = ctx;
    *n = s->n_faces[s->frame];
    if (*n && max_faces) faces[0] = s->faces[s->frame];
    s->frame++;
    return LS_OK;
}

static ls_status stand_in_landmarks(void *ctx, const struct face_image *img, const struct face_detection *f,
                                    float (*points)[2]) {
    float w = f->x2 - f->x1, h = f->y2 - f->y1;
    for (int i = 0; i < 68; i++)
        points[i][0] = f->x1 + w * 0.5f, points[i][1] = f->y1 + h * 0.6f;
    for (int i = 17; i < 22; i++)
        points[i][0] = f->x1 + w * 0.3f, points[i][1] = f->y1 + h * 0.35f;
    for (int i = 22; i < 27; i++)
        points[i][0] = f->x1 + w * 0.7f, points[i][1] = f->y1 + h * 0.36f;
    return LS_OK;
}

static void frames_with_a_gap(void) {
    struct stand_in s = {0, {{400, 500, 600, 760, 0.9f}, {0, 0, 0, 0, 0}, {410, 505, 612, 770, 0.8f}}, {1, 0, 1}};
    struct face_provider fp = {"stand-in", FACE_LAYOUT_IBUG68, 68, stand_in_detect, stand_in_landmarks, NULL, &s};
    struct face_image img = {NULL, 1080, 1920, 3240};
    struct face_track t, u;
    CHECK_OK(face_track_init(&t, 256));
    CHECK_OK(face_track_init(&u, 256));
    struct face_track_result r[3];
    for (int i = 0; i < 3; i++)
        CHECK_OK(face_track_frame(&t, &fp, &img, &r[i]));
    CHECK(r[0].found && !r[1].found && r[2].found, "found %d %d %d", r[0].found, r[1].found, r[2].found);
    CHECK(r[2].face.x1 == 410 && r[2].points[0][0] == rintf(410 + 202 * 0.3f), "frame 2 face and points");
    float m[2][3];
    face_track_affine(&u, (const float(*)[2])r[0].points, m);
    face_track_affine(&u, (const float(*)[2])r[2].points, m);
    CHECK(!memcmp(m, r[2].affine, sizeof m), "a frame without a face changed the smoothing");
}

int main(int argc, char **argv) {
    reference_runs(argc > 1 ? argv[1] : "tests/data/face");
    ibug68_points();
    frames_with_a_gap();
    return harness_exit();
}
