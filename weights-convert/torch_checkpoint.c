// torch_checkpoint.c — PyTorch zip checkpoints (what torch.save writes since 1.6; read the way
// torch/serialization.py `_load` does, without running anything): map the file, open the zip, find
// `<top>/data.pkl` under whatever top folder the writer chose, check the `byteorder` and `version` records,
// unpickle with the restricted machine, then walk the selected dict and turn every tensor reference into a
// named view of its storage record `<top>/data/<key>` — after checking that the record holds the storage the
// pickle declares and that the tensor's offset, shape and strides stay inside it.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weights-convert-impl.h"

struct pt_file {
    char *label;
    const uint8_t *bytes; // the whole file (mapped or borrowed)
    size_t n_bytes;
    bool mapped;
    bool has_zip; // false for pt_open_pickle
    zip_archive zip;
    char *top;
    char *selected;
    int64_t version;
    const uint8_t *fake_storage; // pt_open_pickle: every storage record holds these bytes
    size_t n_fake_storage_bytes;
    pk_vm vm;
    struct pt_tensor *tensors;
    int n_tensors, cap_tensors;
    int *by_name;
    size_t n_visits; // walk: objects reached, bounded (a dict holding the same dict twice, 100 levels deep, has 2^100
                     // paths)
};

static const struct {
    const char *name;
    size_t size;
} dtypes[PT_DTYPE_COUNT] = {
    [PT_F32] = {"f32", 4}, [PT_F16] = {"f16", 2},   [PT_BF16] = {"bf16", 2}, [PT_F64] = {"f64", 8},
    [PT_I64] = {"i64", 8}, [PT_I32] = {"i32", 4},   [PT_I16] = {"i16", 2},   [PT_I8] = {"i8", 1},
    [PT_U8] = {"u8", 1},   [PT_BOOL] = {"bool", 1},
};

const char *pt_dtype_name(pt_dtype dt) { return (unsigned)dt < PT_DTYPE_COUNT ? dtypes[dt].name : "?"; }
size_t pt_dtype_size(pt_dtype dt) { return (unsigned)dt < PT_DTYPE_COUNT ? dtypes[dt].size : 0; }

bool pt_dtype_to_runtime(pt_dtype dt, dtype *out) {
    switch (dt) {
    case PT_F32: *out = DTYPE_F32; return true;
    case PT_F16: *out = DTYPE_F16; return true;
    case PT_BF16: *out = DTYPE_BF16; return true;
    case PT_I8: *out = DTYPE_I8; return true;
    case PT_I32: *out = DTYPE_I32; return true;
    default: return false;
    }
}

static ls_status ffail(const pt_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ls_status ffail(const pt_file *f, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ls_fail(LS_ERR_INPUT, "%s: %s", f->label, msg);
}

#define HINT_RESAVE "hint: re-save with torch>=1.6 (torch.save(..., _use_new_zipfile_serialization=True))"

// --- the container: top folder, records --------------------------------------------------------------------

// A small text record ("3\n", "little") as a NUL-terminated string; absent records give "".
static ls_status read_record(pt_file *f, const char *suffix, char *out, size_t out_bytes) {
    char name[512];
    snprintf(name, sizeof name, "%s/%s", f->top, suffix);
    out[0] = '\0';
    const struct zip_entry *e = zip_find(&f->zip, name);
    if (!e) return LS_OK;
    const uint8_t *data;
    uint64_t n;
    LS_TRY(zip_data(&f->zip, e, &data, &n));
    if (n >= out_bytes || memchr(data, 0, n))
        return ffail(f, "record '%s' is not a short text (%llu bytes)", suffix, (unsigned long long)n);
    memcpy(out, data, n);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
    return LS_OK;
}

static ls_status find_top(pt_file *f) {
    const char *found = NULL;
    size_t found_len = 0;
    static const char suffix[] = "/data.pkl";
    for (size_t i = 0; i < f->zip.n_entries; i++) {
        const char *name = f->zip.entries[i].name;
        size_t n = strlen(name), k = sizeof suffix - 1;
        if (n <= k || strcmp(name + n - k, suffix) != 0 || memchr(name, '/', n - k)) continue;
        if (found) {
            char a[80], b[80];
            wc_printable(a, sizeof a, found), wc_printable(b, sizeof b, name);
            return ffail(f, "two pickles at the top, '%s' and '%s' (one checkpoint per file)", a, b);
        }
        found = name, found_len = n - k;
    }
    if (!found) {
        char first[80] = "";
        if (f->zip.n_entries) wc_printable(first, sizeof first, f->zip.entries[0].name);
        return ffail(f, "zip archive without '<top>/data.pkl' (%zu entries, first '%s'): not a PyTorch checkpoint",
                     f->zip.n_entries, first);
    }
    f->top = strndup(found, found_len);
    if (!f->top) return ls_fail(LS_ERR_OOM, "%s: no memory", f->label);
    char name[512];
    snprintf(name, sizeof name, "%s/constants.pkl", f->top);
    if (zip_find(&f->zip, name))
        return ffail(f, "a TorchScript archive (torch.jit.save), not a state dict; hint: save model.state_dict() "
                        "with torch.save");
    return LS_OK;
}

static ls_status check_records(pt_file *f) {
    char text[64];
    LS_TRY(read_record(f, "byteorder", text, sizeof text));
    if (text[0] && strcmp(text, "little") != 0) {
        char shown[80];
        wc_printable(shown, sizeof shown, text);
        return ffail(f, "byteorder record says '%s'; only little-endian checkpoints are read", shown);
    }
    LS_TRY(read_record(f, "version", text, sizeof text));
    if (!text[0]) LS_TRY(read_record(f, ".data/version", text, sizeof text));
    f->version = 0; // absent: unknown
    if (text[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || *end || v < 1 || v > 1000) {
            char shown[80];
            wc_printable(shown, sizeof shown, text);
            return ffail(f, "version record '%s' is not a format version", shown);
        }
        f->version = v;
    }
    return LS_OK;
}

// --- tensors -------------------------------------------------------------------------------------------------

static ls_status storage_bytes(pt_file *f, const struct pk_obj *st, const char *tname, const uint8_t **data,
                               uint64_t *n_bytes) {
    size_t elem = pt_dtype_size(st->u.storage.dtype);
    uint64_t want = (uint64_t)st->u.storage.n_elems;
    if (want > UINT64_MAX / elem)
        return ffail(f, "tensor '%s': storage '%s' declares %llu elements", tname, st->u.storage.key,
                     (unsigned long long)want);
    want *= elem;
    const uint8_t *p;
    uint64_t have;
    if (f->has_zip) {
        char name[600];
        snprintf(name, sizeof name, "%s/data/%s", f->top, st->u.storage.key);
        const struct zip_entry *e = zip_find(&f->zip, name);
        if (!e) return ffail(f, "tensor '%s': storage record '%s' is missing", tname, name);
        LS_TRY(zip_data(&f->zip, e, &p, &have));
    } else {
        p = f->fake_storage, have = f->n_fake_storage_bytes;
    }
    if (have < want)
        return ffail(f, "tensor '%s': storage '%s' holds %llu bytes, its pickle declares %lld %s elements (%llu bytes)",
                     tname, st->u.storage.key, (unsigned long long)have, (long long)st->u.storage.n_elems,
                     pt_dtype_name(st->u.storage.dtype), (unsigned long long)want);
    *data = p, *n_bytes = want;
    return LS_OK;
}

static void dims_str(char *buf, size_t n, int n_dims, const int64_t *v) { shape_str(n_dims, v, buf, n); }

static ls_status add_tensor(pt_file *f, const char *name, const struct pk_obj *o) {
    const struct pk_tensor *pk = o->u.tensor;
    const struct pk_obj *st = pk->storage;
    char tname[160];
    wc_printable(tname, sizeof tname, name);
    struct pt_tensor t = {.dtype = st->u.storage.dtype,
                          .n_dims = pk->n_dims,
                          .storage_offset = pk->offset,
                          .storage_key = st->u.storage.key};
    memcpy(t.shape, pk->shape, sizeof t.shape);
    memcpy(t.stride, pk->stride, sizeof t.stride);
    size_t elem = pt_dtype_size(t.dtype);
    // Element count: the product must fit, and so must its byte size.
    uint64_t n = 1;
    bool empty = false;
    for (int i = 0; i < t.n_dims; i++)
        empty |= t.shape[i] == 0;
    for (int i = 0; i < t.n_dims && !empty; i++) {
        uint64_t d = (uint64_t)t.shape[i];
        if (n > (uint64_t)INT64_MAX / elem / d) {
            char s[200];
            dims_str(s, sizeof s, t.n_dims, t.shape);
            return ffail(f, "tensor '%s': shape %s has more elements than fit in 64 bits of %s", tname, s,
                         pt_dtype_name(t.dtype));
        }
        n *= d;
    }
    t.n_elems = empty ? 0 : (int64_t)n;
    LS_TRY(storage_bytes(f, st, tname, &t.storage, &t.storage_bytes));
    uint64_t storage_elems = (uint64_t)st->u.storage.n_elems;
    if ((uint64_t)t.storage_offset > storage_elems)
        return ffail(f, "tensor '%s': storage offset %lld is past the end of storage '%s' (%llu elements)", tname,
                     (long long)t.storage_offset, t.storage_key, (unsigned long long)storage_elems);
    if (t.n_elems > 0) {
        // Largest element index reached: offset + sum (shape - 1) * stride, without overflow.
        uint64_t last = (uint64_t)t.storage_offset;
        bool overflow = false;
        for (int i = 0; i < t.n_dims; i++) {
            uint64_t span = (uint64_t)(t.shape[i] - 1), s = (uint64_t)t.stride[i];
            if (s && span > (UINT64_MAX - last) / s)
                overflow = true;
            else
                last += span * s;
        }
        if (overflow || last >= storage_elems) {
            char s1[200], s2[200];
            dims_str(s1, sizeof s1, t.n_dims, t.shape);
            dims_str(s2, sizeof s2, t.n_dims, t.stride);
            return ffail(f,
                         "tensor '%s': shape %s, strides %s from offset %lld reach element %s%llu, storage '%s' has "
                         "%llu %s elements",
                         tname, s1, s2, (long long)t.storage_offset, overflow ? "> " : "",
                         (unsigned long long)(overflow ? UINT64_MAX : last), t.storage_key,
                         (unsigned long long)storage_elems, pt_dtype_name(t.dtype));
        }
    }
    int64_t expect = 1;
    t.contiguous = true;
    for (int i = t.n_dims - 1; i >= 0 && t.n_elems > 0; i--) {
        if (t.shape[i] != 1 && t.stride[i] != expect) t.contiguous = false;
        expect *= t.shape[i];
    }
    t.data = t.storage + (size_t)t.storage_offset * elem;
    if (f->n_tensors == PK_MAX_TENSORS) return ffail(f, "more than %d tensors", PK_MAX_TENSORS);
    if (f->n_tensors == f->cap_tensors) {
        int cap = f->cap_tensors ? 2 * f->cap_tensors : 64;
        struct pt_tensor *p = realloc(f->tensors, (size_t)cap * sizeof *p);
        if (!p) return ls_fail(LS_ERR_OOM, "%s: no memory for %d tensors", f->label, cap);
        f->tensors = p, f->cap_tensors = cap;
    }
    t.name = strdup(name);
    if (!t.name) return ls_fail(LS_ERR_OOM, "%s: no memory", f->label);
    f->tensors[f->n_tensors++] = t;
    return LS_OK;
}

#define MAX_NAME_BYTES 4096

// Appends ".key" (or "key" at the root) to the name buffer; returns the old length to restore.
static ls_status name_push(pt_file *f, char *buf, size_t *len, const char *key, size_t n_key) {
    size_t need = *len + (*len ? 1 : 0) + n_key;
    if (need >= MAX_NAME_BYTES) return ffail(f, "a tensor name is longer than %d bytes", MAX_NAME_BYTES);
    if (memchr(key, 0, n_key)) return ffail(f, "a dict key holds a NUL byte");
    if (*len) buf[(*len)++] = '.';
    memcpy(buf + *len, key, n_key);
    *len += n_key;
    buf[*len] = '\0';
    return LS_OK;
}

// Lists every tensor below `o`; nested dicts and sequences give dotted names.
static ls_status walk(pt_file *f, const struct pk_obj *o, char *name, size_t len, int depth) {
    if (depth > PK_MAX_NESTING) {
        char shown[120];
        wc_printable(shown, sizeof shown, name);
        return ffail(f, "objects nested deeper than %d levels at '%s'", PK_MAX_NESTING, shown);
    }
    if (++f->n_visits > PK_MAX_VISITS)
        return ffail(f, "more than %d objects reached while listing tensors (containers shared many times over)",
                     PK_MAX_VISITS);
    if (o->kind == PT_KIND_TENSOR) return add_tensor(f, name, o);
    if (o->kind == PT_KIND_DICT) {
        for (size_t i = 0; i + 1 < o->u.seq.n; i += 2) {
            const struct pk_obj *k = o->u.seq.items[i], *v = o->u.seq.items[i + 1];
            char num[32];
            const char *key;
            size_t n_key;
            if (k->kind == PT_KIND_STR)
                key = k->u.str.s, n_key = k->u.str.n_bytes;
            else if (k->kind == PT_KIND_INT)
                n_key = (size_t)snprintf(num, sizeof num, "%lld", (long long)k->u.i), key = num;
            else {
                char shown[120];
                wc_printable(shown, sizeof shown, name);
                return ffail(f, "dict '%s' has a key of type %s (state dicts have str keys)", shown,
                             pt_kind_name(k->kind));
            }
            size_t old = len;
            LS_TRY(name_push(f, name, &len, key, n_key));
            LS_TRY(walk(f, v, name, len, depth + 1));
            len = old, name[len] = '\0';
        }
    } else if (o->kind == PT_KIND_LIST || o->kind == PT_KIND_TUPLE) {
        for (size_t i = 0; i < o->u.seq.n; i++) {
            char num[32];
            size_t old = len, n_key = (size_t)snprintf(num, sizeof num, "%zu", i);
            LS_TRY(name_push(f, name, &len, num, n_key));
            LS_TRY(walk(f, o->u.seq.items[i], name, len, depth + 1));
            len = old, name[len] = '\0';
        }
    }
    return LS_OK;
}

static _Thread_local const pt_file *sort_file;

static int tensor_by_name(const void *a, const void *b) {
    return strcmp(sort_file->tensors[*(const int *)a].name, sort_file->tensors[*(const int *)b].name);
}

static int tensor_by_storage(const void *a, const void *b) {
    const struct pt_tensor *x = &sort_file->tensors[*(const int *)a], *y = &sort_file->tensors[*(const int *)b];
    return strcmp(x->storage_key, y->storage_key);
}

// Names unique; tensors sharing a storage agree on its dtype and size.
static ls_status index_tensors(pt_file *f) {
    int n = f->n_tensors;
    f->by_name = malloc((size_t)(n ? n : 1) * sizeof *f->by_name);
    if (!f->by_name) return ls_fail(LS_ERR_OOM, "%s: no memory", f->label);
    for (int i = 0; i < n; i++)
        f->by_name[i] = i;
    sort_file = f;
    qsort(f->by_name, (size_t)n, sizeof *f->by_name, tensor_by_storage);
    for (int i = 0; i + 1 < n; i++) {
        const struct pt_tensor *a = &f->tensors[f->by_name[i]], *b = &f->tensors[f->by_name[i + 1]];
        if (!strcmp(a->storage_key, b->storage_key) && (a->dtype != b->dtype || a->storage_bytes != b->storage_bytes)) {
            char na[120], nb[120];
            wc_printable(na, sizeof na, a->name), wc_printable(nb, sizeof nb, b->name);
            sort_file = NULL;
            return ffail(f, "storage '%s' is %llu bytes of %s for tensor '%s' but %llu bytes of %s for '%s'",
                         a->storage_key, (unsigned long long)a->storage_bytes, pt_dtype_name(a->dtype), na,
                         (unsigned long long)b->storage_bytes, pt_dtype_name(b->dtype), nb);
        }
    }
    for (int i = 0; i < n; i++)
        f->by_name[i] = i;
    qsort(f->by_name, (size_t)n, sizeof *f->by_name, tensor_by_name);
    sort_file = NULL;
    for (int i = 0; i + 1 < n; i++)
        if (!strcmp(f->tensors[f->by_name[i]].name, f->tensors[f->by_name[i + 1]].name)) {
            char shown[160];
            wc_printable(shown, sizeof shown, f->tensors[f->by_name[i]].name);
            return ffail(f, "tensor name '%s' appears twice", shown);
        }
    return LS_OK;
}

static ls_status select_and_extract(pt_file *f, const char *select) {
    const struct pk_obj *root = f->vm.result, *sel = root;
    if (!select) {
        if (root->kind != PT_KIND_DICT)
            return ffail(f, "the pickled object is a %s, expected a dict (a state dict or a checkpoint)",
                         pt_kind_name(root->kind));
        static const char *const keys[] = {"state_dict", "model_state_dict"};
        select = "";
        for (size_t i = 0; i < sizeof keys / sizeof *keys && !*select; i++) {
            const pt_value *v = pt_dict_get(root, keys[i]);
            if (v && v->kind == PT_KIND_DICT) select = keys[i], sel = v;
        }
    } else if (*select) {
        sel = pt_lookup(f, select);
        if (!sel || sel->kind != PT_KIND_DICT) {
            char shown[120];
            wc_printable(shown, sizeof shown, select);
            if (!sel) return ffail(f, "no dict '%s' in the checkpoint", shown);
            return ffail(f, "'%s' is %s %s, not a dict of tensors", shown, pt_kind_article(sel->kind),
                         pt_kind_name(sel->kind));
        }
    }
    f->selected = strdup(select);
    char *name = malloc(MAX_NAME_BYTES);
    if (!f->selected || !name) return free(name), ls_fail(LS_ERR_OOM, "%s: no memory", f->label);
    name[0] = '\0';
    ls_status s = walk(f, sel, name, 0, 0);
    free(name);
    LS_TRY(s);
    return index_tensors(f);
}

// --- opening ---------------------------------------------------------------------------------------------------

static ls_status check_not_legacy(pt_file *f) {
    // The legacy format starts with a pickled magic number: PROTO 2, LONG1 of 10 bytes 0x1950a86a20f9469cfc6c.
    static const uint8_t magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (f->n_bytes >= 2 + sizeof magic && f->bytes[0] == 0x80 && !memcmp(f->bytes + 2, magic, sizeof magic))
        return ffail(f, "legacy torch.save format (torch < 1.6, not a zip archive); " HINT_RESAVE);
    if (f->n_bytes >= 2 && f->bytes[0] == 0x80 && f->bytes[1] <= 5)
        return ffail(f, "a bare pickle, not a PyTorch zip checkpoint; " HINT_RESAVE);
    return LS_OK;
}

static ls_status open_zip(pt_file *f, const char *select) {
    LS_TRY(check_not_legacy(f));
    LS_TRY(zip_open(&f->zip, f->bytes, f->n_bytes, f->label));
    f->has_zip = true;
    LS_TRY(find_top(f));
    LS_TRY(check_records(f));
    char name[512];
    snprintf(name, sizeof name, "%s/data.pkl", f->top);
    const struct zip_entry *e = zip_find(&f->zip, name);
    const uint8_t *pickle;
    uint64_t n;
    LS_TRY(zip_data(&f->zip, e, &pickle, &n));
    LS_TRY(zip_check_crc(&f->zip, e));
    LS_TRY(pk_run(&f->vm, pickle, n, f->label));
    return select_and_extract(f, select);
}

static ls_status new_file(pt_file **out, const char *label) {
    *out = NULL;
    pt_file *f = calloc(1, sizeof *f);
    if (f) f->label = strdup(label);
    if (!f || !f->label) return free(f), ls_fail(LS_ERR_OOM, "%s: no memory", label);
    *out = f;
    return LS_OK;
}

static ls_status finish(pt_file **out, pt_file *f, ls_status s) {
    if (s != LS_OK) {
        pt_close(f);
        *out = NULL;
        return s;
    }
    *out = f;
    return LS_OK;
}

ls_status pt_open_memory(pt_file **out, const void *bytes, size_t n_bytes, const char *label, const char *select) {
    pt_file *f;
    LS_TRY(new_file(&f, label));
    f->bytes = bytes, f->n_bytes = n_bytes;
    return finish(out, f, open_zip(f, select));
}

ls_status pt_open_pickle(pt_file **out, const void *pickle, size_t n_pickle_bytes, const void *storage,
                         size_t n_storage_bytes, const char *label, const char *select) {
    pt_file *f;
    LS_TRY(new_file(&f, label));
    f->fake_storage = storage, f->n_fake_storage_bytes = n_storage_bytes;
    f->top = strdup("archive");
    ls_status s = f->top ? pk_run(&f->vm, pickle, n_pickle_bytes, f->label) : ls_fail(LS_ERR_OOM, "no memory");
    if (s == LS_OK) s = select_and_extract(f, select);
    return finish(out, f, s);
}

ls_status pt_open(pt_file **out, const char *path, const char *select) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ls_fail(LS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ls_fail(LS_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return ls_fail(LS_ERR_INPUT, "%s: file is empty", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED)
        return ls_fail(LS_ERR_IO, "%s: mmap of %lld bytes failed: %s", path, (long long)sb.st_size,
                       strerror(map_errno));
    pt_file *f;
    ls_status s = new_file(&f, path);
    if (s != LS_OK) {
        munmap(map, (size_t)sb.st_size);
        return s;
    }
    f->bytes = map, f->n_bytes = (size_t)sb.st_size, f->mapped = true;
    return finish(out, f, open_zip(f, select));
}

void pt_close(pt_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n_tensors; i++)
        free((char *)f->tensors[i].name);
    free(f->tensors);
    free(f->by_name);
    pk_free(&f->vm);
    zip_close(&f->zip);
    if (f->mapped) munmap((void *)f->bytes, f->n_bytes);
    free(f->top);
    free(f->selected);
    free(f->label);
    free(f);
}

const char *pt_label(const pt_file *f) { return f->label; }
const char *pt_top(const pt_file *f) { return f->top; }
const char *pt_selected(const pt_file *f) { return f->selected; }
int64_t pt_format_version(const pt_file *f) { return f->version; }
int pt_count(const pt_file *f) { return f->n_tensors; }
const pt_value *pt_root(const pt_file *f) { return f->vm.result; }

const struct pt_tensor *pt_tensor_at(const pt_file *f, int index) {
    return index >= 0 && index < f->n_tensors ? &f->tensors[index] : NULL;
}

const struct pt_tensor *pt_find(const pt_file *f, const char *name) {
    int lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        const struct pt_tensor *t = &f->tensors[f->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

ls_status pt_verify_crc(const pt_file *f) {
    if (!f->has_zip) return LS_OK;
    char name[600];
    const char *last = NULL;
    for (int i = 0; i < f->n_tensors; i++) {
        // tensors sharing a storage are usually neighbours; a repeated check is only slower, never wrong
        const struct pt_tensor *t = &f->tensors[i];
        if (last && !strcmp(last, t->storage_key)) continue;
        last = t->storage_key;
        snprintf(name, sizeof name, "%s/data/%s", f->top, t->storage_key);
        LS_TRY(zip_check_crc(&f->zip, zip_find(&f->zip, name)));
    }
    return LS_OK;
}
