// weights_convert.h — foreign weight formats, read with no Python. Today: PyTorch zip checkpoints
// (torch.save with torch >= 1.6): a validating zip reader, a restricted pickle machine that knows only the
// globals a state dict needs (it never runs code), and the extraction of named tensors — views into the
// mmap'd file, with their storage offsets and strides — and of plain scalars (`global_step`, Whisper's
// `dims`); Whisper's dims read, derived and checked; SHA-256 for source digests. Depends on runtime/ only.
// (The TensorFlow.js reader of the face models has its own header, tfjs.h.)
//
// Usage sketch:
//     pt_file *f;
//     LS_TRY(pt_open(&f, "latentsync_unet.pt", NULL));   // NULL: tensors of "state_dict" / "model_state_dict"
//     int64_t step;
//     LS_TRY(pt_get_int(f, "global_step", &step));          // scalars by dotted path from the root
//     for (int i = 0; i < pt_count(f); i++) {
//         const struct pt_tensor *t = pt_tensor_at(f, i);   // name, dtype, shape, strides, storage bytes
//         LS_TRY(pt_tensor_copy(t, PT_F16, buf, buf_bytes)); // contiguous copy, converted
//     }
//     pt_close(f);                                          // tensor views die with the file
// Every failure returns a non-zero ls_status with a one-line message naming the file and the problem.
#ifndef LS_WEIGHTS_CONVERT_H
#define LS_WEIGHTS_CONVERT_H

#include "runtime.h"

#define PT_MAX_DIMS 8

// Element types of torch's typed storages (torch.FloatStorage, ...).
typedef enum pt_dtype {
    PT_F32,  // FloatStorage
    PT_F16,  // HalfStorage
    PT_BF16, // BFloat16Storage
    PT_F64,  // DoubleStorage
    PT_I64,  // LongStorage
    PT_I32,  // IntStorage
    PT_I16,  // ShortStorage
    PT_I8,   // CharStorage
    PT_U8,   // ByteStorage
    PT_BOOL, // BoolStorage
    PT_DTYPE_COUNT
} pt_dtype;

const char *pt_dtype_name(pt_dtype dt); // "f32", "f16", "bf16", "f64", "i64", ...
size_t pt_dtype_size(pt_dtype dt);
bool pt_dtype_to_runtime(pt_dtype dt, dtype *out); // f32, f16, bf16, i8, i32; false for the others

// One tensor of the selected state dict. All pointers point into the file's mapping (or the caller's
// bytes for pt_open_memory) and stay valid until pt_close.
struct pt_tensor {
    const char *name; // dotted path below the selected dict: "encoder.conv1.weight"
    pt_dtype dtype;
    int n_dims;
    int64_t shape[PT_MAX_DIMS];  // outermost first
    int64_t stride[PT_MAX_DIMS]; // in elements; may be 0 (expanded) or non-row-major (transposed)
    int64_t n_elems;
    int64_t storage_offset;  // in elements, from the storage's first element
    const char *storage_key; // the storage's record: "<top>/data/<key>"
    const uint8_t *storage;  // the storage's first byte (shared by every tensor viewing it)
    uint64_t storage_bytes;  // the storage's size as its pickle declares it (checked against the record)
    bool contiguous;         // row-major and dense from storage_offset: `data` is then a complete view
    const void *data;        // storage + storage_offset * element size
};

typedef struct pt_file pt_file;

// Opens a PyTorch zip checkpoint: mmap, zip container, restricted unpickling, tensor extraction. `select`
// picks the dict whose tensors are listed: NULL takes "state_dict" or "model_state_dict" when the root
// dict holds one (LatentSync, openai-whisper) and the root otherwise; "" is the root; "a.b" a nested dict.
// Tensors in nested dicts (and lists) below the selection get dotted names. Legacy (pre-1.6) files fail
// with a hint to re-save. Close with pt_close.
ls_status pt_open(pt_file **out, const char *path, const char *select);
// The same over bytes in memory (tests, fuzzing); `label` names it in messages. The bytes are borrowed
// and must outlive the file object.
ls_status pt_open_memory(pt_file **out, const void *bytes, size_t n_bytes, const char *label, const char *select);
void pt_close(pt_file *f); // NULL is a no-op

const char *pt_label(const pt_file *f);      // the path or label given
const char *pt_top(const pt_file *f);        // the archive's top folder ("archive", the file stem, ...)
const char *pt_selected(const pt_file *f);   // dotted path of the listed dict ("" for the root)
int64_t pt_format_version(const pt_file *f); // the "<top>/version" record (3 for torch 1.6 .. 2.x)
int pt_count(const pt_file *f);
const struct pt_tensor *pt_tensor_at(const pt_file *f, int index);   // in pickle (insertion) order
const struct pt_tensor *pt_find(const pt_file *f, const char *name); // NULL if absent
// CRC-32 check of every storage record the tensors use (reads all the tensor bytes once).
ls_status pt_verify_crc(const pt_file *f);

// A contiguous copy of a tensor into caller memory of exactly n_elems * pt_dtype_size(dst_dtype) bytes.
// dst_dtype may be the tensor's own dtype (a byte-exact gather, any dtype) or, for floating-point tensors
// (f32, f16, bf16, f64), f32, f16 or bf16 (round to nearest even; f64 goes through f32). Works for any
// strides (views, transposes, expanded dims). Errors name the tensor and both dtypes or sizes.
ls_status pt_tensor_copy(const struct pt_tensor *t, pt_dtype dst_dtype, void *dst, size_t dst_bytes);
// A zero-copy runtime view (backend NULL, host memory) of a contiguous tensor whose dtype the runtime has
// and whose rank fits TENSOR_MAX_DIMS; fails otherwise (use pt_tensor_copy).
ls_status pt_tensor_view(const struct pt_tensor *t, tensor *out);

// --- the unpickled object tree (read-only; lives as long as the file) -------------------------------------

typedef enum pt_kind {
    PT_KIND_NONE,
    PT_KIND_BOOL,
    PT_KIND_INT,
    PT_KIND_FLOAT,
    PT_KIND_STR,
    PT_KIND_BYTES,
    PT_KIND_TUPLE,
    PT_KIND_LIST,
    PT_KIND_DICT, // dict and collections.OrderedDict, in insertion order
    PT_KIND_TENSOR,
    PT_KIND_STORAGE, // a storage reference (persistent id) not wrapped in a tensor
    PT_KIND_GLOBAL,  // an allowed global not called (a storage class, a rebuild function)
} pt_kind;

typedef struct pk_obj pt_value;

const char *pt_kind_name(pt_kind kind); // "int", "dict", ...
const pt_value *pt_root(const pt_file *f);
// Follows dict keys from the root: "dims.n_mels", "global_step". Keys holding dots are matched whole
// ("model_state_dict.encoder.conv1.weight"). NULL if absent.
const pt_value *pt_lookup(const pt_file *f, const char *dotted);
pt_kind pt_value_kind(const pt_value *v);
bool pt_value_bool(const pt_value *v, bool *out);
bool pt_value_int(const pt_value *v, int64_t *out);                 // ints and bools
bool pt_value_float(const pt_value *v, double *out);                // floats and ints
const char *pt_value_str(const pt_value *v);                        // str: NUL-terminated UTF-8; NULL for other kinds
size_t pt_value_len(const pt_value *v);                             // items of a tuple, list or dict; 0 otherwise
const pt_value *pt_value_item(const pt_value *v, size_t i);         // tuple/list item; dict value
const pt_value *pt_value_key(const pt_value *v, size_t i);          // dict key; NULL otherwise
const pt_value *pt_dict_get(const pt_value *dict, const char *key); // str keys; NULL if absent
// Typed getters by dotted path; errors name the file, the path and the kind found.
ls_status pt_get_int(const pt_file *f, const char *dotted, int64_t *out);
ls_status pt_get_float(const pt_file *f, const char *dotted, double *out);
ls_status pt_get_str(const pt_file *f, const char *dotted, const char **out);

// --- SHA-256 (sha256.c) ---------------------------------------------------------------------------------------

struct sha256 {
    uint32_t h[8];
    uint64_t n_bytes;
    uint8_t buf[64];
    size_t used;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, char hex[65]); // lower-case hex digest, NUL-terminated

// --- model configuration from the weights -------------------------------------------------------------------
// Named tensor shapes from any file (a checkpoint here; a safetensors file through the same two fields), so
// a configuration can be derived from names and shapes and checked before any data is read.

struct shape_source {
    const char *label; // the file, for messages
    // Fills the rank and shape (PT_MAX_DIMS room) of a tensor; false when the name is absent.
    bool (*find)(void *ctx, const char *name, int *n_dims, int64_t *shape);
    void *ctx;
};

void shape_source_pt(struct shape_source *src, const pt_file *f); // borrows f

// openai-whisper's ModelDimensions, as its checkpoints store them under "dims".
struct whisper_dims {
    int64_t n_mels, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer;
    int64_t n_vocab, n_text_ctx, n_text_state, n_text_head, n_text_layer; // all 0 for an encoder-only file
};

// Reads the ten integers of the checkpoint's "dims" dict; errors name the missing or mistyped key.
ls_status whisper_dims_read(const pt_file *f, struct whisper_dims *out);
// Derives the dims from tensor names and shapes: state, mels and context from conv1 and the positional
// embeddings, layers by counting blocks, heads as state / 64 (every released Whisper size uses 64-wide
// heads; shapes cannot tell; 1 when the state is no multiple of 64). A file without a decoder gives zero text dims.
ls_status whisper_dims_derive(const struct shape_source *src, struct whisper_dims *out);
// Checks every tensor a Whisper model of these dims has (decoder ones when n_text_layer > 0): the first
// missing or mis-shaped tensor is the error ("tiny.pt: tensor 'encoder.conv2.weight': shape (...), expected
// (...)"), so a file that is no Whisper model is refused by name. Also checks the dims themselves.
ls_status whisper_dims_check(const struct shape_source *src, const struct whisper_dims *d);
// "dims" when the checkpoint has it, else derived; checked against the tensors either way.
ls_status whisper_dims_load(const pt_file *f, struct whisper_dims *out);

#endif
