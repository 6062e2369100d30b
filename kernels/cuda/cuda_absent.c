// cuda_absent.c — the CUDA entry points of a build configured without CUDA (-Dcuda=disabled or no nvcc):
// they report that the backend is not built, so `--device cuda` fails with a clear message.
#include "backends.h"

ls_status backend_cuda_init(struct backend **out, int device) {
    (void)device;
    *out = NULL;
    return ls_fail(LS_ERR_UNSUPPORTED, "cuda: this build has no CUDA backend (rebuild with -Dcuda=enabled)");
}

int backend_cuda_device_count(void) { return 0; }

bool backend_cuda_built(void) { return false; }
