// loader.h — safetensors files: a validating, mmap-backed reader and a streaming writer.
//
// Reading:
//     st_file *f;
//     LS_TRY(st_open(&f, "unet.safetensors"));          // every header claim checked; one-line errors
//     const struct st_entry *e = st_find(f, "conv_in.weight");
//     tensor t;  LS_TRY(st_tensor(f, "conv_in.weight", &t)); // host view into the mapping
//     st_close(f);                                      // views die with the file
// Writing (tensor data streams in declaration order, so a 5 GB file needs no 5 GB buffer):
//     st_writer *w;
//     LS_TRY(st_writer_open(&w, "out.safetensors"));    // writes out.safetensors.tmp, renamed at the end
//     st_writer_metadata(w, "kind", "unet");
//     st_writer_declare(w, "x", ST_F32, 2, (int64_t[]){2, 3});
//     LS_TRY(st_writer_begin_data(w));
//     LS_TRY(st_writer_write(w, data, 24));
//     LS_TRY(st_writer_finish(w));                      // or st_writer_abort(w): no file left behind
#ifndef LS_LOADER_H
#define LS_LOADER_H

#include "runtime.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER_BYTES ((uint64_t)100 << 20) // far above any real header (the UNet's is ~150 KiB)

typedef enum st_dtype {
    ST_BOOL,
    ST_U8,
    ST_I8,
    ST_I16,
    ST_U16,
    ST_F16,
    ST_BF16,
    ST_I32,
    ST_U32,
    ST_F32,
    ST_F64,
    ST_I64,
    ST_U64,
    ST_F8_E4M3,
    ST_F8_E5M2,
    ST_DTYPE_COUNT
} st_dtype;

struct st_entry {
    const char *name;
    st_dtype dtype;
    int n_dims;
    int64_t shape[ST_MAX_DIMS];
    uint64_t offset, n_bytes; // within the data section
    const void *data;         // into the mapping
};

typedef struct st_file st_file;

const char *st_dtype_name(st_dtype dt); // "F32", ...
size_t st_dtype_size(st_dtype dt);
// The runtime dtype of a safetensors dtype (F32, F16, BF16, I8, I32); false for the others.
bool st_dtype_to_runtime(st_dtype dt, dtype *out);
st_dtype st_dtype_from_runtime(dtype dt);

// Opens and validates a file. Errors name the file, the tensor and the problem. Close with st_close.
ls_status st_open(st_file **out, const char *path);
// Validates a file already in memory (the fuzz target's entry point); `label` names it in messages.
// The bytes must outlive the returned file object.
ls_status st_open_memory(st_file **out, const void *bytes, size_t n_bytes, const char *label);
void st_close(st_file *f); // NULL is a no-op
const char *st_label(const st_file *f);
size_t st_file_bytes(const st_file *f);
int st_count(const st_file *f);
const struct st_entry *st_entry_at(const st_file *f, int index); // in data-offset order
const struct st_entry *st_find(const st_file *f, const char *name); // NULL if absent
int st_metadata_count(const st_file *f);
void st_metadata_at(const st_file *f, int index, const char **key, const char **value);
const char *st_metadata(const st_file *f, const char *key); // NULL if absent
// A contiguous host view (backend NULL) of a tensor with a runtime dtype; fails for absent names and for
// dtypes the runtime has no type for (message names both).
ls_status st_tensor(const st_file *f, const char *name, tensor *out);

typedef struct st_writer st_writer;
ls_status st_writer_open(st_writer **out, const char *path);
ls_status st_writer_metadata(st_writer *w, const char *key, const char *value);
ls_status st_writer_declare(st_writer *w, const char *name, st_dtype dt, int n_dims, const int64_t *shape);
ls_status st_writer_begin_data(st_writer *w);
ls_status st_writer_write(st_writer *w, const void *data, size_t n_bytes);
// Checks that every declared byte was written, flushes, renames the temporary file; frees w in all cases.
ls_status st_writer_finish(st_writer *w);
void st_writer_abort(st_writer *w); // removes the temporary file; frees w; NULL is a no-op
// Writes named host tensors (contiguous, runtime dtypes) and string metadata in one call.
ls_status st_save(const char *path, int n_tensors, const char *const *names, const tensor *const *tensors, int n_meta,
                  const char *const *keys, const char *const *values);

#endif
