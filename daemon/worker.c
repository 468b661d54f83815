/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "worker.h"

/* Plugins keep their buffers on the heap; 1 MiB leaves room for libc and json-c. */
#define WORKER_STACK_SIZE (1024u * 1024u)

/* The pool's floor: threads kept however long they are idle (started only as work needs
 * them, so a daemon with one device and one caller keeps one). One per CPU this process may
 * use, at least 2 and at most 16: enough to serve steady traffic without starting and ending
 * threads every 30 s, without a many-core host keeping a hundred idle ones. */
#define POOL_MIN_THREADS_LOW 2u
#define POOL_MIN_THREADS_HIGH 16u
/* A thread above the floor ends after this long without work. */
#define POOL_IDLE_TIMEOUT_USEC (30ull * 1000000ull)

typedef struct WorkItem WorkItem;
typedef struct PoolThread PoolThread;

struct WorkItem {
        WorkerRunFunc run;
        WorkerDoneFunc done;
        void *userdata;
        Worker *worker;
        bool counted;
        bool stop;
        WorkItem *next;
};

/* A singly linked FIFO; the owner's mutex guards it. */
typedef struct WorkList {
        WorkItem *head, *tail;
} WorkList;

struct Worker {
        Completions *completions;
        /* All under the pool lock. */
        WorkList queue;
        unsigned n_counted; /* counted items in queue */
        bool running;       /* a pool thread has taken an item and not released the worker */
        bool runnable;      /* in the pool's runnable list: has work, not running */
        Worker *runnable_prev, *runnable_next;
        WorkItem *stop_item; /* allocated up front so that stopping cannot fail; loop only */
};

/* One pool thread. Freed on the loop once joined. */
struct PoolThread {
        Completions *completions;
        pthread_t thread;      /* set before the thread can take the pool lock */
        pthread_cond_t wake;   /* its idle wait; signalled under the pool lock */
        bool woken;            /* taken off the idle stack: work came, or shutdown */
        PoolThread *next;      /* in threads or exited */
        PoolThread *idle_next; /* in idle */
};

struct Completions {
        int fd;
        sd_event_source *source;
        pthread_mutex_t lock;
        WorkList finished;  /* under lock */
        unsigned n_workers; /* created and not yet finished; loop only */

        /* The pool, all under pool_lock (never held together with lock). */
        pthread_mutex_t pool_lock;
        Worker *runnable_head, *runnable_tail; /* FIFO of workers with work, none running */
        PoolThread *threads;                   /* alive */
        PoolThread *exited;                    /* ended for being idle, to be joined on the loop */
        PoolThread *idle;                      /* waiting for work, most recently idle first */
        unsigned n_threads;                    /* in threads */
        bool starting;                         /* a thread was created and has not begun yet */
        bool shutdown;
        unsigned min_threads, max_threads;
        uint64_t idle_timeout_usec;
};

static void work_list_append(WorkList *l, WorkItem *i) {
        i->next = NULL;
        if (l->tail)
                l->tail->next = i;
        else
                l->head = i;
        l->tail = i;
}

static WorkItem *work_list_take_all(WorkList *l) {
        WorkItem *i = l->head;

        l->head = l->tail = NULL;
        return i;
}

static WorkItem *work_list_pop(WorkList *l) {
        WorkItem *i = l->head;

        if (!i)
                return NULL;
        l->head = i->next;
        if (!l->head)
                l->tail = NULL;
        i->next = NULL;
        return i;
}

/* --- The pool: runnable workers and threads, all under pool_lock ------------------------- */

static void runnable_push(Completions *q, Worker *w) {
        assert(!w->runnable && !w->running && w->queue.head);

        w->runnable = true;
        w->runnable_next = NULL;
        w->runnable_prev = q->runnable_tail;
        if (q->runnable_tail)
                q->runnable_tail->runnable_next = w;
        else
                q->runnable_head = w;
        q->runnable_tail = w;
}

static void runnable_remove(Completions *q, Worker *w) {
        assert(w->runnable);

        if (w->runnable_prev)
                w->runnable_prev->runnable_next = w->runnable_next;
        else
                q->runnable_head = w->runnable_next;
        if (w->runnable_next)
                w->runnable_next->runnable_prev = w->runnable_prev;
        else
                q->runnable_tail = w->runnable_prev;
        w->runnable_prev = w->runnable_next = NULL;
        w->runnable = false;
}

static void pool_thread_free(PoolThread *t) {
        pthread_cond_destroy(&t->wake);
        free(t);
}

/* Join and free a list of threads that have ended or are about to (called without the pool
 * lock: the loop, or completions_free()). */
static void pool_join(PoolThread *list) {
        for (PoolThread *t = list, *next; t; t = next) {
                int r;

                next = t->next;
                r = pthread_join(t->thread, NULL);
                if (r != 0)
                        log_error_errno(r, "Failed to join worker thread, ignoring: %m");
                pool_thread_free(t);
        }
}

static void *pool_thread(void *userdata);

/* Start one more thread. Called with the pool lock held, so the new thread (which takes the
 * lock first thing) sees itself fully registered. */
static int pool_spawn(Completions *q) {
        _cleanup_(freep) PoolThread *t = NULL;
        pthread_condattr_t cattr;
        pthread_attr_t attr;
        sigset_t all, old;
        int r;

        assert(!q->shutdown);

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->completions = q;
        r = -pthread_condattr_init(&cattr);
        if (r < 0)
                return r;
        (void) pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
        r = -pthread_cond_init(&t->wake, &cattr);
        pthread_condattr_destroy(&cattr);
        if (r < 0)
                return r;

        r = -pthread_attr_init(&attr);
        if (r < 0) {
                pthread_cond_destroy(&t->wake);
                return r;
        }
        /* Many threads may exist under load: keep their stacks small. */
        (void) pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);

        /* Signals belong to the loop's signalfd/sd-event sources, never to pool threads. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&t->thread, &attr, pool_thread, t);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                pthread_cond_destroy(&t->wake);
                return r;
        }

        t->next = q->threads;
        q->threads = TAKE_PTR(t);
        q->n_threads++;
        q->starting = true;
        return 0;
}

/* A worker just became runnable, or is still waiting behind the one a thread took: hand it
 * to an idle thread, else grow by one thread (one start at a time; each new thread checks
 * again when it takes work, so a backlog grows the pool quickly but never past the cap). */
static int pool_wake_or_grow(Completions *q) {
        PoolThread *t = q->idle;

        if (t) {
                q->idle = t->idle_next;
                t->idle_next = NULL;
                t->woken = true;
                pthread_cond_signal(&t->wake);
                return 0;
        }
        if (q->starting || q->shutdown || q->n_threads >= q->max_threads)
                return 0;
        return pool_spawn(q);
}

static void pool_idle_remove(Completions *q, PoolThread *t) {
        for (PoolThread **p = &q->idle; *p; p = &(*p)->idle_next)
                if (*p == t) {
                        *p = t->idle_next;
                        t->idle_next = NULL;
                        return;
                }
}

static void pool_threads_remove(Completions *q, PoolThread *t) {
        for (PoolThread **p = &q->threads; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        t->next = NULL;
                        return;
                }
}

static struct timespec deadline_after(uint64_t usec) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t) (usec / 1000000u);
        ts.tv_nsec += (long) (usec % 1000000u) * 1000;
        if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
        }
        return ts;
}

/* Wait on the idle stack until woken (true) or retired for being idle above the floor
 * (false: t is on the exited list and the thread must end). */
static bool pool_idle_wait(Completions *q, PoolThread *t) {
        struct timespec deadline = deadline_after(q->idle_timeout_usec);

        t->woken = false;
        t->idle_next = q->idle;
        q->idle = t;

        while (!t->woken) {
                int r = pthread_cond_timedwait(&t->wake, &q->pool_lock, &deadline);

                if (t->woken || r != ETIMEDOUT)
                        continue;
                if (q->n_threads <= q->min_threads) {
                        deadline = deadline_after(q->idle_timeout_usec);
                        continue;
                }
                pool_idle_remove(q, t);
                pool_threads_remove(q, t);
                t->next = q->exited;
                q->exited = t;
                q->n_threads--;
                return false;
        }
        return true;
}

/* --- Completions: the loop side ----------------------------------------------------- */

static void worker_free(Worker *w) {
        free(w->stop_item);
        free(w);
}

/* The stop item's completion: no pool thread will look at the worker again. */
static void worker_finish(WorkItem *i) {
        Worker *w = i->worker;
        Completions *q = w->completions;

        if (i->done)
                i->done(i->userdata);
        worker_free(w);
        q->n_workers--;
}

/* Join the threads that ended for being idle: each woke the loop when it did. */
static void pool_reap(Completions *q) {
        PoolThread *list;

        pthread_mutex_lock(&q->pool_lock);
        list = TAKE_PTR(q->exited);
        pthread_mutex_unlock(&q->pool_lock);
        pool_join(list);
}

/* Calls done() for everything finished so far, in order; returns how many there were. */
static unsigned completions_dispatch(Completions *q) {
        WorkItem *list;
        unsigned n = 0;
        uint64_t counter;

        /* Reset the eventfd before taking the list: an item posted meanwhile then either is in
         * the list or leaves the counter set, never neither. */
        if (read(q->fd, &counter, sizeof(counter)) < 0 && errno != EAGAIN)
                log_debug_errno(errno, "Failed to read completion eventfd, ignoring: %m");

        pool_reap(q);

        pthread_mutex_lock(&q->lock);
        list = work_list_take_all(&q->finished);
        pthread_mutex_unlock(&q->lock);

        /* Only what was there: a busy worker cannot keep the loop here forever. */
        for (WorkItem *i = list, *next; i; i = next, n++) {
                next = i->next;
                if (i->stop)
                        worker_finish(i);
                else if (i->done)
                        i->done(i->userdata);
                free(i);
        }
        return n;
}

static int on_completions(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) completions_dispatch(userdata);
        return 0;
}

Completions *completions_free(Completions *q) {
        PoolThread *threads, *exited;

        if (!q)
                return NULL;

        /* A live worker would post into freed memory. Once all have stopped, the list is
         * empty: each worker's stop item came after its other items. */
        assert(q->n_workers == 0);
        assert(!q->finished.head);

        /* From here no thread starts, retires or takes work: each ends as soon as it sees
         * shutdown, and both lists stay as they are. */
        pthread_mutex_lock(&q->pool_lock);
        assert(!q->runnable_head);
        q->shutdown = true;
        for (PoolThread *t = TAKE_PTR(q->idle), *next; t; t = next) {
                next = t->idle_next;
                t->idle_next = NULL;
                t->woken = true;
                pthread_cond_signal(&t->wake);
        }
        threads = TAKE_PTR(q->threads);
        exited = TAKE_PTR(q->exited);
        q->n_threads = 0;
        pthread_mutex_unlock(&q->pool_lock);
        pool_join(threads);
        pool_join(exited);

        sd_event_source_unref(q->source);
        safe_close(q->fd);
        pthread_mutex_destroy(&q->lock);
        pthread_mutex_destroy(&q->pool_lock);
        free(q);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Completions *, completions_free);

static unsigned pool_default_min_threads(void) {
        cpu_set_t set;
        long n = -1;

        /* The CPUs this process may run on (cgroup cpusets, affinity), else all online. */
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                n = CPU_COUNT(&set);
        if (n <= 0)
                n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < (long) POOL_MIN_THREADS_LOW)
                return POOL_MIN_THREADS_LOW;
        return MIN((unsigned long) n, POOL_MIN_THREADS_HIGH);
}

int completions_new(sd_event *e, int64_t priority, Completions **ret) {
        _cleanup_(completions_freep) Completions *q = NULL;
        int r;

        assert(e);
        assert(ret);

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->fd = -EBADF;
        pthread_mutex_init(&q->lock, NULL);
        pthread_mutex_init(&q->pool_lock, NULL);
        q->min_threads = pool_default_min_threads();
        q->max_threads = WORKER_POOL_MAX_THREADS;
        q->idle_timeout_usec = POOL_IDLE_TIMEOUT_USEC;

        q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->fd < 0)
                return -errno;

        r = sd_event_add_io(e, &q->source, q->fd, EPOLLIN, on_completions, q);
        if (r < 0)
                return r;
        r = sd_event_source_set_priority(q->source, priority);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(q->source, "worker-completions");

        *ret = TAKE_PTR(q);
        return 0;
}

int completions_wait(Completions *q) {
        assert(q);

        for (;;) {
                struct pollfd p = { .fd = q->fd, .events = POLLIN };

                /* Nobody left to post: waiting would never end. */
                if (q->n_workers == 0)
                        return -ECHILD;

                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                /* A wakeup can be left over from items an earlier dispatch already took, or
                 * come from a thread that ended. */
                if (completions_dispatch(q) > 0)
                        return 0;
        }
}

unsigned worker_pool_n_threads(Completions *q) {
        unsigned n;

        assert(q);

        pthread_mutex_lock(&q->pool_lock);
        n = q->n_threads;
        pthread_mutex_unlock(&q->pool_lock);
        return n;
}

void worker_pool_set_limits(Completions *q, unsigned min_threads, unsigned max_threads, uint64_t idle_timeout_usec) {
        assert(q);
        assert(min_threads >= 1);
        assert(min_threads <= max_threads);
        assert(max_threads <= WORKER_POOL_MAX_THREADS);

        pthread_mutex_lock(&q->pool_lock);
        q->min_threads = min_threads;
        q->max_threads = max_threads;
        q->idle_timeout_usec = idle_timeout_usec;
        pthread_mutex_unlock(&q->pool_lock);
}

/* --- The pool threads ------------------------------------------------------------------ */

static void completions_wake(Completions *q) {
        uint64_t one = 1;

        /* Only fails when the counter would overflow, and then the loop is awake anyway. */
        if (write(q->fd, &one, sizeof(one)) < 0)
                log_debug_errno(errno, "Failed to wake the loop for a completion, ignoring: %m");
}

static void completions_post(Completions *q, WorkItem *i) {
        pthread_mutex_lock(&q->lock);
        work_list_append(&q->finished, i);
        pthread_mutex_unlock(&q->lock);
        completions_wake(q);
}

/* Take the first runnable worker and its next item; the worker is then running, so no
 * other thread takes its items until this one releases it. *ret_grow is set when another
 * thread should have been started for what still waits and could not be. */
static WorkItem *pool_take(Completions *q, int *ret_grow) {
        Worker *w = q->runnable_head;
        WorkItem *i;

        *ret_grow = 0;
        if (!w)
                return NULL;
        runnable_remove(q, w);
        i = work_list_pop(&w->queue);
        assert(i);
        /* Started: no longer counted against the limit, no longer stealable. */
        if (i->counted)
                w->n_counted--;
        w->running = true;

        /* More waiting behind it: another thread should come for it. */
        if (q->runnable_head)
                *ret_grow = pool_wake_or_grow(q);
        return i;
}

static void *pool_thread(void *userdata) {
        PoolThread *t = userdata;
        Completions *q = t->completions;

        pthread_mutex_lock(&q->pool_lock);
        q->starting = false;
        for (;;) {
                int grow;
                WorkItem *i = pool_take(q, &grow);
                unsigned n_threads = q->n_threads;
                Worker *w;
                bool stop;

                if (!i) {
                        if (q->shutdown)
                                break;
                        if (!pool_idle_wait(q, t)) {
                                /* Retired: the loop joins this thread once woken. */
                                pthread_mutex_unlock(&q->pool_lock);
                                completions_wake(q);
                                return NULL;
                        }
                        continue;
                }
                pthread_mutex_unlock(&q->pool_lock);
                if (grow < 0)
                        log_warning_errno(grow,
                                          "Failed to start a worker thread (%u running), continuing with those: %m",
                                          n_threads);

                w = i->worker;
                stop = i->stop;
                if (i->run)
                        i->run(i->userdata);

                /* After this the loop owns i and may free it. Posting while the worker is
                 * still ours keeps its done() calls in order. After the stop item nothing
                 * touches w: the loop frees it once done() returned. */
                completions_post(q, i);

                pthread_mutex_lock(&q->pool_lock);
                if (!stop) {
                        w->running = false;
                        /* Round robin: to the end of the line; this thread takes the head. */
                        if (w->queue.head)
                                runnable_push(q, w);
                }
        }
        pthread_mutex_unlock(&q->pool_lock);
        return NULL;
}

/* --- Workers: the loop side ---------------------------------------------------------- */

static WorkItem *work_item_new(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata) {
        WorkItem *i = calloc(1, sizeof(*i));

        if (!i)
                return NULL;
        *i = (WorkItem) {
                .run = run,
                .done = done,
                .userdata = userdata,
                .worker = w,
        };
        return i;
}

int worker_new(Completions *q, Worker **ret) {
        Worker *w;
        int r = 0;

        assert(q);
        assert(ret);

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->completions = q;
        w->stop_item = work_item_new(w, NULL, NULL, NULL);
        if (!w->stop_item) {
                worker_free(w);
                return -ENOMEM;
        }
        w->stop_item->stop = true;

        /* The first thread starts with the first worker. Threads up to the floor never end,
         * so from here on there is always one to run what is queued. */
        pthread_mutex_lock(&q->pool_lock);
        if (q->n_threads == 0)
                r = pool_spawn(q);
        pthread_mutex_unlock(&q->pool_lock);
        if (r < 0) {
                worker_free(w);
                return r;
        }

        q->n_workers++;
        *ret = w;
        return 0;
}

static int worker_queue(Worker *w, WorkItem *i, unsigned limit) {
        Completions *q = w->completions;
        unsigned n_threads = 0;
        int r = 0;

        pthread_mutex_lock(&q->pool_lock);
        if (i->counted) {
                if (w->n_counted >= limit) {
                        pthread_mutex_unlock(&q->pool_lock);
                        return -EBUSY;
                }
                w->n_counted++;
        }
        work_list_append(&w->queue, i);
        if (!w->running && !w->runnable) {
                runnable_push(q, w);
                r = pool_wake_or_grow(q);
                n_threads = q->n_threads;
        }
        pthread_mutex_unlock(&q->pool_lock);

        /* Queued all the same: a thread already running takes it when it comes free. */
        if (r < 0)
                log_warning_errno(r, "Failed to start a worker thread (%u running), continuing with those: %m",
                                  n_threads);
        return 0;
}

static int worker_submit_full(Worker *w, bool counted, unsigned limit, WorkerRunFunc run, WorkerDoneFunc done,
                              void *userdata) {
        _cleanup_(freep) WorkItem *i = NULL;
        int r;

        assert(w);
        assert(run);

        /* Nothing after the stop item would ever run. */
        if (!w->stop_item)
                return -ESHUTDOWN;

        i = work_item_new(w, run, done, userdata);
        if (!i)
                return -ENOMEM;
        i->counted = counted;

        r = worker_queue(w, i, limit);
        if (r < 0)
                return r;
        TAKE_PTR(i);
        return 0;
}

int worker_submit(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata) {
        return worker_submit_full(w, false, 0, run, done, userdata);
}

int worker_submit_counted(Worker *w, unsigned limit, WorkerRunFunc run, WorkerDoneFunc done, void *userdata) {
        return worker_submit_full(w, true, limit, run, done, userdata);
}

void worker_steal_counted(Worker *w, void (*each)(void *userdata, void *context), void *context) {
        Completions *q;
        WorkList keep = {}, stolen = {};

        assert(w);
        assert(each);

        q = w->completions;
        pthread_mutex_lock(&q->pool_lock);
        for (WorkItem *i = work_list_take_all(&w->queue), *next; i; i = next) {
                next = i->next;
                work_list_append(i->counted ? &stolen : &keep, i);
        }
        w->queue = keep;
        w->n_counted = 0;
        /* Nothing left to run: out of the line, so no thread comes for it. */
        if (!w->queue.head && w->runnable)
                runnable_remove(q, w);
        pthread_mutex_unlock(&q->pool_lock);

        /* Outside the lock: each() may submit to this very worker again. */
        for (WorkItem *i = stolen.head, *next; i; i = next) {
                next = i->next;
                each(i->userdata, context);
                free(i);
        }
}

int worker_stop(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata) {
        WorkItem *i;

        assert(w);

        if (!w->stop_item)
                return -ESHUTDOWN;

        /* From here on the loop owns the item through the pool; worker_free() must not. */
        i = TAKE_PTR(w->stop_item);
        i->run = run;
        i->done = done;
        i->userdata = userdata;
        return worker_queue(w, i, 0);
}
