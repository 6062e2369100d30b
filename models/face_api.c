// face_api.c — the "face-api" face provider (face.h): SSD MobileNetV1 + face_landmark_68 with face-api's
// defaults (minConfidence 0.5, maxResults 100), one activation arena sized by both models' plans.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"

struct face_api {
    struct face_ssd ssd;
    struct face_landmarks lm;
    arena act;
};

static ls_status api_detect(void *ctx, const struct face_image *img, struct face_detection *faces, int max_faces,
                            int *n_faces) {
    struct face_api *f = ctx;
    return face_ssd_detect(&f->ssd, &f->act, img, 0.5f, FACE_SSD_MAX_RESULTS, faces, max_faces, n_faces);
}

static ls_status api_landmarks(void *ctx, const struct face_image *img, const struct face_detection *face,
                               float (*points)[2]) {
    struct face_api *f = ctx;
    return face_landmarks_detect(&f->lm, &f->act, img, face, points);
}

static void api_destroy(void *ctx) {
    struct face_api *f = ctx;
    if (!f) return;
    face_ssd_free(&f->ssd);
    face_landmarks_free(&f->lm);
    arena_free(&f->act);
    free(f);
}

ls_status face_api_provider_init(struct face_provider *p, const char *model_dir, struct backend *be) {
    memset(p, 0, sizeof *p);
    struct face_api *f = calloc(1, sizeof *f);
    if (!f) return ls_fail(LS_ERR_OOM, "face-api: out of memory");
    char path[4096];
    ls_status s;
    snprintf(path, sizeof path, "%s/ssd_mobilenetv1_model-weights_manifest.json", model_dir);
    if ((s = face_ssd_load(&f->ssd, path, be))) goto fail;
    snprintf(path, sizeof path, "%s/face_landmark_68_model-weights_manifest.json", model_dir);
    if ((s = face_landmarks_load(&f->lm, path, be))) goto fail;
    size_t peak_ssd, peak_lm;
    if ((s = face_ssd_plan(&f->ssd, &peak_ssd)) || (s = face_landmarks_plan(&f->lm, &peak_lm))) goto fail;
    size_t bytes = peak_ssd > peak_lm ? peak_ssd : peak_lm; // both plans include their input tensor
    log_msg(LOG_DEBUG, "arena: face-api %.1f MiB", (double)bytes / (1 << 20));
    if ((s = arena_init(&f->act, be, bytes))) goto fail;
    f->act.name = "face-api";
    *p = (struct face_provider){.name = "face-api",
                                .layout = FACE_LAYOUT_IBUG68,
                                .n_landmarks = FACE_LM_POINTS,
                                .detect = api_detect,
                                .landmarks = api_landmarks,
                                .destroy = api_destroy,
                                .ctx = f};
    return LS_OK;
fail:
    api_destroy(f);
    return s;
}

bool face_api_default_dir(char *buf, size_t buf_bytes) {
    const char *env = getenv("LS_FACE_MODELS"), *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(buf, buf_bytes, "%s", env);
    else if (cache && *cache)
        n = snprintf(buf, buf_bytes, "%s/latentsync/face-api", cache);
    else if (home && *home)
        n = snprintf(buf, buf_bytes, "%s/.cache/latentsync/face-api", home);
    else
        return false;
    return n > 0 && (size_t)n < buf_bytes;
}

void face_provider_free(struct face_provider *p) {
    if (!p) return;
    if (p->destroy) p->destroy(p->ctx);
    memset(p, 0, sizeof *p);
}
