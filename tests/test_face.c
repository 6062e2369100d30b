// test_face.c — the face-api provider (SSD MobileNetV1 + face_landmark_68 on our CPU ops) against the
// original face-api on Node (tests/reference/face_reference.js) on frames of both demo clips: same number
// of faces, and for each the score within 5e-4, the box within 0.02 px and every landmark within 0.05 px.
// The two run the same float32 networks (ours with other summation orders and the batch norm folded), so
// the differences seen are ~2e-5 px. A box edge within ~1e-5 px of an integer could floor the landmark
// crop differently and break these bounds (never seen; the committed frames are far from it).
// Also: a blank frame has no face, a box outside the frame is refused, a missing folder and the wrong
// model file give one-line errors.
// Models: LS_FACE_MODELS (or -Dface_models), else the default folder of scripts/fetch-face-models
// (~/.cache/latentsync/face-api); skipped (77) when they are not there.
// Fixtures: argv[1] (tests/data/face), or LS_FACE_FIXTURES for another set made by the same script
// (e.g. full-size frames kept out of the tree).
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends.h"
#include "face.h"
#include "harness.h"

static const double score_tol = 5e-4, box_tol = 0.02, point_tol = 0.05;

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

// Binary 8-bit PPM (P6) as written by ffmpeg: "P6\n<w> <h>\n255\n" + RGB bytes.
static uint8_t *read_ppm(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    int maxval = 0;
    uint8_t *px = NULL;
    if (fscanf(f, "P6 %d %d %d", w, h, &maxval) == 3 && maxval == 255 && fgetc(f) != EOF && *w > 0 && *h > 0) {
        size_t n = (size_t)*w * (size_t)*h * 3;
        px = malloc(n);
        if (px && fread(px, 1, n, f) != n) free(px), px = NULL;
    }
    fclose(f);
    return px;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

struct worst {
    double score, box, point;
};

static void check_frame(struct face_provider *fp, const char *dir, const cJSON *jf, struct worst *worst, double *ms) {
    const char *file = cJSON_GetObjectItemCaseSensitive(jf, "file")->valuestring;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int w, h;
    uint8_t *px = read_ppm(path, &w, &h);
    CHECK(px != NULL, "cannot read %s", path);
    if (!px) return;
    struct face_image img = {px, w, h, 3 * (int64_t)w};
    struct face_detection faces[8];
    int n = 0;
    double t0 = time_now_s();
    CHECK_OK(fp->detect(fp->ctx, &img, faces, 8, &n));
    const cJSON *jfaces = cJSON_GetObjectItemCaseSensitive(jf, "faces");
    int n_ref = cJSON_GetArraySize(jfaces);
    CHECK(n == n_ref, "%s: %d faces, reference %d", file, n, n_ref);
    for (int k = 0; k < n && k < n_ref && k < 8; k++) {
        const cJSON *jface = cJSON_GetArrayItem(jfaces, k);
        const cJSON *jbox = cJSON_GetObjectItemCaseSensitive(jface, "box");
        double ref_score = cJSON_GetObjectItemCaseSensitive(jface, "score")->valuedouble;
        double rb[4];
        for (int i = 0; i < 4; i++)
            rb[i] = cJSON_GetArrayItem(jbox, i)->valuedouble;
        double got[4] = {faces[k].x1, faces[k].y1, faces[k].x2 - faces[k].x1, faces[k].y2 - faces[k].y1};
        double ds = fabs(faces[k].score - ref_score), db = 0;
        for (int i = 0; i < 4; i++)
            db = fmax(db, fabs(got[i] - rb[i]));
        CHECK(ds <= score_tol, "%s face %d: score %.5f, reference %.5f", file, k, faces[k].score, ref_score);
        CHECK(db <= box_tol, "%s face %d: box (%.3f, %.3f, %.3f, %.3f), reference (%.3f, %.3f, %.3f, %.3f)", file, k,
              got[0], got[1], got[2], got[3], rb[0], rb[1], rb[2], rb[3]);
        float pts[FACE_MAX_LANDMARKS][2];
        CHECK_OK(fp->landmarks(fp->ctx, &img, &faces[k], pts));
        const cJSON *jl = cJSON_GetObjectItemCaseSensitive(jface, "landmarks");
        double dp = 0;
        int worst_i = 0;
        for (int i = 0; i < fp->n_landmarks && i < cJSON_GetArraySize(jl); i++) {
            const cJSON *jp = cJSON_GetArrayItem(jl, i);
            double d = fmax(fabs(pts[i][0] - cJSON_GetArrayItem(jp, 0)->valuedouble),
                            fabs(pts[i][1] - cJSON_GetArrayItem(jp, 1)->valuedouble));
            if (d > dp) dp = d, worst_i = i;
        }
        CHECK(cJSON_GetArraySize(jl) == fp->n_landmarks, "%s: %d reference landmarks", file, cJSON_GetArraySize(jl));
        CHECK(dp <= point_tol, "%s face %d: landmark %d off by %.3f px", file, k, worst_i, dp);
        printf("%-28s face %d: score %.4f (ref %.4f) |d| %.1e, box |d| %.1e px, landmarks max |d| %.1e px\n", file, k,
               faces[k].score, ref_score, ds, db, dp);
        worst->score = fmax(worst->score, ds), worst->box = fmax(worst->box, db), worst->point = fmax(worst->point, dp);
    }
    *ms = (time_now_s() - t0) * 1e3;
    free(px);
}

static void blank_and_bad(struct face_provider *fp) {
    int w = 64, h = 96;
    uint8_t *px = calloc((size_t)w * h * 3, 1);
    memset(px, 128, (size_t)w * h * 3);
    struct face_image img = {px, w, h, 3 * (int64_t)w};
    struct face_detection faces[4];
    int n = -1;
    CHECK_OK(fp->detect(fp->ctx, &img, faces, 4, &n));
    CHECK(n == 0, "blank frame: %d faces", n);
    float pts[FACE_MAX_LANDMARKS][2];
    struct face_detection outside = {100, 120, 140, 180, 0.9f};
    CHECK_FAILS(fp->landmarks(fp->ctx, &img, &outside, pts), LS_ERR_INPUT, "outside the 64x96 frame");
    float one[3];
    CHECK_FAILS(face_image_square_resize(&img, (int[4]){60, 0, 8, 8}, true, 1, one), LS_ERR_INPUT, "not inside");
    struct face_image bad = {px, 0, h, 0};
    CHECK_FAILS(fp->detect(fp->ctx, &bad, faces, 4, &n), LS_ERR_INPUT, "bad frame");
    free(px);
}

int main(int argc, char **argv) {
    char models[900], probe[1024];
    bool have_dir = face_api_default_dir(models, sizeof models);
    snprintf(probe, sizeof probe, "%s/ssd_mobilenetv1_model.bin", have_dir ? models : "");
    if (!have_dir || !file_exists(probe)) {
        printf("skip: face models not found in '%s' (run scripts/fetch-face-models; LS_FACE_MODELS names another "
               "folder)\n",
               have_dir ? models : "");
        return 77;
    }
    const char *dir = getenv("LS_FACE_FIXTURES");
    if (!dir || !*dir) dir = argc > 1 ? argv[1] : "tests/data/face";
    char path[1024];
    snprintf(path, sizeof path, "%s/face_reference.json", dir);
    char *text = read_text(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    const cJSON *jformat = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *jversion = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsString(jformat) || strcmp(jformat->valuestring, "latentsync-face-reference") ||
        !cJSON_IsNumber(jversion) || jversion->valueint != 1) {
        fprintf(stderr,
                "%s: not a version-1 face reference; hint: regenerate it with tests/reference/face_reference.js\n",
                path);
        cJSON_Delete(root);
        return 1;
    }
    struct backend *cpu;
    CHECK_OK(backend_cpu_init(&cpu, 0));
    struct face_provider fp;
    double t0 = time_now_s();
    ls_status s = face_api_provider_init(&fp, models, cpu);
    CHECK(s == LS_OK, "face_api_provider_init: %s", ls_error());
    if (s) {
        backend_free(cpu);
        cJSON_Delete(root);
        return harness_exit();
    }
    printf("models loaded in %.0f ms (%d threads)\n", (time_now_s() - t0) * 1e3, backend_cpu_threads(cpu));
    struct worst worst = {0};
    const cJSON *jf;
    cJSON_ArrayForEach(jf, cJSON_GetObjectItemCaseSensitive(root, "frames")) {
        double ms = 0;
        check_frame(&fp, dir, jf, &worst, &ms);
        const cJSON *jw = cJSON_GetObjectItemCaseSensitive(jf, "width"),
                    *jh = cJSON_GetObjectItemCaseSensitive(jf, "height");
        printf("  %dx%d frame: detection + landmarks %.0f ms\n", jw ? jw->valueint : 0, jh ? jh->valueint : 0, ms);
    }
    printf("worst: score %.1f%%, box %.1f%%, landmarks %.1f%% of bound\n", 100 * worst.score / score_tol,
           100 * worst.box / box_tol, 100 * worst.point / point_tol);
    blank_and_bad(&fp);
    struct face_provider none;
    CHECK_FAILS(face_api_provider_init(&none, "/nonexistent", cpu), LS_ERR_IO, "cannot open");
    struct face_ssd wrong;
    snprintf(path, sizeof path, "%s/face_landmark_68_model-weights_manifest.json", models);
    CHECK_FAILS(face_ssd_load(&wrong, path, cpu), LS_ERR_INPUT,
                "face_landmark_68_model-weights_manifest.json: 99 tensors missing: 'MobilenetV1");
    face_provider_free(&fp);
    backend_free(cpu);
    cJSON_Delete(root);
    return harness_exit();
}
