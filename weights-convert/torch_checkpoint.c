// torch_checkpoint.c — PyTorch checkpoints (torch.save since 1.6: a zip with <top>/data.pkl, <top>/data/<key>
// storages, <top>/byteorder, <top>/version) read without Python: the pickle gives nested dicts of tensors
// and scalars; tensors are flattened to dotted names and each one's extent (offset + strides x shape) is
// checked against its storage, so a lying file is refused before any read. Views, non-contiguous strides
// and storages shared by several tensors are all handled (torch_tensor_read makes contiguous copies).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weights_convert.h"

#define MAX_NAME 512

struct torch_checkpoint {
    char *label;
    const uint8_t *map;
    size_t map_bytes;
    zip_archive *zip;
    pickle *pkl;
    char *top; // "<top>/"
    struct torch_tensor *tensors;
    int n_tensors, cap_tensors;
    int *by_name;
};

const char *torch_checkpoint_label(const torch_checkpoint *ck) { return ck->label; }
int torch_checkpoint_count(const torch_checkpoint *ck) { return ck->n_tensors; }
const struct torch_tensor *torch_checkpoint_at(const torch_checkpoint *ck, int i) {
    return i >= 0 && i < ck->n_tensors ? &ck->tensors[i] : NULL;
}
const struct pk_obj *torch_checkpoint_root(const torch_checkpoint *ck) { return pickle_root(ck->pkl); }

void torch_checkpoint_close(torch_checkpoint *ck) {
    if (!ck) return;
    for (int i = 0; i < ck->n_tensors; i++) free((char *)ck->tensors[i].name);
    free(ck->tensors);
    free(ck->by_name);
    pickle_free(ck->pkl);
    zip_close(ck->zip);
    if (ck->map) munmap((void *)ck->map, ck->map_bytes);
    free(ck->top);
    free(ck->label);
    free(ck);
}

// Validates a tensor against its storage entry and records it.
static ls_status add_tensor(torch_checkpoint *ck, const char *name, const struct pk_obj *t) {
    const struct pk_obj *s = t->items[0];
    char entry[MAX_NAME + 64];
    snprintf(entry, sizeof entry, "%sdata/%s", ck->top, s->s);
    const void *data;
    size_t n_bytes;
    if (!zip_find(ck->zip, entry, &data, &n_bytes))
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': storage '%s' missing from the archive", ck->label, name, entry);
    st_dtype dt = (st_dtype)s->storage_dtype;
    size_t es = st_dtype_size(dt);
    if ((uint64_t)s->i > n_bytes / es)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': storage '%s' holds %zu bytes, fewer than its %lld elements", ck->label,
                       name, entry, n_bytes, (long long)s->i);
    // extent: offset + sum (size_d - 1) * stride_d must stay inside the storage
    uint64_t numel = 1, last = (uint64_t)t->offset;
    bool bad = t->offset < 0, contiguous = true;
    int64_t expect = 1;
    for (int d = t->n_dims - 1; d >= 0 && !bad; d--) {
        int64_t size = t->shape[d], stride = t->stride[d];
        if (size < 0 || stride < 0) bad = true;
        else if (size && numel > UINT64_MAX / (uint64_t)size) bad = true;
        else {
            numel *= (uint64_t)size;
            if (size > 1) {
                if (stride && (uint64_t)(size - 1) > (UINT64_MAX - last) / (uint64_t)stride) bad = true;
                else last += (uint64_t)(size - 1) * (uint64_t)stride;
                if (stride != expect) contiguous = false;
            }
            expect *= size ? size : 1;
        }
    }
    if (bad)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': negative or overflowing sizes, strides or offset", ck->label, name);
    if (numel && last >= (uint64_t)s->i)
        return ls_fail(LS_ERR_INPUT, "%s: tensor '%s': elements up to %llu, storage '%s' has %lld", ck->label, name,
                       (unsigned long long)last + 1, s->s, (long long)s->i);
    if (ck->n_tensors == ck->cap_tensors) {
        int cap = ck->cap_tensors ? 2 * ck->cap_tensors : 256;
        struct torch_tensor *p = realloc(ck->tensors, (size_t)cap * sizeof *p);
        if (!p) return ls_fail(LS_ERR_OOM, "%s: out of memory", ck->label);
        ck->tensors = p, ck->cap_tensors = cap;
    }
    struct torch_tensor *o = &ck->tensors[ck->n_tensors];
    memset(o, 0, sizeof *o);
    if (!(o->name = strdup(name))) return ls_fail(LS_ERR_OOM, "%s: out of memory", ck->label);
    ck->n_tensors++;
    o->dtype = dt;
    o->n_dims = t->n_dims;
    memcpy(o->shape, t->shape, sizeof o->shape);
    memcpy(o->stride, t->stride, sizeof o->stride);
    o->offset = t->offset;
    o->storage = data;
    o->storage_numel = s->i;
    o->storage_key = s->s;
    o->contiguous = contiguous;
    return LS_OK;
}

static ls_status walk(torch_checkpoint *ck, const struct pk_obj *o, char *prefix, size_t len, int depth) {
    if (depth > 32) return ls_fail(LS_ERR_INPUT, "%s: dicts nested deeper than 32", ck->label);
    if (o->kind == PK_TENSOR) return add_tensor(ck, len ? prefix : "(root)", o);
    if (o->kind != PK_DICT) return LS_OK; // scalars, lists, strings: kept in the pickle for torch_checkpoint_int
    for (int64_t i = 0; i < o->n; i++) {
        const struct pk_obj *k = o->items[2 * i], *v = o->items[2 * i + 1];
        char key[64];
        const char *ks = k->s;
        if (k->kind == PK_INT) snprintf(key, sizeof key, "%lld", (long long)k->i), ks = key;
        else if (k->kind != PK_STR) continue;
        size_t kl = strlen(ks);
        if (len + kl + 2 > MAX_NAME) return ls_fail(LS_ERR_INPUT, "%s: tensor name longer than %d bytes", ck->label, MAX_NAME);
        size_t at = len;
        if (len) prefix[at++] = '.';
        memcpy(prefix + at, ks, kl + 1);
        LS_TRY(walk(ck, v, prefix, at + kl, depth + 1));
        prefix[len] = '\0';
    }
    return LS_OK;
}

static int cmp_name(const void *a, const void *b, void *ctx) {
    const torch_checkpoint *ck = ctx;
    return strcmp(ck->tensors[*(const int *)a].name, ck->tensors[*(const int *)b].name);
}

// The archive's top folder: the one holding data.pkl.
static ls_status find_top(torch_checkpoint *ck) {
    for (int i = 0; i < zip_count(ck->zip); i++) {
        const char *n = zip_name_at(ck->zip, i), *slash = strchr(n, '/');
        if (slash && !strcmp(slash + 1, "data.pkl")) {
            size_t l = (size_t)(slash - n) + 1;
            if (!(ck->top = malloc(l + 1))) return ls_fail(LS_ERR_OOM, "%s: out of memory", ck->label);
            memcpy(ck->top, n, l);
            ck->top[l] = '\0';
            return LS_OK;
        }
    }
    return ls_fail(LS_ERR_INPUT, "%s: zip archive without a '<folder>/data.pkl': not a torch.save file", ck->label);
}

static ls_status open_bytes(torch_checkpoint *ck) {
    const uint8_t *b = ck->map;
    size_t n = ck->map_bytes;
    // legacy torch.save (< 1.6): a raw pickle stream starting with the magic number
    if (n >= 2 && b[0] == 0x80 && b[1] <= 5)
        return ls_fail(LS_ERR_INPUT, "%s: legacy (non-zip) torch.save format; hint: re-save it with torch>=1.6: "
                                     "torch.save(torch.load(f), f2, _use_new_zipfile_serialization=True)", ck->label);
    if (n < 4 || b[0] != 'P' || b[1] != 'K') return ls_fail(LS_ERR_INPUT, "%s: not a zip file: not a torch.save checkpoint", ck->label);
    LS_TRY(zip_open_memory(&ck->zip, b, n, ck->label));
    LS_TRY(find_top(ck));
    char name[MAX_NAME + 64];
    const void *data;
    size_t len;
    snprintf(name, sizeof name, "%sbyteorder", ck->top);
    if (zip_find(ck->zip, name, &data, &len) && !(len == 6 && !memcmp(data, "little", 6)))
        return ls_fail(LS_ERR_INPUT, "%s: byte order '%.*s' is not little-endian", ck->label, (int)(len < 16 ? len : 16),
                       (const char *)data);
    snprintf(name, sizeof name, "%sdata.pkl", ck->top);
    zip_find(ck->zip, name, &data, &len);
    LS_TRY(pickle_load(&ck->pkl, data, len, ck->label));
    char prefix[MAX_NAME + 1] = "";
    LS_TRY(walk(ck, pickle_root(ck->pkl), prefix, 0, 0));
    if (!(ck->by_name = malloc(((size_t)ck->n_tensors + 1) * sizeof *ck->by_name))) return ls_fail(LS_ERR_OOM, "%s: out of memory", ck->label);
    for (int i = 0; i < ck->n_tensors; i++) ck->by_name[i] = i;
    qsort_r(ck->by_name, (size_t)ck->n_tensors, sizeof *ck->by_name, cmp_name, ck);
    for (int i = 1; i < ck->n_tensors; i++)
        if (!strcmp(ck->tensors[ck->by_name[i]].name, ck->tensors[ck->by_name[i - 1]].name))
            return ls_fail(LS_ERR_INPUT, "%s: tensor '%s' appears twice", ck->label, ck->tensors[ck->by_name[i]].name);
    return LS_OK;
}

ls_status torch_checkpoint_open(torch_checkpoint **out, const char *path) {
    *out = NULL;
    torch_checkpoint *ck = calloc(1, sizeof *ck);
    if (!ck || !(ck->label = strdup(path))) {
        free(ck);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        torch_checkpoint_close(ck);
        return ls_fail(LS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat sb;
    ls_status st = LS_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) st = ls_fail(LS_ERR_INPUT, "%s: not a regular file", path);
    else if (sb.st_size == 0) st = ls_fail(LS_ERR_INPUT, "%s: empty file", path);
    if (!st) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) st = ls_fail(LS_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        else ck->map = m, ck->map_bytes = (size_t)sb.st_size;
    }
    close(fd);
    if (!st) st = open_bytes(ck);
    if (st) {
        torch_checkpoint_close(ck);
        return st;
    }
    *out = ck;
    return LS_OK;
}

const struct torch_tensor *torch_checkpoint_find(const torch_checkpoint *ck, const char *name) {
    int lo = 0, hi = ck->n_tensors - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(ck->tensors[ck->by_name[mid]].name, name);
        if (!c) return &ck->tensors[ck->by_name[mid]];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

bool torch_checkpoint_int(const torch_checkpoint *ck, const char *path, int64_t *out) {
    const struct pk_obj *o = pickle_root(ck->pkl);
    char part[128];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t l = dot ? (size_t)(dot - path) : strlen(path);
        if (l >= sizeof part) return false;
        memcpy(part, path, l);
        part[l] = '\0';
        o = pk_dict_get(o, part);
        path += l + (dot ? 1 : 0);
    }
    if (!o || (o->kind != PK_INT && o->kind != PK_BOOL)) return false;
    *out = o->i;
    return true;
}

static double element(const struct torch_tensor *t, int64_t idx) {
    const uint8_t *p = (const uint8_t *)t->storage + (size_t)idx * st_dtype_size(t->dtype);
    switch (t->dtype) {
    case ST_F32: { float v; memcpy(&v, p, 4); return v; }
    case ST_F64: { double v; memcpy(&v, p, 8); return v; }
    case ST_F16: { uint16_t v; memcpy(&v, p, 2); return f16_to_f32(v); }
    case ST_BF16: { uint16_t v; memcpy(&v, p, 2); return bf16_to_f32(v); }
    case ST_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case ST_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case ST_I16: { int16_t v; memcpy(&v, p, 2); return v; }
    case ST_I8: return (int8_t)*p;
    case ST_U8: case ST_BOOL: return *p;
    default: return 0;
    }
}

ls_status torch_tensor_read(const torch_checkpoint *ck, const struct torch_tensor *t, dtype dt, void *dst) {
    int64_t numel = 1;
    for (int d = 0; d < t->n_dims; d++) numel *= t->shape[d];
    dtype native;
    if (t->contiguous && st_dtype_to_runtime(t->dtype, &native) && native == dt) { // the common case: one copy
        memcpy(dst, (const uint8_t *)t->storage + (size_t)t->offset * dtype_size(dt), (size_t)numel * dtype_size(dt));
        return LS_OK;
    }
    if (dt == DTYPE_I8) return ls_fail(LS_ERR_DTYPE, "%s: tensor '%s': cannot convert %s to i8", ck->label, t->name, st_dtype_name(t->dtype));
    int64_t idx[PK_MAX_DIMS] = {0};
    for (int64_t i = 0; i < numel; i++) {
        int64_t off = t->offset;
        for (int d = 0; d < t->n_dims; d++) off += idx[d] * t->stride[d];
        double v = element(t, off);
        switch (dt) {
        case DTYPE_F32: ((float *)dst)[i] = (float)v; break;
        case DTYPE_F16: ((uint16_t *)dst)[i] = f32_to_f16((float)v); break;
        case DTYPE_BF16: ((uint16_t *)dst)[i] = f32_to_bf16((float)v); break;
        case DTYPE_I32: ((int32_t *)dst)[i] = (int32_t)v; break;
        default: break;
        }
        for (int d = t->n_dims - 1; d >= 0 && ++idx[d] == t->shape[d]; d--) idx[d] = 0;
    }
    return LS_OK;
}
