// weights_convert.h — foreign weight formats, read without Python: the zip container of PyTorch
// checkpoints, a restricted pickle machine (no code ever runs: only the globals a state dict needs), the
// checkpoint's tensors and scalars, and (convert.c) our safetensors output with metadata, dtype
// conversion and int8 quantization.
//
//     torch_checkpoint *ck;
//     LS_TRY(torch_checkpoint_open(&ck, "latentsync_unet.pt"));
//     const struct torch_tensor *t = torch_checkpoint_find(ck, "state_dict.conv_in.weight");
//     int64_t step;  torch_checkpoint_int(ck, "global_step", &step);
//     torch_checkpoint_close(ck);
#ifndef LS_WEIGHTS_CONVERT_H
#define LS_WEIGHTS_CONVERT_H

#include "loader.h"
#include "runtime.h"

// --- zip (stored entries only, zip64 aware) -----------------------------------------------------------

typedef struct zip_archive zip_archive;
ls_status zip_open_memory(zip_archive **out, const void *bytes, size_t n_bytes, const char *label);
void zip_close(zip_archive *z); // NULL is a no-op; does not unmap the bytes
int zip_count(const zip_archive *z);
const char *zip_name_at(const zip_archive *z, int index);
// The data of a stored entry (false if absent); sizes were validated at open.
bool zip_find(const zip_archive *z, const char *name, const void **data, size_t *n_bytes);

// --- the restricted pickle machine ----------------------------------------------------------------------

typedef enum pk_kind {
    PK_NONE,
    PK_BOOL,
    PK_INT,
    PK_FLOAT,
    PK_STR,
    PK_BYTES,
    PK_TUPLE,
    PK_LIST,
    PK_DICT,
    PK_GLOBAL,  // an allowed global (rebuild function, storage type, OrderedDict, ...)
    PK_STORAGE, // a persistent storage reference: ('storage', type, key, location, numel)
    PK_TENSOR,  // _rebuild_tensor_v2(storage, offset, size, stride, ...)
    PK_MARK,    // internal
} pk_kind;

#define PK_MAX_DIMS 8

struct pk_obj {
    pk_kind kind;
    int64_t i;           // PK_INT, PK_BOOL; PK_STORAGE: numel
    double f;            // PK_FLOAT
    const char *s;       // PK_STR, PK_BYTES (length in n); PK_GLOBAL: "module.name"; PK_STORAGE: key
    int64_t n;           // string length, or number of items (PK_DICT: pairs)
    struct pk_obj **items; // PK_TUPLE/PK_LIST: n items; PK_DICT: 2n (key, value, ...)
    int storage_dtype;   // PK_STORAGE: st_dtype; PK_TENSOR: its storage is items[0]
    int depth;           // containers: nesting depth (bounded)
    int n_dims;          // PK_TENSOR
    int64_t shape[PK_MAX_DIMS], stride[PK_MAX_DIMS], offset;
};

typedef struct pickle pickle; // owns every object it created
// Runs the machine on `bytes`; errors name `label`, the opcode offset and the problem. Globals other than
// the allowed ones are refused by name.
ls_status pickle_load(pickle **out, const void *bytes, size_t n_bytes, const char *label);
const struct pk_obj *pickle_root(const pickle *p);
void pickle_free(pickle *p);
// dict lookup by string key (NULL if absent or not a dict)
const struct pk_obj *pk_dict_get(const struct pk_obj *dict, const char *key);

// --- PyTorch checkpoints ----------------------------------------------------------------------------------

struct torch_tensor {
    const char *name;  // dotted path from the root dict: "state_dict.conv_in.weight"
    st_dtype dtype;
    int n_dims;
    int64_t shape[PK_MAX_DIMS], stride[PK_MAX_DIMS]; // strides in elements
    int64_t offset;    // in elements, into the storage
    const void *storage; // the storage's bytes (in the mapping)
    int64_t storage_numel;
    const char *storage_key;
    bool contiguous;
};

typedef struct torch_checkpoint torch_checkpoint;
// Opens a torch.save zip file (any top-level folder name); validates every tensor against its storage.
// Legacy (pre-1.6, non-zip) files are refused with a hint to re-save them.
ls_status torch_checkpoint_open(torch_checkpoint **out, const char *path);
void torch_checkpoint_close(torch_checkpoint *ck); // NULL is a no-op
const char *torch_checkpoint_label(const torch_checkpoint *ck);
int torch_checkpoint_count(const torch_checkpoint *ck);
const struct torch_tensor *torch_checkpoint_at(const torch_checkpoint *ck, int index);
const struct torch_tensor *torch_checkpoint_find(const torch_checkpoint *ck, const char *name);
// Integer scalar at a dotted path ("global_step", "dims.n_audio_state"); false if absent or not an int.
bool torch_checkpoint_int(const torch_checkpoint *ck, const char *path, int64_t *out);
const struct pk_obj *torch_checkpoint_root(const torch_checkpoint *ck);
// Contiguous copy of a tensor converted to `dt` (f32/f16/bf16 from any float dtype, i32 from integers).
ls_status torch_tensor_read(const torch_checkpoint *ck, const struct torch_tensor *t, dtype dt, void *dst);

#endif
