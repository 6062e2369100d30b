// status.c — thread-local error messages: ls_fail sets one, ls_fail_context prefixes context to it.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define ERROR_MESSAGE_BYTES 1024

static _Thread_local char error_message[ERROR_MESSAGE_BYTES];

ls_status ls_fail(ls_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return status;
}

ls_status ls_fail_context(ls_status status, const char *fmt, ...) {
    char prefix[ERROR_MESSAGE_BYTES];
    char old[ERROR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_message, sizeof old);
    size_t n_prefix = strnlen(prefix, sizeof error_message - 1);
    size_t n_old = strnlen(old, sizeof error_message - 1 - n_prefix);
    memcpy(error_message, prefix, n_prefix);
    memcpy(error_message + n_prefix, old, n_old);
    error_message[n_prefix + n_old] = '\0';
    return status;
}

const char *ls_error(void) { return error_message; }

void ls_error_clear(void) { error_message[0] = '\0'; }

const char *ls_status_name(ls_status status) {
    switch (status) {
    case LS_OK: return "ok";
    case LS_ERR_INPUT: return "input error";
    case LS_ERR_SHAPE: return "shape error";
    case LS_ERR_DTYPE: return "dtype error";
    case LS_ERR_IO: return "i/o error";
    case LS_ERR_OOM: return "out of memory";
    case LS_ERR_UNSUPPORTED: return "unsupported";
    case LS_ERR_DEVICE: return "device error";
    case LS_ERR_USAGE: return "usage error";
    }
    return "unknown status";
}

_Noreturn void ls_assert_fail(const char *expr, const char *file, int line) {
    log_msg(LOG_ERROR, "internal error: assertion '%s' failed at %s:%d", expr, file, line);
    abort();
}
