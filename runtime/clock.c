// clock.c — the monotonic clock every timing in the engine uses.
#include <time.h>

#include "runtime.h"

double time_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
