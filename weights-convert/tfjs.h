// tfjs.h — reading TensorFlow.js weight files: a `*-weights_manifest.json` (or a graph model's `model.json`
// with a "weightsManifest" entry) plus its binary shards, into named host tensors. Also the layout changes
// from TensorFlow's order to ours (PyTorch order, runtime.h).
//
// Usage sketch:
//     struct tfjs_weights w;
//     LS_TRY(tfjs_read(&w, "model/ssd_mobilenetv1_model-weights_manifest.json"));
//     const tensor *t = tfjs_find(&w, "MobilenetV1/Conv2d_0_pointwise/weights");   // (3, 3, 3, 32) f32
//     tfjs_free(&w);
//
// Values: float32 weights come out as DTYPE_F32, int32 weights as DTYPE_I32. Quantized weights
// ("quantization": {"dtype": "uint8" | "uint16", "scale", "min"} or {"dtype": "float16"}) are
// dequantized the way tfjs-core's io decodeWeight does it: q * scale + min in double, rounded once to
// float32 (int32: rounded to the nearest integer); float16 is widened exactly.
#ifndef LS_TFJS_H
#define LS_TFJS_H

#include "runtime.h"

struct tfjs_tensor {
    const char *name; // as in the manifest, e.g. "MobilenetV1/Conv2d_1_depthwise/depthwise_weights"
    tensor t;         // host memory (backend NULL), contiguous, TensorFlow's shape order (HWIO for convs)
};

struct tfjs_weights {
    char label[128]; // the manifest's file name, for messages
    int n_tensors;
    struct tfjs_tensor *tensors;  // in manifest order
    struct tfjs_tensor **by_name; // sorted by name (tfjs_find)
    void *values;                 // every tensor's values, one allocation
    char *names;                  // every name, one allocation
};

// Reads the manifest at `manifest_path` and its shards (paths relative to the manifest's folder). Checks:
// known dtypes and quantizations, shapes (rank <= 5, no overflow), unique names, every shard present and
// readable, and that the weights use exactly the shards' bytes (each group's shards are concatenated,
// as TensorFlow.js does). On failure nothing is kept and a one-line message names the file and weight.
// The caller owns *w and frees it with tfjs_free.
ls_status tfjs_read(struct tfjs_weights *w, const char *manifest_path);
// The tensor named `name`, or NULL. Borrowed: valid until tfjs_free.
const tensor *tfjs_find(const struct tfjs_weights *w, const char *name);
void tfjs_free(struct tfjs_weights *w); // NULL and a zeroed struct are no-ops

// --- layouts (host f32 arrays) -------------------------------------------------------------------------
// Convolution filter (KH, KW, Ci, Co) -> (Co, Ci, KH, KW).
void tfjs_hwio_to_oihw(float *dst, const float *src, int64_t kh, int64_t kw, int64_t ci, int64_t co);
// Depthwise filter (KH, KW, C, M) -> (C*M, 1, KH, KW): output channel c*M + m reads input channel c.
void tfjs_depthwise_to_oihw(float *dst, const float *src, int64_t kh, int64_t kw, int64_t c, int64_t m);
// Matrix (rows, cols) -> (cols, rows): a tf.matMul weight (in, out) becomes op_linear's (out, in).
void tfjs_transpose(float *dst, const float *src, int64_t rows, int64_t cols);

#endif
