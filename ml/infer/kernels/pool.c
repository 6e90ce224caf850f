/* The kernels' own thread pool: parallel loops without OpenMP.
 *
 * A decode step runs about 150 short parallel loops, each a few dozen microseconds. Under
 * OpenMP every thread that starts loops gets a team of its own, so once the scheduler's decode
 * thread and the main thread have both run one, libgomp counts more threads than cores and
 * stops spinning between loops: each loop then waits for a sleeping worker to wake, which cost
 * a quarter of a SmolLM2 step. Here one pool serves every caller. Workers spin briefly after a
 * loop (the next one is microseconds away within a step) and then sleep on a condition
 * variable (so an idle worker burns no CPU between steps). Iterations are handed out in chunks
 * from an atomic counter, so a worker that is preempted by another process delays only the
 * chunk it holds, not a fixed share of the loop. A worker takes part in a loop only if it
 * joins before the caller has run out of chunks: the caller then closes the loop and waits for
 * the workers that joined, never for one that the scheduler left off the CPU between loops (on
 * a 2-core machine shared with other work, waiting for every worker to check in once per loop
 * made two-thread decode several times slower than one thread). While it waits, the caller
 * spins briefly and then sleeps, so its core is free for a preempted worker to be moved onto. Callers take turns (a mutex);
 * results never depend on which thread ran which chunk.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "sg.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_WORKERS = 63, ACTIVE_BITS = 8 };
/* How long an idle worker keeps spinning before it sleeps: longer than the gap between two
 * loops of a step, far shorter than the gap between steps. */
static const int64_t SPIN_NS = 200 * 1000;
/* How long the caller spins for joined workers before it sleeps: several times a chunk of a
 * decode step, so it sleeps only when a worker has lost its core. */
static const int64_t CALLER_SPIN_NS = 50 * 1000;
/* `entrants`: bit 63 once the caller closed the loop, bits 32.. the workers that may take
 * part (1..active), the low 32 bits how many joined. */
static const uint64_t CLOSED = 1ull << 63;

typedef struct {
    pthread_mutex_t callers;  /* one parallel loop at a time */
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    pthread_cond_t finished;  /* a joined worker is done (the caller may be asleep on it) */
    /* Bumped once per loop: the loop's number above ACTIVE_BITS, below them how many workers
     * (1..active) take part, so a worker left out never reads the loop's other fields. */
    atomic_uint_fast64_t generation;
    atomic_int sleepers;
    atomic_int_fast64_t next;  /* next unclaimed iteration */
    atomic_uint_fast64_t entrants;
    atomic_int done;           /* joined workers that have finished */
    atomic_int caller_asleep;
    int workers;               /* started */
    int64_t count, chunk;
    sg_task_fn fn;
    void *ctx;
} Pool;

static Pool pool = {.callers = PTHREAD_MUTEX_INITIALIZER, .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
                    .wake = PTHREAD_COND_INITIALIZER, .finished = PTHREAD_COND_INITIALIZER};
/* The generation each worker was started in: it must take part in the very next loop, even if
 * the thread gets going only after that loop has been announced. */
static uint64_t started_in[MAX_WORKERS + 1];

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_chunks(int thread) {
    for (;;) {
        const int64_t begin = atomic_fetch_add(&pool.next, pool.chunk);
        if (begin >= pool.count) return;
        const int64_t end = begin + pool.chunk < pool.count ? begin + pool.chunk : pool.count;
        pool.fn(pool.ctx, begin, end, thread);
    }
}

/* Wait until the generation moves past `seen`: spin, then sleep. */
static uint64_t await_loop(uint64_t seen) {
    const int64_t deadline = now_ns() + SPIN_NS;
    for (int i = 0;; i++) {
        uint64_t current = atomic_load(&pool.generation);
        if (current != seen) return current;
        CPU_RELAX();
        if ((i & 255) == 255 && now_ns() > deadline) break;
    }
    pthread_mutex_lock(&pool.sleep_lock);
    atomic_fetch_add(&pool.sleepers, 1);
    uint64_t current;
    while ((current = atomic_load(&pool.generation)) == seen)
        pthread_cond_wait(&pool.wake, &pool.sleep_lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.sleep_lock);
    return current;
}

static void *worker_main(void *arg) {
    const int index = (int)(intptr_t)arg;  /* 1..workers; the caller is thread 0 */
    uint64_t seen = started_in[index];
    for (;;) {
        seen = await_loop(seen);
        if (index > (int)(seen & ((1u << ACTIVE_BITS) - 1))) continue;
        /* Join whichever loop is open now (a later one than `seen` if this thread was slow,
         * whose fields are set before it opens); a closed loop goes on without this thread. */
        const uint64_t entry = atomic_fetch_add(&pool.entrants, 1);
        if (entry & CLOSED) continue;
        if (index <= (int)((entry >> 32) & 0xffff)) run_chunks(index);
        atomic_fetch_add(&pool.done, 1);
        if (atomic_load(&pool.caller_asleep)) {
            pthread_mutex_lock(&pool.sleep_lock);
            pthread_cond_signal(&pool.finished);
            pthread_mutex_unlock(&pool.sleep_lock);
        }
    }
    return NULL;
}

/* The caller's wait for the `joined` workers: spin, then sleep until the last one signals. */
static void await_joined(int joined) {
    const int64_t deadline = now_ns() + CALLER_SPIN_NS;
    for (int i = 0; atomic_load(&pool.done) < joined; i++) {
        CPU_RELAX();
        if ((i & 255) != 255 || now_ns() < deadline) continue;
        pthread_mutex_lock(&pool.sleep_lock);
        atomic_store(&pool.caller_asleep, 1);  /* before the check: a worker done after it signals */
        while (atomic_load(&pool.done) < joined) pthread_cond_wait(&pool.finished, &pool.sleep_lock);
        atomic_store(&pool.caller_asleep, 0);
        pthread_mutex_unlock(&pool.sleep_lock);
        return;
    }
}

/* A forked child has none of the parent's threads: start over with an empty pool. */
static void reset_after_fork(void) {
    pthread_mutex_init(&pool.callers, NULL);
    pthread_mutex_init(&pool.sleep_lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.finished, NULL);
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.caller_asleep, 0);
    pool.workers = 0;
}

static int start_workers(int wanted) {
    while (pool.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started_in[pool.workers + 1] = atomic_load(&pool.generation);
        int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)(pool.workers + 1));
        pthread_attr_destroy(&attr);
        if (failed) break;
        pool.workers++;
    }
    return pool.workers;
}

void sg_parallel_for(int64_t count, int64_t chunk, int n_threads, sg_task_fn fn, void *ctx) {
    if (count <= 0) return;
    if (chunk < 1) chunk = 1;
    if (n_threads > MAX_WORKERS + 1) n_threads = MAX_WORKERS + 1;
    if (n_threads <= 1 || count <= chunk) {
        fn(ctx, 0, count, 0);
        return;
    }
    pthread_mutex_lock(&pool.callers);
    static int fork_handler = 0;
    if (!fork_handler) fork_handler = pthread_atfork(NULL, NULL, reset_after_fork) == 0;
    const int started = start_workers(n_threads - 1);
    const int active = started < n_threads - 1 ? started : n_threads - 1;
    pool.count = count;
    pool.chunk = chunk;
    pool.fn = fn;
    pool.ctx = ctx;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.done, 0);
    /* Opens the loop to workers, with the fields above set (a late worker may join it). */
    atomic_store(&pool.entrants, (uint64_t)active << 32);
    /* Wakes the workers; only this caller (holding `callers`) writes it. */
    const uint64_t loop = (atomic_load(&pool.generation) >> ACTIVE_BITS) + 1;
    atomic_store(&pool.generation, loop << ACTIVE_BITS | (uint64_t)active);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.sleep_lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.sleep_lock);
    }
    run_chunks(0);
    /* Every chunk is claimed: close the loop and wait only for the workers inside it. */
    const uint64_t entry = atomic_fetch_or(&pool.entrants, CLOSED);
    await_joined((int)(entry & 0xffffffff));
    pthread_mutex_unlock(&pool.callers);
}
