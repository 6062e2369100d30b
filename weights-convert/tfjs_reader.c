// tfjs_reader.c — the TensorFlow.js weights format: a JSON manifest of weight groups, each a list of
// weight specs (name, shape, dtype, optional quantization) stored back to back in the group's shards
// (binary files, concatenated in order). Reproduces tfjs-core `src/io/io_utils.ts` decodeWeights /
// decodeWeight (dequantization arithmetic, int32 rounding) for the dtypes face models use; strings, bools
// and complex values are refused. Tested by tests/test_tfjs.c.
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tfjs.h"

#define MANIFEST_MAX_BYTES (64u << 20)
#define TFJS_MAX_ELEMS     ((int64_t)1 << 36)
#define PATH_BYTES         4096

typedef enum quant_kind { QUANT_NONE, QUANT_UINT8, QUANT_UINT16, QUANT_FLOAT16 } quant_kind;

struct spec {
    const char *name;
    int n_dims;
    int64_t shape[TENSOR_MAX_DIMS];
    int64_t n_elems;
    dtype dt; // DTYPE_F32 or DTYPE_I32
    quant_kind quant;
    double scale, min;
    int64_t n_bytes; // in the shard stream
};

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static ls_status read_whole_file(const char *label, const char *path, size_t max_bytes, char **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ls_fail(LS_ERR_IO, "%s: cannot open '%s': %s", label, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ls_fail(LS_ERR_IO, "%s: '%s' is not a regular file", label, path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return ls_fail(LS_ERR_INPUT, "%s: '%s' is %lld bytes, more than the %zu allowed", label, path,
                       (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return ls_fail(LS_ERR_OOM, "%s: out of memory reading '%s' (%zu bytes)", label, path, n);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return ls_fail(LS_ERR_IO, "%s: short read of '%s': %zu of %zu bytes", label, path, got, n);
    }
    buf[n] = 0;
    *out = buf;
    *n_out = n;
    return LS_OK;
}

// Shard paths are relative to the manifest's folder; absolute paths and ".." components are refused so a
// manifest cannot point outside its folder.
static ls_status shard_path(const char *label, const char *dir, const char *rel, char *out, size_t out_bytes) {
    if (!rel[0] || rel[0] == '/') return ls_fail(LS_ERR_INPUT, "%s: shard path '%s' is not relative", label, rel);
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return ls_fail(LS_ERR_INPUT, "%s: shard path '%s' leaves the manifest's folder", label, rel);
        p += len + (e ? 1 : 0);
    }
    int n = snprintf(out, out_bytes, "%s%s", dir, rel);
    if (n < 0 || (size_t)n >= out_bytes) return ls_fail(LS_ERR_INPUT, "%s: shard path '%s' too long", label, rel);
    return LS_OK;
}

static ls_status parse_spec(const char *label, const cJSON *jw, struct spec *s) {
    memset(s, 0, sizeof *s);
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(jw, "name");
    if (!cJSON_IsString(jname) || !jname->valuestring[0])
        return ls_fail(LS_ERR_INPUT, "%s: a weight spec has no name", label);
    s->name = jname->valuestring;
    const cJSON *jshape = cJSON_GetObjectItemCaseSensitive(jw, "shape");
    if (!cJSON_IsArray(jshape)) return ls_fail(LS_ERR_INPUT, "%s: weight '%s': no shape array", label, s->name);
    int rank = cJSON_GetArraySize(jshape);
    if (rank > TENSOR_MAX_DIMS)
        return ls_fail(LS_ERR_INPUT, "%s: weight '%s': rank %d, at most %d supported", label, s->name, rank,
                       TENSOR_MAX_DIMS);
    s->n_dims = rank;
    s->n_elems = 1;
    int i = 0;
    const cJSON *jd;
    cJSON_ArrayForEach(jd, jshape) {
        double v = cJSON_IsNumber(jd) ? jd->valuedouble : -1.0;
        if (v < 0 || v != floor(v) || v > (double)TFJS_MAX_ELEMS)
            return ls_fail(LS_ERR_INPUT, "%s: weight '%s': bad dimension %d", label, s->name, i);
        s->shape[i++] = (int64_t)v;
        if (s->shape[i - 1] && s->n_elems > TFJS_MAX_ELEMS / s->shape[i - 1])
            return ls_fail(LS_ERR_INPUT, "%s: weight '%s': more than %lld elements", label, s->name,
                           (long long)TFJS_MAX_ELEMS);
        s->n_elems *= s->shape[i - 1];
    }
    const cJSON *jdt = cJSON_GetObjectItemCaseSensitive(jw, "dtype");
    const char *dts = cJSON_IsString(jdt) ? jdt->valuestring : "";
    if (!strcmp(dts, "float32"))
        s->dt = DTYPE_F32;
    else if (!strcmp(dts, "int32"))
        s->dt = DTYPE_I32;
    else
        return ls_fail(LS_ERR_UNSUPPORTED, "%s: weight '%s': dtype '%s' not supported (float32, int32)", label, s->name,
                       dts);
    int64_t elem_bytes = 4;
    const cJSON *jq = cJSON_GetObjectItemCaseSensitive(jw, "quantization");
    if (jq) {
        const cJSON *jqd = cJSON_GetObjectItemCaseSensitive(jq, "dtype");
        const char *q = cJSON_IsString(jqd) ? jqd->valuestring : "";
        if (!strcmp(q, "uint8"))
            s->quant = QUANT_UINT8, elem_bytes = 1;
        else if (!strcmp(q, "uint16"))
            s->quant = QUANT_UINT16, elem_bytes = 2;
        else if (!strcmp(q, "float16"))
            s->quant = QUANT_FLOAT16, elem_bytes = 2;
        else
            return ls_fail(LS_ERR_UNSUPPORTED,
                           "%s: weight '%s': quantization '%s' not supported (uint8, uint16, float16)", label, s->name,
                           q);
        if (s->quant == QUANT_FLOAT16 && s->dt != DTYPE_F32)
            return ls_fail(LS_ERR_INPUT, "%s: weight '%s': float16 quantization of a %s weight", label, s->name, dts);
        if (s->quant != QUANT_FLOAT16) {
            const cJSON *jscale = cJSON_GetObjectItemCaseSensitive(jq, "scale");
            const cJSON *jmin = cJSON_GetObjectItemCaseSensitive(jq, "min");
            if (!cJSON_IsNumber(jscale) || !cJSON_IsNumber(jmin))
                return ls_fail(LS_ERR_INPUT, "%s: weight '%s': %s quantization without scale and min", label, s->name,
                               q);
            s->scale = jscale->valuedouble;
            s->min = jmin->valuedouble;
        }
    }
    s->n_bytes = s->n_elems * elem_bytes;
    return LS_OK;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Decodes one weight from its bytes into dst (4 bytes per element).
static void decode(const struct spec *s, const uint8_t *src, void *dst) {
    int64_t n = s->n_elems;
    float *f = dst;
    int32_t *k = dst;
    if (s->quant == QUANT_NONE) {
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = rd32(src + 4 * i);
            if (s->dt == DTYPE_F32)
                memcpy(&f[i], &u, 4);
            else
                k[i] = (int32_t)u;
        }
        return;
    }
    if (s->quant == QUANT_FLOAT16) {
        for (int64_t i = 0; i < n; i++)
            f[i] = f16_to_f32(rd16(src + 2 * i));
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        double q = s->quant == QUANT_UINT8 ? src[i] : rd16(src + 2 * i);
        double v = q * s->scale + s->min; // tfjs: in double, then one rounding to the typed array
        if (s->dt == DTYPE_F32)
            f[i] = (float)v;
        else
            k[i] = (int32_t)floor(v + 0.5); // Math.round: halves toward +infinity
    }
}

static const cJSON *manifest_groups(const cJSON *root) {
    if (cJSON_IsArray(root)) return root;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest"); // graph model.json
    return cJSON_IsArray(m) ? m : NULL;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const struct tfjs_tensor *const *)a)->name, (*(const struct tfjs_tensor *const *)b)->name);
}

// Reads one group's shards into one buffer and decodes its weights; `specs` are the group's specs.
static ls_status read_group(struct tfjs_weights *w, const char *dir, const cJSON *jpaths, const struct spec *specs,
                            int n_specs, int first, uint8_t **values_cursor) {
    int64_t need = 0;
    for (int i = 0; i < n_specs; i++)
        need += specs[i].n_bytes;
    char path[PATH_BYTES];
    int64_t have = 0;
    const cJSON *jp;
    cJSON_ArrayForEach(jp, jpaths) {
        if (!cJSON_IsString(jp)) return ls_fail(LS_ERR_INPUT, "%s: a shard path is not a string", w->label);
        LS_TRY(shard_path(w->label, dir, jp->valuestring, path, sizeof path));
        struct stat st;
        if (stat(path, &st) != 0)
            return ls_fail(LS_ERR_IO, "%s: shard '%s': %s", w->label, jp->valuestring, strerror(errno));
        have += st.st_size;
    }
    if (have != need)
        return ls_fail(LS_ERR_INPUT, "%s: group of '%s': weights take %lld bytes, shards hold %lld", w->label,
                       n_specs ? specs[0].name : "?", (long long)need, (long long)have);
    uint8_t *bytes = malloc((size_t)have + 1);
    if (!bytes) return ls_fail(LS_ERR_OOM, "%s: out of memory for %lld shard bytes", w->label, (long long)have);
    int64_t at = 0;
    cJSON_ArrayForEach(jp, jpaths) {
        char *buf;
        size_t len;
        shard_path(w->label, dir, jp->valuestring, path, sizeof path);
        ls_status s = read_whole_file(w->label, path, (size_t)(have - at), &buf, &len);
        if (s) {
            free(bytes);
            return s;
        }
        memcpy(bytes + at, buf, len);
        at += (int64_t)len;
        free(buf);
    }
    if (at != have) { // a shard changed size between stat and read
        free(bytes);
        return ls_fail(LS_ERR_IO, "%s: shards changed while reading (%lld of %lld bytes)", w->label, (long long)at,
                       (long long)have);
    }
    const uint8_t *src = bytes;
    for (int i = 0; i < n_specs; i++) {
        struct tfjs_tensor *t = &w->tensors[first + i];
        decode(&specs[i], src, *values_cursor);
        t->t.data = *values_cursor;
        *values_cursor += specs[i].n_elems * 4;
        src += specs[i].n_bytes;
    }
    free(bytes);
    return LS_OK;
}

static ls_status read_manifest(struct tfjs_weights *w, const cJSON *groups, const char *dir) {
    // pass 1: parse and size every spec
    int n = 0;
    size_t name_bytes = 0;
    int64_t value_bytes = 0;
    const cJSON *jg;
    cJSON_ArrayForEach(jg, groups) {
        const cJSON *jw = cJSON_GetObjectItemCaseSensitive(jg, "weights");
        const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jg, "paths");
        if (!cJSON_IsArray(jw) || !cJSON_IsArray(jp))
            return ls_fail(LS_ERR_INPUT, "%s: a weight group lacks its 'weights' or 'paths' array", w->label);
        n += cJSON_GetArraySize(jw);
    }
    struct spec *specs = calloc((size_t)(n ? n : 1), sizeof *specs);
    w->tensors = calloc((size_t)(n ? n : 1), sizeof *w->tensors);
    w->by_name = calloc((size_t)(n ? n : 1), sizeof *w->by_name);
    if (!specs || !w->tensors || !w->by_name) {
        free(specs);
        return ls_fail(LS_ERR_OOM, "%s: out of memory for %d weight specs", w->label, n);
    }
    int i = 0;
    cJSON_ArrayForEach(jg, groups) {
        const cJSON *jw;
        cJSON_ArrayForEach(jw, cJSON_GetObjectItemCaseSensitive(jg, "weights")) {
            ls_status s = parse_spec(w->label, jw, &specs[i]);
            if (s) {
                free(specs);
                return s;
            }
            name_bytes += strlen(specs[i].name) + 1;
            value_bytes += specs[i].n_elems * 4;
            i++;
        }
    }
    w->values = malloc((size_t)value_bytes + 4);
    w->names = malloc(name_bytes + 1);
    if (!w->values || !w->names) {
        free(specs);
        return ls_fail(LS_ERR_OOM, "%s: out of memory for %lld bytes of weights", w->label, (long long)value_bytes);
    }
    char *name_cursor = w->names;
    for (i = 0; i < n; i++) {
        size_t len = strlen(specs[i].name) + 1;
        memcpy(name_cursor, specs[i].name, len);
        w->tensors[i].name = name_cursor;
        name_cursor += len;
        tensor_wrap(&w->tensors[i].t, NULL, specs[i].dt, specs[i].n_dims, specs[i].shape, NULL);
        w->by_name[i] = &w->tensors[i];
    }
    w->n_tensors = n;
    qsort(w->by_name, (size_t)n, sizeof *w->by_name, cmp_name);
    for (i = 1; i < n; i++)
        if (!strcmp(w->by_name[i]->name, w->by_name[i - 1]->name)) {
            free(specs);
            return ls_fail(LS_ERR_INPUT, "%s: weight '%s' appears twice", w->label, w->by_name[i]->name);
        }
    // pass 2: shards
    uint8_t *cursor = w->values;
    int first = 0;
    cJSON_ArrayForEach(jg, groups) {
        int n_group = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(jg, "weights"));
        ls_status s =
            read_group(w, dir, cJSON_GetObjectItemCaseSensitive(jg, "paths"), specs + first, n_group, first, &cursor);
        if (s) {
            free(specs);
            return s;
        }
        first += n_group;
    }
    free(specs);
    return LS_OK;
}

ls_status tfjs_read(struct tfjs_weights *w, const char *manifest_path) {
    memset(w, 0, sizeof *w);
    const char *base = base_name(manifest_path);
    size_t label_len = strlen(base) < sizeof w->label - 1 ? strlen(base) : sizeof w->label - 1;
    memcpy(w->label, base, label_len);
    w->label[label_len] = 0;
    char dir[PATH_BYTES];
    size_t dir_len = (size_t)(base - manifest_path);
    if (dir_len >= sizeof dir) return ls_fail(LS_ERR_INPUT, "%s: path too long", w->label);
    memcpy(dir, manifest_path, dir_len);
    dir[dir_len] = 0;
    char *text;
    size_t len;
    LS_TRY(read_whole_file(w->label, manifest_path, MANIFEST_MAX_BYTES, &text, &len));
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return ls_fail(LS_ERR_INPUT, "%s: not valid JSON", w->label);
    const cJSON *groups = manifest_groups(root);
    ls_status s = groups ? read_manifest(w, groups, dir)
                         : ls_fail(LS_ERR_INPUT, "%s: not a weights manifest (no array of weight groups)", w->label);
    cJSON_Delete(root);
    if (s) {
        tfjs_free(w);
        return s;
    }
    return LS_OK;
}

const tensor *tfjs_find(const struct tfjs_weights *w, const char *name) {
    int lo = 0, hi = w->n_tensors - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(name, w->by_name[mid]->name);
        if (!c) return &w->by_name[mid]->t;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

void tfjs_free(struct tfjs_weights *w) {
    if (!w) return;
    free(w->tensors);
    free(w->by_name);
    free(w->values);
    free(w->names);
    memset(w, 0, sizeof *w);
}

// --- layouts -------------------------------------------------------------------------------------------

void tfjs_hwio_to_oihw(float *dst, const float *src, int64_t kh, int64_t kw, int64_t ci, int64_t co) {
    for (int64_t y = 0; y < kh; y++)
        for (int64_t x = 0; x < kw; x++)
            for (int64_t i = 0; i < ci; i++)
                for (int64_t o = 0; o < co; o++)
                    dst[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o];
}

void tfjs_depthwise_to_oihw(float *dst, const float *src, int64_t kh, int64_t kw, int64_t c, int64_t m) {
    for (int64_t y = 0; y < kh; y++)
        for (int64_t x = 0; x < kw; x++)
            for (int64_t i = 0; i < c; i++)
                for (int64_t j = 0; j < m; j++)
                    dst[((i * m + j) * kh + y) * kw + x] = src[((y * kw + x) * c + i) * m + j];
}

void tfjs_transpose(float *dst, const float *src, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            dst[c * rows + r] = src[r * cols + c];
}
