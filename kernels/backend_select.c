// backend_select.c — picks a backend from a user-facing name: "cpu", "cuda" or "cuda:N".
#include <stdlib.h>
#include <string.h>

#include "backends.h"

ls_status backend_init_by_name(const char *name, int n_threads, struct backend **out) {
    *out = NULL;
    if (!strcmp(name, "cpu")) return backend_cpu_init(out, n_threads);
    if (!strncmp(name, "cuda", 4) && (name[4] == '\0' || name[4] == ':')) {
        int device = 0;
        if (name[4] == ':') {
            char *end;
            long d = strtol(name + 5, &end, 10);
            if (*end || end == name + 5 || d < 0 || d > 1023)
                return ls_fail(LS_ERR_USAGE, "device '%s': expected cuda:N with N a device index", name);
            device = (int)d;
        }
        return backend_cuda_init(out, device);
    }
    return ls_fail(LS_ERR_USAGE, "unknown device '%s' (expected cpu, cuda or cuda:N)", name);
}
