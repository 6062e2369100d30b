// av_log.h — keep libav from printing (its messages go to our log at debug level).
#ifndef LS_AV_LOG_H
#define LS_AV_LOG_H

#include "runtime.h"

void av_log_quiet(void); // idempotent, thread-safe

#endif
