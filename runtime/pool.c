// pool.c — a small fork-join thread pool: pool_run hands out task indices from an atomic counter to the
// workers and the calling thread; workers sleep on a condition variable between jobs (no spinning, so a
// BLAS call made from inside a task never competes with idle workers).
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"

struct pool {
    int n_threads; // including the caller
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t generation; // bumped per job
    int n_busy;          // workers still inside the current job
    bool quit;
    // current job
    pool_task_fn fn;
    void *arg;
    int64_t n_tasks;
    atomic_llong next_task;
};

struct worker_start {
    pool *p;
    int thread;
};

int cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void run_tasks(pool *p, int thread) {
    for (;;) {
        int64_t t = atomic_fetch_add(&p->next_task, 1);
        if (t >= p->n_tasks) break;
        p->fn(p->arg, t, thread);
    }
}

static void *worker_main(void *arg) {
    struct worker_start *ws = arg;
    pool *p = ws->p;
    int thread = ws->thread;
    free(ws);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p, thread);
        pthread_mutex_lock(&p->lock);
        if (--p->n_busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ls_status pool_init(pool **out, int n_threads) {
    *out = NULL;
    if (n_threads <= 0) n_threads = cpu_count();
    if (n_threads > 1024) return ls_fail(LS_ERR_USAGE, "thread count %d is absurd (at most 1024)", n_threads);
    pool *p = calloc(1, sizeof *p);
    if (!p) return ls_fail(LS_ERR_OOM, "thread pool: out of memory");
    p->n_threads = n_threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->workers = calloc((size_t)n_threads, sizeof *p->workers);
    if (!p->workers) {
        pool_free(p);
        return ls_fail(LS_ERR_OOM, "thread pool: out of memory");
    }
    for (int i = 1; i < n_threads; i++) {
        struct worker_start *ws = malloc(sizeof *ws);
        if (ws) *ws = (struct worker_start){.p = p, .thread = i};
        if (!ws || pthread_create(&p->workers[i], NULL, worker_main, ws)) {
            free(ws);
            p->n_threads = i; // join only the ones that started
            pool_free(p);
            return ls_fail(LS_ERR_OOM, "thread pool: cannot start thread %d", i);
        }
    }
    *out = p;
    return LS_OK;
}

void pool_free(pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->n_threads; i++) pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->workers);
    free(p);
}

int pool_size(const pool *p) { return p ? p->n_threads : 1; }

void pool_run(pool *p, int64_t n_tasks, pool_task_fn fn, void *arg) {
    if (n_tasks <= 0) return;
    if (!p || p->n_threads == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(arg, t, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    p->n_busy = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_tasks(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->n_busy > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
