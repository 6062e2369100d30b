// safetensors_write.c — the streaming safetensors writer: tensors and metadata are declared first, the
// header is written, then tensor bytes are streamed in declaration order (so converting a 5 GB checkpoint
// needs one tensor in memory at a time). Output goes to PATH.tmp and is renamed only when complete; an
// aborted or failed write leaves nothing behind.
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

struct st_writer {
    char *path, *tmp_path;
    FILE *f;
    cJSON *header, *meta;
    uint64_t declared_bytes, written_bytes;
    bool data_started;
};

ls_status st_writer_open(st_writer **out, const char *path) {
    *out = NULL;
    st_writer *w = calloc(1, sizeof *w);
    size_t n = strlen(path) + 5;
    if (!w || !(w->path = strdup(path)) || !(w->tmp_path = malloc(n)) || !(w->header = cJSON_CreateObject())) {
        st_writer_abort(w);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    snprintf(w->tmp_path, n, "%s.tmp", path);
    w->f = fopen(w->tmp_path, "wb");
    if (!w->f) {
        ls_status s = ls_fail(LS_ERR_IO, "%s: cannot create: %s", w->tmp_path, strerror(errno));
        st_writer_abort(w);
        return s;
    }
    *out = w;
    return LS_OK;
}

ls_status st_writer_metadata(st_writer *w, const char *key, const char *value) {
    if (w->data_started) return ls_fail(LS_ERR_USAGE, "%s: metadata after the data started", w->path);
    if (!w->meta && !(w->meta = cJSON_AddObjectToObject(w->header, "__metadata__")))
        return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    if (cJSON_GetObjectItemCaseSensitive(w->meta, key)) return ls_fail(LS_ERR_INPUT, "%s: metadata '%s' twice", w->path, key);
    if (!cJSON_AddStringToObject(w->meta, key, value)) return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    return LS_OK;
}

ls_status st_writer_declare(st_writer *w, const char *name, st_dtype dt, int n_dims, const int64_t *shape) {
    if (w->data_started) return ls_fail(LS_ERR_USAGE, "%s: tensor '%s' declared after the data started", w->path, name);
    if ((unsigned)dt >= ST_DTYPE_COUNT || n_dims < 0 || n_dims > ST_MAX_DIMS)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': bad dtype or rank", w->path, name);
    if (!strcmp(name, "__metadata__") || cJSON_GetObjectItemCaseSensitive(w->header, name))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' declared twice (or reserved name)", w->path, name);
    uint64_t n_bytes = st_dtype_size(dt);
    double dims[ST_MAX_DIMS];
    for (int i = 0; i < n_dims; i++) {
        if (shape[i] < 0 || (shape[i] && n_bytes > UINT64_MAX / (uint64_t)shape[i]))
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': bad shape", w->path, name);
        n_bytes *= (uint64_t)shape[i];
        dims[i] = (double)shape[i];
    }
    cJSON *e = cJSON_AddObjectToObject(w->header, name);
    cJSON *offsets = e ? cJSON_CreateDoubleArray((double[]){(double)w->declared_bytes, (double)(w->declared_bytes + n_bytes)}, 2) : NULL;
    cJSON *shp = e ? cJSON_CreateDoubleArray(dims, n_dims) : NULL;
    if (!e || !offsets || !shp || !cJSON_AddStringToObject(e, "dtype", st_dtype_name(dt))) {
        cJSON_Delete(offsets);
        cJSON_Delete(shp);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    }
    cJSON_AddItemToObject(e, "shape", shp);
    cJSON_AddItemToObject(e, "data_offsets", offsets);
    w->declared_bytes += n_bytes;
    return LS_OK;
}

static ls_status write_bytes(st_writer *w, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n) return ls_fail(LS_ERR_IO, "%s: write failed: %s", w->tmp_path, strerror(errno));
    return LS_OK;
}

ls_status st_writer_begin_data(st_writer *w) {
    if (w->data_started) return LS_OK;
    char *text = cJSON_PrintUnformatted(w->header);
    if (!text) return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    size_t n = strlen(text), padded = (n + 7) & ~(size_t)7; // the format aligns the data section to 8 bytes
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    ls_status s = write_bytes(w, len, 8);
    if (!s) s = write_bytes(w, text, n);
    for (size_t i = n; !s && i < padded; i++) s = write_bytes(w, " ", 1);
    free(text);
    w->data_started = true;
    return s;
}

ls_status st_writer_write(st_writer *w, const void *data, size_t n_bytes) {
    if (!w->data_started) LS_TRY(st_writer_begin_data(w));
    if (n_bytes > w->declared_bytes - w->written_bytes)
        return ls_fail(LS_ERR_INPUT, "%s: %zu bytes written past the %llu declared", w->path, n_bytes,
                       (unsigned long long)w->declared_bytes);
    LS_TRY(write_bytes(w, data, n_bytes));
    w->written_bytes += n_bytes;
    return LS_OK;
}

static void writer_free(st_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    cJSON_Delete(w->header);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

void st_writer_abort(st_writer *w) {
    if (!w) return;
    if (w->f) {
        fclose(w->f);
        w->f = NULL;
        unlink(w->tmp_path);
    }
    writer_free(w);
}

ls_status st_writer_finish(st_writer *w) {
    ls_status s = LS_OK;
    if (!w->data_started) s = st_writer_begin_data(w);
    if (!s && w->written_bytes != w->declared_bytes)
        s = ls_fail(LS_ERR_INPUT, "%s: %llu of %llu declared bytes written", w->path, (unsigned long long)w->written_bytes,
                    (unsigned long long)w->declared_bytes);
    if (!s && (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0))
        s = ls_fail(LS_ERR_IO, "%s: cannot flush: %s", w->tmp_path, strerror(errno));
    if (!s) {
        int rc = fclose(w->f);
        w->f = NULL;
        if (rc != 0) s = ls_fail(LS_ERR_IO, "%s: cannot close: %s", w->tmp_path, strerror(errno));
        else if (rename(w->tmp_path, w->path) != 0) s = ls_fail(LS_ERR_IO, "%s: cannot rename: %s", w->path, strerror(errno));
        if (s) unlink(w->tmp_path);
    }
    if (s) st_writer_abort(w);
    else writer_free(w);
    return s;
}

ls_status st_save(const char *path, int n_tensors, const char *const *names, const tensor *const *tensors, int n_meta,
                  const char *const *keys, const char *const *values) {
    st_writer *w;
    LS_TRY(st_writer_open(&w, path));
    ls_status s = LS_OK;
    for (int i = 0; !s && i < n_meta; i++) s = st_writer_metadata(w, keys[i], values[i]);
    for (int i = 0; !s && i < n_tensors; i++) {
        const tensor *t = tensors[i];
        if (!tensor_is_contiguous(t)) s = ls_fail(LS_ERR_INPUT, "%s: tensor '%s' is not contiguous", path, names[i]);
        else s = st_writer_declare(w, names[i], st_dtype_from_runtime(t->dtype), t->n_dims, t->shape);
    }
    for (int i = 0; !s && i < n_tensors; i++) s = st_writer_write(w, tensors[i]->data, tensor_n_bytes(tensors[i]));
    if (s) {
        st_writer_abort(w);
        return s;
    }
    return st_writer_finish(w);
}
