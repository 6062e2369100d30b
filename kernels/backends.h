// backends.h — creating the compute backends. Each returns a backend owned by the caller, freed with
// backend_free (runtime.h).
//
//     struct backend *be;
//     LS_TRY(backend_init_by_name("cpu", 0, &be));   // or "cuda", "cuda:1"
//     ...
//     backend_free(be);
#ifndef LS_BACKENDS_H
#define LS_BACKENDS_H

#include "runtime.h"

// CPU backend: OpenBLAS-free blocked GEMM kernels, AVX-512/AVX2 through vector extensions, a thread pool of
// n_threads (<= 0: all cores).
ls_status backend_cpu_init(struct backend **out, int n_threads);
int backend_cpu_threads(const struct backend *be);

// CUDA backend on device `device`. LS_ERR_UNSUPPORTED when built without CUDA; LS_ERR_DEVICE when no
// usable GPU is present (message names the reason).
ls_status backend_cuda_init(struct backend **out, int device);
// Number of CUDA devices usable (0 without a GPU or without CUDA support); never fails.
int backend_cuda_device_count(void);
bool backend_cuda_built(void);

// "cpu", "cuda" or "cuda:N". n_threads applies to the CPU backend.
ls_status backend_init_by_name(const char *name, int n_threads, struct backend **out);

#endif
