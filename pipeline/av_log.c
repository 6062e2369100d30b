// av_log.c — routes libav's own console messages into our log (debug level), since library code must not
// print: libav logs through a process-wide callback, installed once.
#include <libavutil/log.h>
#include <pthread.h>
#include <stdio.h>

#include "av_log.h"

static void forward(void *avcl, int level, const char *fmt, va_list vl) {
    (void)avcl;
    if (level > AV_LOG_WARNING) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, vl);
    for (char *p = line; *p; p++)
        if (*p == '\n') *p = ' ';
    log_msg(LOG_DEBUG, "libav: %s", line);
}

static void install(void) { av_log_set_callback(forward); }

void av_log_quiet(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}
