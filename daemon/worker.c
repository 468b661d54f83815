/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

#include "log.h"
#include "util.h"
#include "worker.h"

/* Plugins keep their buffers on the heap; 1 MiB leaves room for libc and json-c. */
#define WORKER_STACK_SIZE (1024u * 1024u)

typedef struct WorkItem WorkItem;

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
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        WorkList queue;      /* under lock */
        unsigned n_counted;  /* counted items in queue, under lock */
        WorkItem *stop_item; /* allocated up front so that stopping cannot fail; loop only */
};

struct Completions {
        int fd;
        sd_event_source *source;
        pthread_mutex_t lock;
        WorkList finished;  /* under lock */
        unsigned n_workers; /* created and not yet joined; loop only */
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

/* --- Completions: the loop side ----------------------------------------------------- */

static void worker_free(Worker *w) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w->stop_item);
        free(w);
}

/* The stop item's completion: the thread has ended or is about to, so joining is brief. */
static void worker_finish(WorkItem *i) {
        Worker *w = i->worker;
        Completions *q = w->completions;
        int r;

        r = pthread_join(w->thread, NULL);
        if (r != 0)
                log_error_errno(r, "Failed to join worker thread, ignoring: %m");
        if (i->done)
                i->done(i->userdata);
        worker_free(w);
        q->n_workers--;
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
        if (!q)
                return NULL;

        /* A live worker would post into freed memory. Once all have stopped, the list is
         * empty: each worker's stop item came after its other items. */
        assert(q->n_workers == 0);
        assert(!q->finished.head);

        sd_event_source_unref(q->source);
        safe_close(q->fd);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Completions *, completions_free);

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
                /* A wakeup can be left over from items an earlier dispatch already took. */
                if (completions_dispatch(q) > 0)
                        return 0;
        }
}

/* --- The worker thread ---------------------------------------------------------------- */

static WorkItem *worker_pop(Worker *w) {
        WorkItem *i;

        pthread_mutex_lock(&w->lock);
        while (!w->queue.head)
                pthread_cond_wait(&w->cond, &w->lock);
        i = w->queue.head;
        w->queue.head = i->next;
        if (!w->queue.head)
                w->queue.tail = NULL;
        /* Started: no longer counted against the limit, no longer stealable. */
        if (i->counted)
                w->n_counted--;
        pthread_mutex_unlock(&w->lock);

        i->next = NULL;
        return i;
}

static void completions_post(Completions *q, WorkItem *i) {
        uint64_t one = 1;

        pthread_mutex_lock(&q->lock);
        work_list_append(&q->finished, i);
        pthread_mutex_unlock(&q->lock);

        /* Only fails when the counter would overflow, and then the loop is awake anyway. */
        if (write(q->fd, &one, sizeof(one)) < 0)
                log_debug_errno(errno, "Failed to wake the loop for a completion, ignoring: %m");
}

static void *worker_thread(void *userdata) {
        Worker *w = userdata;
        Completions *q = w->completions;

        for (;;) {
                WorkItem *i = worker_pop(w);
                bool stop = i->stop;

                if (i->run)
                        i->run(i->userdata);

                /* After this the loop owns i and may free it. w stays valid until the loop
                 * joined this thread, q until every worker was joined. */
                completions_post(q, i);
                if (stop)
                        return NULL;
        }
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
        pthread_attr_t attr;
        sigset_t all, old;
        Worker *w;
        int r;

        assert(q);
        assert(ret);

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->completions = q;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->stop_item = work_item_new(w, NULL, NULL, NULL);
        if (!w->stop_item) {
                worker_free(w);
                return -ENOMEM;
        }
        w->stop_item->stop = true;

        /* Up to 4096 devices may each have a worker: keep their stacks small. */
        r = -pthread_attr_init(&attr);
        if (r < 0) {
                worker_free(w);
                return r;
        }
        (void) pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);

        /* Signals belong to the loop's signalfd/sd-event sources, never to workers. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&w->thread, &attr, worker_thread, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                worker_free(w);
                return r;
        }

        q->n_workers++;
        *ret = w;
        return 0;
}

static int worker_queue(Worker *w, WorkItem *i, unsigned limit) {
        pthread_mutex_lock(&w->lock);
        if (i->counted) {
                if (w->n_counted >= limit) {
                        pthread_mutex_unlock(&w->lock);
                        return -EBUSY;
                }
                w->n_counted++;
        }
        work_list_append(&w->queue, i);
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
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
        WorkList keep = {}, stolen = {};

        assert(w);
        assert(each);

        pthread_mutex_lock(&w->lock);
        for (WorkItem *i = work_list_take_all(&w->queue), *next; i; i = next) {
                next = i->next;
                work_list_append(i->counted ? &stolen : &keep, i);
        }
        w->queue = keep;
        w->n_counted = 0;
        pthread_mutex_unlock(&w->lock);

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

        /* From here on the loop owns the item through the thread; worker_free() must not. */
        i = TAKE_PTR(w->stop_item);
        i->run = run;
        i->done = done;
        i->userdata = userdata;
        return worker_queue(w, i, 0);
}
