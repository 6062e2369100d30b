// runtime.h — the engine's foundation: status and error messages, logging, dtypes, tensors, backends,
// arenas, the thread pool and the trace. Knows nothing of models or files.
//
// Usage sketch:
//     struct backend *cpu;
//     LS_TRY(backend_cpu_init(&cpu, 0));                 // kernels/cpu, all cores
//     arena act;
//     LS_TRY(arena_init(&act, cpu, 64 << 20));
//     tensor x;
//     LS_TRY(arena_tensor(&act, &x, DTYPE_F32, 4, (int64_t[]){2, 320, 32, 32}));   // (N, C, H, W)
//     ... op_*(&out, &x, ...) from ops/ops.h ...
//     arena_free(&act); backend_free(cpu);
// On failure every function returns a non-zero ls_status and leaves a one-line message in ls_error().
#ifndef LS_RUNTIME_H
#define LS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// --- status and errors -------------------------------------------------------------------------------

typedef enum ls_status {
    LS_OK = 0,
    LS_ERR_INPUT,       // bad file, media or argument contents
    LS_ERR_SHAPE,       // tensor shapes do not agree
    LS_ERR_DTYPE,       // dtype not accepted here
    LS_ERR_IO,          // open/read/write/mmap failed
    LS_ERR_OOM,         // out of memory (host, device or arena)
    LS_ERR_UNSUPPORTED, // a backend lacks an op/dtype, or a feature is not built
    LS_ERR_DEVICE,      // a device call failed
    LS_ERR_USAGE,       // bad command-line usage (tools map it to exit 2)
} ls_status;

// Sets the calling thread's error message (printf format) and returns `status`. The message slot is
// thread-local and owned by the thread that made the call; it stays until the next ls_fail/ls_error_clear.
ls_status ls_fail(ls_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Prefixes the current message with context ("file.safetensors: " + message) and returns `status`.
ls_status ls_fail_context(ls_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ls_error(void); // the calling thread's last message ("" if none); never NULL
void ls_error_clear(void);
const char *ls_status_name(ls_status status);

#define LS_TRY(expr)                                                                                            \
    do {                                                                                                        \
        ls_status ls_try_status_ = (expr);                                                                      \
        if (ls_try_status_ != LS_OK) return ls_try_status_;                                                     \
    } while (0)

// For our own bugs only (never for file, CLI or media data): logs file:line and aborts, in every build.
#define LS_ASSERT(cond)                                                                                         \
    do {                                                                                                        \
        if (!(cond)) ls_assert_fail(#cond, __FILE__, __LINE__);                                                 \
    } while (0)
_Noreturn void ls_assert_fail(const char *expr, const char *file, int line);

// --- logging (stderr by default; stdout belongs to the CLI's data) -------------------------------------

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
typedef void (*log_callback)(log_level level, const char *message, void *user);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_set_level(log_level min_level);
void log_set_callback(log_callback cb, void *user); // NULL restores the stderr writer

// --- dtypes ----------------------------------------------------------------------------------------------

typedef enum dtype {
    DTYPE_F32,
    DTYPE_F16,
    DTYPE_BF16,
    DTYPE_I8, // weight-only: symmetric, per-output-channel f32 scales in tensor.scale
    DTYPE_I32,
    DTYPE_COUNT
} dtype;

size_t dtype_size(dtype dt);
const char *dtype_name(dtype dt); // "f32", "f16", ...

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f); // round to nearest even, overflow to inf
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f); // round to nearest even, NaN kept quiet
// Bulk conversions (vectorised where the CPU allows).
void convert_f16_to_f32(float *dst, const uint16_t *src, size_t n_elems);
void convert_f32_to_f16(uint16_t *dst, const float *src, size_t n_elems);
void convert_bf16_to_f32(float *dst, const uint16_t *src, size_t n_elems);
void convert_f32_to_bf16(uint16_t *dst, const float *src, size_t n_elems);

// --- tensors ---------------------------------------------------------------------------------------------
// A tensor never owns memory: `data` points into an arena, a model's weight buffer or an mmap'd file.
// Shapes are outermost-first (PyTorch order); strides are in elements.

#define TENSOR_MAX_DIMS 5

struct backend;

typedef struct tensor {
    dtype dtype;
    int n_dims;
    int64_t shape[TENSOR_MAX_DIMS];
    int64_t stride[TENSOR_MAX_DIMS];
    void *data;              // backend memory; NULL on the plan backend
    const float *scale;      // DTYPE_I8: shape[0] per-output-channel scales on the same backend; else NULL
    struct backend *backend; // owner of `data`
} tensor;

// Describes existing memory as a contiguous tensor. Fails (LS_ERR_SHAPE) on a bad rank or negative dim.
ls_status tensor_wrap(tensor *t, struct backend *be, dtype dt, int n_dims, const int64_t *shape, void *data);
int64_t tensor_n_elems(const tensor *t);
size_t tensor_n_bytes(const tensor *t); // of the contiguous extent: n_elems * dtype size
bool tensor_is_contiguous(const tensor *t);
bool tensor_same_shape(const tensor *a, const tensor *b);
// Views (no copy). Each fails with LS_ERR_SHAPE and a message when the request does not fit.
ls_status tensor_reshape(tensor *out, const tensor *t, int n_dims, const int64_t *shape); // contiguous only
ls_status tensor_permute(tensor *out, const tensor *t, const int *perm); // out dim i = t dim perm[i]
ls_status tensor_slice(tensor *out, const tensor *t, int dim, int64_t start, int64_t len);
// Broadcast view to `shape` (same rank; dims of size 1 get stride 0).
ls_status tensor_broadcast(tensor *out, const tensor *t, int n_dims, const int64_t *shape);
// "(2, 320, 32, 32)" into buf; returns buf.
const char *tensor_shape_str(const tensor *t, char *buf, size_t buf_bytes);
const char *shape_str(int n_dims, const int64_t *shape, char *buf, size_t buf_bytes);

// --- backends --------------------------------------------------------------------------------------------
// A backend is a table of function pointers plus a context. The op entries (kernels) take fully checked
// arguments: ops/ validates shapes and dtypes before calling them. Entries marked (optional) may be NULL.

#define BACKEND_API_VERSION 1

typedef enum unary_op { UNARY_GELU, UNARY_GELU_TANH, UNARY_SILU, UNARY_RELU, UNARY_RELU6, UNARY_COUNT } unary_op;
typedef enum binary_op { BINARY_ADD, BINARY_MUL, BINARY_COUNT } binary_op;

typedef enum op_kind {
    OP_LINEAR,
    OP_CONV2D,
    OP_CONV1D,
    OP_GROUP_NORM,
    OP_LAYER_NORM,
    OP_SOFTMAX,
    OP_ATTENTION,
    OP_UNARY,
    OP_BINARY,
    OP_AXPBY,
    OP_GEGLU,
    OP_UPSAMPLE2X,
    OP_COPY,
    OP_TIMESTEP_EMBEDDING,
    OP_FILL,
    OP_POOL2D,
    OP_COUNT
} op_kind;
const char *op_kind_name(op_kind op);

struct conv2d_params {
    int stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right; // zero padding; may be asymmetric (SD VAE downsampler)
    int dilation_h, dilation_w;
    int groups; // 1 = dense; == channels for depthwise
};

struct conv1d_params {
    int stride, pad, dilation;
};

struct group_norm_params {
    int groups;
    float eps;
    int frames; // statistics shared by this many consecutive batch items (1 = per image; F = across frames)
    bool silu;  // fused SiLU after the affine
};

struct attention_params {
    int heads;
    float scale; // multiplies q k^T; 1/sqrt(head_dim) for SDPA
};

struct timestep_params {
    bool flip_sin_to_cos; // [cos | sin] instead of [sin | cos]
    float freq_shift;     // exponent divisor is half - freq_shift
    float max_period;     // 10000
};

// Max or average pooling over KH x KW windows. Padding is never a value: max ignores it, average divides by
// the number of in-bounds taps (TensorFlow's SAME pooling, PyTorch's count_include_pad=False). A ceil-mode
// pooling is expressed with extra bottom/right padding.
typedef enum pool_kind { POOL_MAX, POOL_AVG } pool_kind;
struct pool2d_params {
    pool_kind kind;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right;
};

struct backend_ops {
    int version; // BACKEND_API_VERSION
    const char *name;
    // memory
    ls_status (*alloc)(void *ctx, size_t n_bytes, void **ptr);
    void (*free)(void *ctx, void *ptr);
    ls_status (*upload)(void *ctx, void *dst, const void *src_host, size_t n_bytes);
    ls_status (*download)(void *ctx, void *dst_host, const void *src, size_t n_bytes);
    ls_status (*sync)(void *ctx);
    ls_status (*memory_info)(void *ctx, size_t *free_bytes, size_t *total_bytes); // (optional)
    // Whether an op with these dtypes can run here. out_dt is the output dtype, w_dt the weight dtype
    // (DTYPE_COUNT where the op has no weight).
    bool (*supports)(void *ctx, op_kind op, dtype out_dt, dtype w_dt);
    // ops; tensors all live on this backend
    ls_status (*linear)(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias);
    ls_status (*conv2d)(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                        const struct conv2d_params *p);
    ls_status (*conv1d)(void *ctx, const tensor *out, const tensor *x, const tensor *w, const tensor *bias,
                        const struct conv1d_params *p);
    ls_status (*group_norm)(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                            const struct group_norm_params *p);
    ls_status (*layer_norm)(void *ctx, const tensor *out, const tensor *x, const tensor *gamma, const tensor *beta,
                            float eps);
    ls_status (*softmax)(void *ctx, const tensor *out, const tensor *x);
    ls_status (*attention)(void *ctx, const tensor *out, const tensor *q, const tensor *k, const tensor *v,
                           const struct attention_params *p);
    ls_status (*unary)(void *ctx, const tensor *out, const tensor *x, unary_op op);
    ls_status (*binary)(void *ctx, const tensor *out, const tensor *a, const tensor *b, binary_op op);
    ls_status (*axpby)(void *ctx, const tensor *out, float alpha, const tensor *x, float beta, const tensor *y);
    ls_status (*geglu)(void *ctx, const tensor *out, const tensor *x);
    ls_status (*upsample2x)(void *ctx, const tensor *out, const tensor *x);
    ls_status (*copy)(void *ctx, const tensor *out, const tensor *x); // strided, dtype-converting
    ls_status (*timestep_embedding)(void *ctx, const tensor *out, const tensor *t, const struct timestep_params *p);
    ls_status (*fill)(void *ctx, const tensor *out, float value);
    void (*destroy)(void *ctx);
    // (optional) NULL means unsupported, whatever `supports` says. Added after destroy: new entries go at
    // the end so positional tables (the CUDA backend's C++) stay valid.
    ls_status (*pool2d)(void *ctx, const tensor *out, const tensor *x, const struct pool2d_params *p);
};

struct backend {
    const struct backend_ops *ops;
    void *ctx;
    int is_plan; // the plan backend: no memory, no compute, used to size arenas
};

const char *backend_name(const struct backend *be);
void backend_free(struct backend *be); // NULL is a no-op (the static plan backend is never freed)
ls_status backend_alloc(struct backend *be, size_t n_bytes, void **ptr);
void backend_release(struct backend *be, void *ptr);
// Host <-> backend copies of whole contiguous tensors (dtype and shape must agree).
ls_status tensor_upload(const tensor *dst, const void *src_host);
ls_status tensor_download(const tensor *src, void *dst_host);
// The plan backend: a static backend whose ops do nothing; running a model on it (after ops' shape
// checks) sizes arenas. Never freed.
struct backend *backend_plan(void);

// The counting backend: a plan backend (no memory, no compute) that adds up each op's FLOPs and bytes.
struct op_counts {
    double flops[OP_COUNT], bytes[OP_COUNT], calls[OP_COUNT];
};
ls_status backend_count_init(struct backend **out, struct op_counts *counts); // counts zeroed; free with backend_free
double op_counts_total_flops(const struct op_counts *c);

// --- arenas ----------------------------------------------------------------------------------------------
// A bump allocator over one backend buffer. Activations are allocated from it and released in LIFO order
// with arena_mark/arena_release. On the plan backend (or with arena_init_plan) nothing is allocated and
// only the peak is recorded, which is how callers size an arena once per shape.

typedef struct arena {
    struct backend *backend;
    uint8_t *base;
    size_t capacity_bytes;
    size_t used_bytes;
    size_t peak_bytes;
    bool planning;
    const char *name; // for messages: "unet"
} arena;

ls_status arena_init(arena *a, struct backend *be, size_t capacity_bytes); // allocates capacity now
void arena_init_plan(arena *a);                                             // planning arena, never fails
void arena_free(arena *a);                                                  // NULL-safe; a is reusable after
ls_status arena_tensor(arena *a, tensor *t, dtype dt, int n_dims, const int64_t *shape);
ls_status arena_bytes(arena *a, size_t n_bytes, void **ptr); // raw scratch
size_t arena_mark(const arena *a);
void arena_release(arena *a, size_t mark);
void arena_reset(arena *a);

// --- thread pool -----------------------------------------------------------------------------------------
// One pool per CPU backend. OpenBLAS is kept single-threaded while our pool runs, so the cores are never
// shared by two pools. pool_run calls fn(arg, task, thread) for task in [0, n_tasks) on all threads
// (the caller included, as thread 0) and returns when all are done. Not re-entrant.

typedef struct pool pool;
typedef void (*pool_task_fn)(void *arg, int64_t task, int thread);
ls_status pool_init(pool **p, int n_threads); // n_threads <= 0: one per online core
void pool_free(pool *p);
int pool_size(const pool *p);
void pool_run(pool *p, int64_t n_tasks, pool_task_fn fn, void *arg);
int cpu_count(void);

// --- trace (Chrome/Perfetto JSON) ------------------------------------------------------------------------
// trace_start enables recording; spans are cheap to open and close; trace_stop writes the file.
// When tracing is off, TRACE_BEGIN/TRACE_END cost one predictable branch.

extern int trace_on;
ls_status trace_start(const char *path);
ls_status trace_stop(void); // writes and disables; no-op if not started
void trace_begin_impl(const char *name, const char *category);
void trace_end_impl(void);
void trace_counter(const char *name, double value);
static inline void trace_begin(const char *name, const char *category) {
    if (trace_on) trace_begin_impl(name, category);
}
static inline void trace_end(void) {
    if (trace_on) trace_end_impl();
}

// --- time ------------------------------------------------------------------------------------------------
double time_now_s(void); // monotonic seconds

#endif
