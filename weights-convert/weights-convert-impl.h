// weights-convert-impl.h — internals of weights-convert/: the zip container reader and the restricted
// pickle machine. Used by torch_checkpoint.c, the tests and the fuzz targets; not a public API.
#ifndef LS_WEIGHTS_CONVERT_IMPL_H
#define LS_WEIGHTS_CONVERT_IMPL_H

#include "weights_convert.h"

// --- zip container (zip_reader.c) ----------------------------------------------------------------------

#define ZIP_MAX_ENTRIES (1 << 20) // a 5 GB UNet checkpoint has a few thousand

enum { ZIP_STORED = 0, ZIP_DEFLATED = 8 };

struct zip_entry {
    char *name; // NUL-terminated copy of the central directory name
    uint16_t method;
    uint32_t crc32;
    uint64_t header_offset; // local file header
    uint64_t data_offset;   // from the local header's own name and extra lengths
    uint64_t n_bytes;       // compressed size (== uncompressed for stored entries)
    uint64_t n_bytes_uncompressed;
};

typedef struct zip_archive {
    const uint8_t *bytes;
    size_t n_bytes;
    const char *label;         // borrowed
    struct zip_entry *entries; // central directory order
    size_t n_entries;
    size_t *by_name; // entry indices sorted by name (names are unique)
} zip_archive;

// Validates the container: end of central directory (zip64 locator and record when present), every
// central directory entry (zip64 extra fields), every local header; sizes and offsets inside the file,
// entries disjoint and before the central directory, names unique. Keeps pointers into `bytes`.
ls_status zip_open(zip_archive *z, const void *bytes, size_t n_bytes, const char *label);
void zip_close(zip_archive *z); // zeroes z; safe on a zeroed or closed archive
const struct zip_entry *zip_find(const zip_archive *z, const char *name); // NULL if absent
// The bytes of a stored entry; compressed entries fail with a message naming the method.
ls_status zip_data(const zip_archive *z, const struct zip_entry *e, const uint8_t **data, uint64_t *n_bytes);
ls_status zip_check_crc(const zip_archive *z, const struct zip_entry *e); // stored entries
uint32_t zip_crc32(uint32_t crc, const uint8_t *p, size_t n);
// A name made safe for a one-line message: control and non-ASCII bytes as '?', long names cut with "...".
void wc_printable(char *dst, size_t dst_bytes, const char *s);
const char *pt_kind_article(pt_kind kind); // "an" for int, "a" otherwise

// --- restricted pickle machine (pickle_vm.c) -----------------------------------------------------------

#define PK_MAX_STACK       100000     // Python batches SETITEMS/APPENDS by 1000; a state dict needs a few thousand
#define PK_MAX_MARKS       1000       // open MARKs at once
#define PK_MAX_NESTING     100        // containers inside containers (a state dict needs < 10)
#define PK_MAX_MEMO        (1 << 21)  // memo slots
#define PK_MAX_OBJECTS     (1 << 22)  // objects created (the full UNet's pickle makes ~50k)
#define PK_MAX_TENSORS     (1 << 18)  // tensors listed (the full UNet has ~2.7k)
#define PK_MAX_VISITS      (1 << 22)  // objects reached when listing tensors (shared containers multiply paths)
#define PK_MAX_STR_BYTES   (1 << 20)  // one str or global name
#define PK_MAX_BYTES_BYTES (64 << 20) // one bytes object

// Allowed globals. Anything else is refused by name.
typedef enum pk_global {
    PK_G_REBUILD_TENSOR_V2, // torch._utils._rebuild_tensor_v2
    PK_G_REBUILD_TENSOR,    // torch._utils._rebuild_tensor
    PK_G_REBUILD_PARAMETER, // torch._utils._rebuild_parameter
    PK_G_REBUILD_PARAMETER_WITH_STATE,
    PK_G_ORDERED_DICT, // collections.OrderedDict
    PK_G_STORAGE,      // torch.<Type>Storage; the dtype is in pk_obj.global.dtype
} pk_global;

struct pk_tensor {
    struct pk_obj *storage; // PT_KIND_STORAGE
    int64_t offset;         // elements
    int n_dims;
    int64_t shape[PT_MAX_DIMS], stride[PT_MAX_DIMS];
};

struct pk_obj {
    pt_kind kind;
    int depth; // 1 for leaves; 1 + deepest item for containers (as built)
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *s; // NUL-terminated copy (str and bytes)
            size_t n_bytes;
        } str;
        struct {
            struct pk_obj **items; // dicts: key, value, key, value, ...
            size_t n, cap;         // in pointers
        } seq;
        struct {
            pk_global id;
            pt_dtype dtype;
            const char *name; // "torch.FloatStorage" (static)
        } global;
        struct {
            pt_dtype dtype;
            char *key;
            int64_t n_elems;
        } storage;
        struct pk_tensor *tensor;
    } u;
};

typedef struct pk_chunk pk_chunk;

typedef struct pk_vm {
    const char *label; // borrowed; prefixes messages
    pk_chunk *chunks;  // every object, freed together
    size_t n_objects;
    struct pk_obj **stack;
    size_t n_stack, cap_stack;
    size_t *marks;
    size_t n_marks;
    struct pk_obj **memo;
    size_t n_memo;
    struct pk_obj *result; // after STOP
} pk_vm;

// Runs a pickle (protocols 2-5, the opcodes of a state dict) and leaves the unpickled object in vm->result.
// Every limit above is an error, as are unknown opcodes and globals outside the allowed list.
ls_status pk_run(pk_vm *vm, const uint8_t *data, size_t n_bytes, const char *label);
void pk_free(pk_vm *vm); // safe on a zeroed or freed vm

// Fuzzing and tests: unpickle `pickle` as a checkpoint's data.pkl in which every storage record holds
// `storage` (n_storage_bytes bytes), then extract tensors as pt_open_memory does.
ls_status pt_open_pickle(pt_file **out, const void *pickle, size_t n_pickle_bytes, const void *storage,
                         size_t n_storage_bytes, const char *label, const char *select);

#endif
