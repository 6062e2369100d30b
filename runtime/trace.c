// trace.c — Chrome/Perfetto trace events ("X" complete events, "C" counters) collected in memory and
// written as JSON by trace_stop. Open the file in ui.perfetto.dev or chrome://tracing.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define TRACE_NAME_BYTES 48
#define TRACE_MAX_DEPTH 64
#define TRACE_MAX_EVENTS (8u << 20) // hard bound so a long job cannot grow the trace without limit

struct trace_event {
    char name[TRACE_NAME_BYTES];
    const char *category; // static strings only
    double start_us, dur_us;
    int tid;
    char phase; // 'X' or 'C'
    double value;
};

int trace_on;

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct trace_event *events;
static size_t n_events, cap_events, n_dropped;
static char *trace_path;
static double t0_s;
static int next_tid;

static _Thread_local int thread_id = -1;
static _Thread_local size_t open_stack[TRACE_MAX_DEPTH];
static _Thread_local int open_depth;

static int my_tid(void) {
    if (thread_id < 0) {
        pthread_mutex_lock(&trace_lock);
        thread_id = next_tid++;
        pthread_mutex_unlock(&trace_lock);
    }
    return thread_id;
}

ls_status trace_start(const char *path) {
    FILE *f = fopen(path, "w"); // fail now rather than after a long job
    if (!f) return ls_fail(LS_ERR_IO, "%s: cannot create trace file: %s", path, strerror(errno));
    fclose(f);
    pthread_mutex_lock(&trace_lock);
    free(trace_path);
    trace_path = strdup(path);
    n_events = n_dropped = 0;
    t0_s = time_now_s();
    trace_on = 1;
    pthread_mutex_unlock(&trace_lock);
    return trace_path ? LS_OK : ls_fail(LS_ERR_OOM, "trace: out of memory");
}

static size_t push_event(void) { // with trace_lock held; returns index or SIZE_MAX
    if (n_events == cap_events) {
        size_t cap = cap_events ? cap_events * 2 : 4096;
        if (cap > TRACE_MAX_EVENTS) cap = TRACE_MAX_EVENTS;
        if (cap == cap_events) {
            n_dropped++;
            return SIZE_MAX;
        }
        struct trace_event *e = realloc(events, cap * sizeof *e);
        if (!e) {
            n_dropped++;
            return SIZE_MAX;
        }
        events = e;
        cap_events = cap;
    }
    return n_events++;
}

void trace_begin_impl(const char *name, const char *category) {
    int tid = my_tid();
    double now_us = (time_now_s() - t0_s) * 1e6;
    pthread_mutex_lock(&trace_lock);
    size_t i = push_event();
    if (i != SIZE_MAX) {
        struct trace_event *e = &events[i];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->category = category ? category : "op";
        e->start_us = now_us;
        e->dur_us = -1;
        e->tid = tid;
        e->phase = 'X';
    }
    pthread_mutex_unlock(&trace_lock);
    if (open_depth < TRACE_MAX_DEPTH) open_stack[open_depth] = i;
    open_depth++;
}

void trace_end_impl(void) {
    if (open_depth == 0) return;
    open_depth--;
    if (open_depth >= TRACE_MAX_DEPTH) return;
    size_t i = open_stack[open_depth];
    double now_us = (time_now_s() - t0_s) * 1e6;
    pthread_mutex_lock(&trace_lock);
    if (i != SIZE_MAX && i < n_events) events[i].dur_us = now_us - events[i].start_us;
    pthread_mutex_unlock(&trace_lock);
}

void trace_counter(const char *name, double value) {
    if (!trace_on) return;
    int tid = my_tid();
    double now_us = (time_now_s() - t0_s) * 1e6;
    pthread_mutex_lock(&trace_lock);
    size_t i = push_event();
    if (i != SIZE_MAX) {
        struct trace_event *e = &events[i];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->category = "counter";
        e->start_us = now_us;
        e->tid = tid;
        e->phase = 'C';
        e->value = value;
    }
    pthread_mutex_unlock(&trace_lock);
}

static void write_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

ls_status trace_stop(void) {
    pthread_mutex_lock(&trace_lock);
    if (!trace_on) {
        pthread_mutex_unlock(&trace_lock);
        return LS_OK;
    }
    trace_on = 0;
    ls_status st = LS_OK;
    FILE *f = fopen(trace_path, "w");
    if (!f) {
        st = ls_fail(LS_ERR_IO, "%s: cannot write trace: %s", trace_path, strerror(errno));
    } else {
        fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"latentsync\"}}");
        double end_us = (time_now_s() - t0_s) * 1e6;
        for (size_t i = 0; i < n_events; i++) {
            const struct trace_event *e = &events[i];
            fprintf(f, ",\n{\"name\":");
            write_json_string(f, e->name);
            if (e->phase == 'C') {
                fprintf(f, ",\"ph\":\"C\",\"ts\":%.3f,\"pid\":1,\"tid\":%d,\"args\":{\"value\":%.6g}}", e->start_us,
                        e->tid, e->value);
            } else {
                double dur = e->dur_us >= 0 ? e->dur_us : end_us - e->start_us; // unclosed: until now
                fprintf(f, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%d}", e->category,
                        e->start_us, dur, e->tid);
            }
        }
        fprintf(f, "\n]}\n");
        if (fclose(f) != 0) st = ls_fail(LS_ERR_IO, "%s: cannot write trace: %s", trace_path, strerror(errno));
        if (n_dropped) log_msg(LOG_WARN, "trace: %zu events dropped (limit %u)", n_dropped, TRACE_MAX_EVENTS);
    }
    free(events);
    events = NULL;
    n_events = cap_events = 0;
    free(trace_path);
    trace_path = NULL;
    pthread_mutex_unlock(&trace_lock);
    return st;
}
