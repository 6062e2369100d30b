// safetensors.c — the safetensors reader: mmap the file, parse the JSON header with cJSON, and check every
// claim before anything is used: header length inside the file and under a cap, a JSON object, known
// dtypes, non-negative integer shapes whose byte size does not overflow, offsets inside the data section
// and consistent with the shape, no overlaps, no holes, unique names, and string-only `__metadata__`.
// A hostile file gets a one-line error naming the file, the tensor and the problem — never a crash or a
// huge allocation. Fuzzed by tests/fuzz/fuzz_safetensors.c; tested by tests/test_safetensors.c.
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

struct st_file {
    char *label;
    const uint8_t *bytes; // the whole file
    size_t n_bytes;
    bool mapped;
    struct st_entry *entries; // sorted by offset
    int n_entries;
    int *by_name; // entry indices sorted by name
    char **meta_keys, **meta_values;
    int n_meta;
};

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 1}, [ST_U8] = {"U8", 1},     [ST_I8] = {"I8", 1},     [ST_I16] = {"I16", 2},
    [ST_U16] = {"U16", 2},   [ST_F16] = {"F16", 2},   [ST_BF16] = {"BF16", 2}, [ST_I32] = {"I32", 4},
    [ST_U32] = {"U32", 4},   [ST_F32] = {"F32", 4},   [ST_F64] = {"F64", 8},   [ST_I64] = {"I64", 8},
    [ST_U64] = {"U64", 8},   [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};

const char *st_dtype_name(st_dtype dt) { return (unsigned)dt < ST_DTYPE_COUNT ? dtypes[dt].name : "?"; }
size_t st_dtype_size(st_dtype dt) { return (unsigned)dt < ST_DTYPE_COUNT ? dtypes[dt].size : 0; }

bool st_dtype_to_runtime(st_dtype dt, dtype *out) {
    switch (dt) {
    case ST_F32: *out = DTYPE_F32; return true;
    case ST_F16: *out = DTYPE_F16; return true;
    case ST_BF16: *out = DTYPE_BF16; return true;
    case ST_I8: *out = DTYPE_I8; return true;
    case ST_I32: *out = DTYPE_I32; return true;
    default: return false;
    }
}

st_dtype st_dtype_from_runtime(dtype dt) {
    switch (dt) {
    case DTYPE_F16: return ST_F16;
    case DTYPE_BF16: return ST_BF16;
    case DTYPE_I8: return ST_I8;
    case DTYPE_I32: return ST_I32;
    default: return ST_F32;
    }
}

static bool parse_dtype(const char *s, st_dtype *out) {
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (!strcmp(s, dtypes[i].name)) {
            *out = (st_dtype)i;
            return true;
        }
    return false;
}

// A JSON number that is an integer in [0, 2^53).
static bool json_u53(const cJSON *n, uint64_t *out) {
    if (!cJSON_IsNumber(n)) return false;
    double d = n->valuedouble;
    if (!(d >= 0.0 && d < 9007199254740992.0) || d != floor(d)) return false;
    *out = (uint64_t)d;
    return true;
}

void st_close(st_file *f) {
    if (!f) return;
    if (f->mapped && f->bytes) munmap((void *)f->bytes, f->n_bytes);
    if (f->entries)
        for (int i = 0; i < f->n_entries; i++) free((char *)f->entries[i].name);
    for (int i = 0; i < f->n_meta; i++) free(f->meta_keys[i]), free(f->meta_values[i]);
    free(f->meta_keys);
    free(f->meta_values);
    free(f->entries);
    free(f->by_name);
    free(f->label);
    free(f);
}

static int cmp_offset(const void *a, const void *b) {
    const struct st_entry *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->n_bytes < y->n_bytes ? -1 : x->n_bytes > y->n_bytes;
}

static int cmp_name_index(const void *a, const void *b, void *file) {
    const st_file *f = file;
    return strcmp(f->entries[*(const int *)a].name, f->entries[*(const int *)b].name);
}

static ls_status parse_metadata(st_file *f, const cJSON *meta) {
    const char *L = f->label;
    if (!cJSON_IsObject(meta)) return ls_fail(LS_ERR_INPUT, "%s: '__metadata__' is not an object", L);
    int n = cJSON_GetArraySize(meta);
    f->meta_keys = calloc((size_t)n + 1, sizeof *f->meta_keys);
    f->meta_values = calloc((size_t)n + 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) return ls_fail(LS_ERR_OOM, "%s: out of memory reading metadata", L);
    const cJSON *it;
    cJSON_ArrayForEach(it, meta) {
        if (!cJSON_IsString(it) || !it->valuestring)
            return ls_fail(LS_ERR_INPUT, "%s: metadata '%s' is not a string", L, it->string ? it->string : "?");
        for (int i = 0; i < f->n_meta; i++)
            if (!strcmp(f->meta_keys[i], it->string))
                return ls_fail(LS_ERR_INPUT, "%s: metadata key '%s' appears twice", L, it->string);
        f->meta_keys[f->n_meta] = strdup(it->string);
        f->meta_values[f->n_meta] = strdup(it->valuestring);
        if (!f->meta_keys[f->n_meta] || !f->meta_values[f->n_meta])
            return ls_fail(LS_ERR_OOM, "%s: out of memory reading metadata", L);
        f->n_meta++;
    }
    return LS_OK;
}

static ls_status parse_entry(st_file *f, const cJSON *it, uint64_t data_bytes, const uint8_t *data, struct st_entry *e) {
    const char *L = f->label, *name = it->string;
    if (!cJSON_IsObject(it)) return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': entry is not an object", L, name);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(it, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(it, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
    if (!cJSON_IsString(jd) || !jd->valuestring) return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': missing dtype", L, name);
    if (!parse_dtype(jd->valuestring, &e->dtype))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': unknown dtype '%.32s'", L, name, jd->valuestring);
    if (!cJSON_IsArray(js)) return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': missing shape", L, name);
    int rank = cJSON_GetArraySize(js);
    if (rank > ST_MAX_DIMS)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': rank %d above %d", L, name, rank, ST_MAX_DIMS);
    e->n_dims = rank;
    uint64_t n_bytes = st_dtype_size(e->dtype);
    bool overflow = false;
    for (int d = 0; d < rank; d++) {
        uint64_t v;
        if (!json_u53(cJSON_GetArrayItem(js, d), &v))
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': shape entry %d is not a non-negative integer", L, name, d);
        e->shape[d] = (int64_t)v;
        if (v && n_bytes > UINT64_MAX / v) overflow = true;
        else n_bytes *= v;
    }
    if (overflow) return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': shape size overflows", L, name);
    uint64_t begin, end;
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || !json_u53(cJSON_GetArrayItem(jo, 0), &begin) ||
        !json_u53(cJSON_GetArrayItem(jo, 1), &end))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': data_offsets must be two non-negative integers", L, name);
    if (begin > end)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': data_offsets [%llu, %llu] reversed", L, name,
                       (unsigned long long)begin, (unsigned long long)end);
    if (end > data_bytes)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': data_offsets end %llu past end of data (%llu bytes)", L, name,
                       (unsigned long long)end, (unsigned long long)data_bytes);
    if (end - begin != n_bytes)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': %llu bytes of data for a %s tensor of %llu bytes", L, name,
                       (unsigned long long)(end - begin), st_dtype_name(e->dtype), (unsigned long long)n_bytes);
    e->offset = begin;
    e->n_bytes = n_bytes;
    e->data = data + begin;
    e->name = strdup(name);
    if (!e->name) return ls_fail(LS_ERR_OOM, "%s: out of memory", L);
    return LS_OK;
}

// Bounds cJSON's work before it runs: a hostile header within the size limit could otherwise hold tens of
// millions of values (gigabytes of nodes) or nest deep enough to exhaust the stack. Real files have about
// 10 values per tensor and depth 3.
#define ST_MAX_JSON_VALUES (4u << 20)
#define ST_MAX_JSON_DEPTH 16
static ls_status header_prescan(const char *label, const char *text, size_t n) {
    size_t values = 0;
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true, values++;
        else if (c == '{' || c == '[') {
            if (++depth > ST_MAX_JSON_DEPTH)
                return ls_fail(LS_ERR_INPUT, "%s: header nests deeper than %d levels", label, ST_MAX_JSON_DEPTH);
            values++;
        } else if (c == '}' || c == ']') depth--;
        else if (c == ',') values++;
        if (values > ST_MAX_JSON_VALUES)
            return ls_fail(LS_ERR_INPUT, "%s: header holds more than %u JSON values", label, ST_MAX_JSON_VALUES);
    }
    return LS_OK;
}

static ls_status parse(st_file *f) {
    const char *L = f->label;
    if (f->n_bytes < 8) return ls_fail(LS_ERR_INPUT, "%s: %zu bytes: too short for a safetensors file", L, f->n_bytes);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | f->bytes[i];
    if (header > ST_MAX_HEADER_BYTES)
        return ls_fail(LS_ERR_INPUT, "%s: header length %llu bytes is absurd (limit %llu)", L, (unsigned long long)header,
                       (unsigned long long)ST_MAX_HEADER_BYTES);
    if (header > f->n_bytes - 8)
        return ls_fail(LS_ERR_INPUT, "%s: header length %llu past end of file (%zu bytes)", L, (unsigned long long)header,
                       f->n_bytes);
    if (header < 2 || f->bytes[8] != '{') return ls_fail(LS_ERR_INPUT, "%s: header is not a JSON object", L);
    const char *text = (const char *)f->bytes + 8;
    const char *end_parsed = NULL;
    LS_TRY(header_prescan(L, text, (size_t)header));
    cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)header, &end_parsed, false);
    if (!root) {
        size_t at = cJSON_GetErrorPtr() && cJSON_GetErrorPtr() >= text ? (size_t)(cJSON_GetErrorPtr() - text) : 0;
        return ls_fail(LS_ERR_INPUT, "%s: header is not valid JSON (near byte %zu)", L, at + 8);
    }
    ls_status st = LS_OK;
    for (const char *p = end_parsed; p && p < text + header && !st; p++) // only padding may follow
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\0')
            st = ls_fail(LS_ERR_INPUT, "%s: bytes after the header's JSON object", L);
    if (!st && !cJSON_IsObject(root)) st = ls_fail(LS_ERR_INPUT, "%s: header is not a JSON object", L);
    uint64_t data_bytes = f->n_bytes - 8 - header;
    const uint8_t *data = f->bytes + 8 + header;
    int n = st ? 0 : cJSON_GetArraySize(root);
    if (!st) {
        f->entries = calloc((size_t)n + 1, sizeof *f->entries);
        f->by_name = calloc((size_t)n + 1, sizeof *f->by_name);
        if (!f->entries || !f->by_name) st = ls_fail(LS_ERR_OOM, "%s: out of memory for %d tensors", L, n);
    }
    const cJSON *it;
    bool seen_meta = false;
    if (!st) cJSON_ArrayForEach(it, root) {
        if (!strcmp(it->string, "__metadata__")) {
            if (seen_meta) st = ls_fail(LS_ERR_INPUT, "%s: '__metadata__' appears twice", L);
            else st = parse_metadata(f, it);
            seen_meta = true;
        } else {
            st = parse_entry(f, it, data_bytes, data, &f->entries[f->n_entries]);
            if (!st) f->n_entries++;
        }
        if (st) break;
    }
    cJSON_Delete(root);
    if (st) return st;
    // unique names
    for (int i = 0; i < f->n_entries; i++) f->by_name[i] = i;
    qsort_r(f->by_name, (size_t)f->n_entries, sizeof *f->by_name, cmp_name_index, f);
    for (int i = 1; i < f->n_entries; i++)
        if (!strcmp(f->entries[f->by_name[i]].name, f->entries[f->by_name[i - 1]].name))
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' appears twice", L, f->entries[f->by_name[i]].name);
    // no overlaps, no holes (as the format requires): sort by offset and walk
    qsort(f->entries, (size_t)f->n_entries, sizeof *f->entries, cmp_offset);
    uint64_t cursor = 0;
    for (int i = 0; i < f->n_entries; i++) {
        const struct st_entry *e = &f->entries[i];
        if (e->offset < cursor)
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': data [%llu, %llu) overlaps '%s'", L, e->name,
                           (unsigned long long)e->offset, (unsigned long long)(e->offset + e->n_bytes),
                           f->entries[i - 1].name);
        if (e->offset > cursor)
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': %llu bytes of the data section before it belong to no tensor",
                           L, e->name, (unsigned long long)(e->offset - cursor));
        cursor = e->offset + e->n_bytes;
    }
    if (cursor != data_bytes)
        return ls_fail(LS_ERR_INPUT, "%s: %llu bytes after the last tensor belong to no tensor", L,
                       (unsigned long long)(data_bytes - cursor));
    // by_name indexed the entries before the offset sort: rebuild
    for (int i = 0; i < f->n_entries; i++) f->by_name[i] = i;
    qsort_r(f->by_name, (size_t)f->n_entries, sizeof *f->by_name, cmp_name_index, f);
    return LS_OK;
}

ls_status st_open_memory(st_file **out, const void *bytes, size_t n_bytes, const char *label) {
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->label = strdup(label))) {
        free(f);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", label);
    }
    f->bytes = bytes;
    f->n_bytes = n_bytes;
    ls_status st = parse(f);
    if (st) {
        st_close(f);
        return st;
    }
    *out = f;
    return LS_OK;
}

ls_status st_open(st_file **out, const char *path) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); // a FIFO must not block the open
    if (fd < 0) return ls_fail(LS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ls_fail(LS_ERR_INPUT, "%s: not a regular file", path);
    }
    size_t n = (size_t)sb.st_size;
    const uint8_t *map = NULL;
    if (n >= 8) {
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return ls_fail(LS_ERR_IO, "%s: cannot map %zu bytes: %s", path, n, strerror(errno));
        }
        map = m;
    }
    close(fd);
    static const uint8_t empty[8];
    ls_status st = st_open_memory(out, map ? map : empty, map ? n : (size_t)sb.st_size, path);
    if (st) {
        if (map) munmap((void *)map, n);
        return st;
    }
    (*out)->mapped = map != NULL;
    return LS_OK;
}

const char *st_label(const st_file *f) { return f->label; }
size_t st_file_bytes(const st_file *f) { return f->n_bytes; }
int st_count(const st_file *f) { return f->n_entries; }

const struct st_entry *st_entry_at(const st_file *f, int index) {
    return index >= 0 && index < f->n_entries ? &f->entries[index] : NULL;
}

const struct st_entry *st_find(const st_file *f, const char *name) {
    int lo = 0, hi = f->n_entries - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(f->entries[f->by_name[mid]].name, name);
        if (c == 0) return &f->entries[f->by_name[mid]];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

int st_metadata_count(const st_file *f) { return f->n_meta; }

void st_metadata_at(const st_file *f, int index, const char **key, const char **value) {
    *key = index >= 0 && index < f->n_meta ? f->meta_keys[index] : NULL;
    *value = index >= 0 && index < f->n_meta ? f->meta_values[index] : NULL;
}

const char *st_metadata(const st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_values[i];
    return NULL;
}

ls_status st_tensor(const st_file *f, const char *name, tensor *out) {
    const struct st_entry *e = st_find(f, name);
    if (!e) return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' not found", f->label, name);
    dtype dt;
    if (!st_dtype_to_runtime(e->dtype, &dt))
        return ls_fail(LS_ERR_DTYPE, "%s: tensor '%s': dtype %s is not supported here", f->label, name,
                       st_dtype_name(e->dtype));
    if (e->n_dims > TENSOR_MAX_DIMS)
        return ls_fail(LS_ERR_SHAPE, "%s: tensor '%s': rank %d above %d", f->label, name, e->n_dims, TENSOR_MAX_DIMS);
    ls_status s = tensor_wrap(out, NULL, dt, e->n_dims, e->shape, (void *)e->data);
    if (s) return ls_fail_context(s, "%s: tensor '%s': ", f->label, name);
    return LS_OK;
}
