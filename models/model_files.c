// model_files.c — weight sources over model files: safetensors viewed through the mmap (zero-copy), and
// PyTorch checkpoints whose contiguous tensors are viewed in place and whose views, non-contiguous or
// f64 tensors are converted to contiguous copies on first use.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_files.h"

static bool st_find_tensor(void *ctx, const char *name, tensor *out) {
    st_file *f = ctx;
    if (!st_find(f, name)) return false;
    return st_tensor(f, name, out) == LS_OK;
}

static int st_source_count(void *ctx) { return st_count(ctx); }

static const char *st_source_name(void *ctx, int i) {
    const struct st_entry *e = st_entry_at(ctx, i);
    return e ? e->name : "";
}

void weight_source_safetensors(struct weight_source *src, st_file *f) {
    *src = (struct weight_source){.label = st_label(f), .find = st_find_tensor, .count = st_source_count,
                                  .name_at = st_source_name, .ctx = f, .keeps_memory = true};
}

// --- checkpoints ---------------------------------------------------------------------------------------------

static bool ck_find(void *ctx, const char *name, tensor *out) {
    struct model_file *mf = ctx;
    char full[600];
    snprintf(full, sizeof full, "%s%s", mf->prefix, name);
    const struct pt_tensor *t = pt_find(mf->ck, full);
    if (!t) return false;
    // contiguous f32/f16/bf16 tensors are viewed in the mapping; other float tensors become f32 copies
    bool viewable = t->dtype == PT_F32 || t->dtype == PT_F16 || t->dtype == PT_BF16;
    if (viewable && pt_tensor_view(t, out) == LS_OK) return true;
    if (tensor_wrap(out, NULL, DTYPE_F32, t->n_dims, t->shape, NULL) != LS_OK) return false;
    if (mf->n_converted == mf->cap_converted) {
        int cap = mf->cap_converted ? 2 * mf->cap_converted : 64;
        void **p = realloc(mf->converted, (size_t)cap * sizeof *p);
        if (!p) return false;
        mf->converted = p, mf->cap_converted = cap;
    }
    void *buf = malloc(tensor_n_bytes(out) + 1);
    if (!buf || pt_tensor_copy(t, PT_F32, buf, tensor_n_bytes(out)) != LS_OK) {
        free(buf);
        return false;
    }
    mf->converted[mf->n_converted++] = buf;
    out->data = buf;
    return true;
}

static int ck_count(void *ctx) { return ((struct model_file *)ctx)->n_names; }

static const char *ck_name_at(void *ctx, int i) {
    struct model_file *mf = ctx;
    if (i < 0 || i >= mf->n_names) return "";
    return pt_tensor_at(mf->ck, mf->names[i])->name + strlen(mf->prefix);
}

ls_status model_file_open(struct model_file *mf, const char *path, const char *const *prefixes) {
    memset(mf, 0, sizeof *mf);
    uint8_t magic[2] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, magic, 2);
        (void)r;
        close(fd);
    }
    bool torch_file = (magic[0] == 'P' && magic[1] == 'K') || (magic[0] == 0x80 && magic[1] <= 5);
    if (!torch_file) {
        LS_TRY(st_open(&mf->st, path));
        weight_source_safetensors(&mf->src, mf->st);
        return LS_OK;
    }
    LS_TRY(pt_open(&mf->ck, path, ""));
    int n = pt_count(mf->ck);
    for (int p = 0; prefixes && prefixes[p]; p++) {
        size_t pl = strlen(prefixes[p]);
        int hits = 0;
        for (int i = 0; i < n; i++) hits += !strncmp(pt_tensor_at(mf->ck, i)->name, prefixes[p], pl);
        if (hits) {
            snprintf(mf->prefix, sizeof mf->prefix, "%s", prefixes[p]);
            break;
        }
    }
    mf->names = malloc(((size_t)n + 1) * sizeof *mf->names);
    if (!mf->names) {
        model_file_close(mf);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    size_t pl = strlen(mf->prefix);
    for (int i = 0; i < n; i++)
        if (!strncmp(pt_tensor_at(mf->ck, i)->name, mf->prefix, pl)) mf->names[mf->n_names++] = i;
    mf->src = (struct weight_source){.label = pt_label(mf->ck), .find = ck_find, .count = ck_count,
                                     .name_at = ck_name_at, .ctx = mf, .keeps_memory = true};
    return LS_OK;
}

void model_file_close(struct model_file *mf) {
    if (!mf) return;
    st_close(mf->st);
    pt_close(mf->ck);
    for (int i = 0; i < mf->n_converted; i++) free(mf->converted[i]);
    free(mf->converted);
    free(mf->names);
    memset(mf, 0, sizeof *mf);
}
