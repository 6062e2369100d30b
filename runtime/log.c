// log.c — leveled logging to stderr, replaceable by a callback (libraries never print to stdout).
#include <stdarg.h>
#include <stdio.h>

#include "runtime.h"

static log_level min_level = LOG_INFO;
static log_callback user_callback;
static void *user_data;

void log_set_level(log_level level) { min_level = level; }

void log_set_callback(log_callback cb, void *user) {
    user_callback = cb;
    user_data = user;
}

void log_msg(log_level level, const char *fmt, ...) {
    if (level < min_level) return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (user_callback) {
        user_callback(level, message, user_data);
        return;
    }
    static const char *const prefix[] = {"debug: ", "", "warning: ", "error: "};
    fprintf(stderr, "%s%s\n", prefix[level], message);
}
