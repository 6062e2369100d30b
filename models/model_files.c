// model_files.c — weight sources over model files: a safetensors file (our converted format or a diffusers
// VAE file) viewed through the mmap, zero-copy.
#include <stdlib.h>
#include <string.h>

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
