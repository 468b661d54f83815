/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "worker.h"

/*
 * The Worker as a state machine, driven only through its callbacks: items record where and
 * in which order run() and done() were called. A blocking item holds its worker (and the pool
 * thread running it) until the test releases it, so what is submitted to that worker
 * meanwhile queues up deterministically. Tests that need one order across workers shrink the
 * pool to one thread (worker_pool_set_limits()).
 */

#define MAX_ITEMS 1024
#define STACK_SIZE (1024u * 1024u)

typedef struct Fixture {
        sd_event *event;
        Completions *q;
        pthread_t loop_thread;
        int entered[2], release[2];

        pthread_mutex_t lock; /* guards ran[] and n_ran: written by workers */
        int ran[MAX_ITEMS];
        unsigned n_ran;

        int done[MAX_ITEMS]; /* loop only */
        unsigned n_done;
        int stolen[MAX_ITEMS];
        unsigned n_stolen;

        unsigned n_stopped;
} Fixture;

typedef struct Item {
        Fixture *f;
        int id;
        bool block;       /* run() waits for release_one() */
        bool resubmit;    /* on steal: queue again instead of dropping */
        bool check;       /* run() checks its thread's signal mask and stack */
        atomic_int *busy; /* the worker's items running now: never more than one */
        Worker *w;
        pthread_t run_thread;
        bool ran, done;
} Item;

/* A broken worker hangs rather than fails (a failed check leaves its thread blocked and
 * the teardown waiting for it): end the run instead of waiting for meson's timeout. */
static void on_alarm(int sig) {
        static const char msg[] = "test-worker: timed out, a callback never came\n";

        if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
                _exit(EXIT_FAILURE);
        _exit(EXIT_FAILURE);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_true(signal(SIGALRM, on_alarm) != SIG_ERR);
        alarm(20);
        assert_int_equal(pipe2(f->entered, O_CLOEXEC), 0);
        assert_int_equal(pipe2(f->release, O_CLOEXEC), 0);
        pthread_mutex_init(&f->lock, NULL);
        f->loop_thread = pthread_self();
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(completions_new(f->event, SD_EVENT_PRIORITY_IMPORTANT, &f->q), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        /* Every test stops its workers: nothing may be left to wait for. */
        assert_int_equal(completions_wait(f->q), -ECHILD);
        completions_free(f->q);
        sd_event_unref(f->event);
        pthread_mutex_destroy(&f->lock);
        for (unsigned i = 0; i < 2; i++) {
                close(f->entered[i]);
                close(f->release[i]);
        }
        free(f);
        alarm(0);
        return 0;
}

static void check_thread_context(void);

static void item_run(void *userdata) {
        Item *it = userdata;
        Fixture *f = it->f;
        char b = 0;

        if (it->busy) {
                assert_int_equal(atomic_fetch_add(it->busy, 1), 0);
                usleep(200);
        }
        if (it->check)
                check_thread_context();

        pthread_mutex_lock(&f->lock);
        assert_true(f->n_ran < MAX_ITEMS);
        f->ran[f->n_ran++] = it->id;
        it->run_thread = pthread_self();
        it->ran = true;
        pthread_mutex_unlock(&f->lock);

        if (it->block) {
                assert_int_equal(write(f->entered[1], &b, 1), 1);
                assert_int_equal(read(f->release[0], &b, 1), 1);
        }
        if (it->busy)
                assert_int_equal(atomic_fetch_sub(it->busy, 1), 1);
}

static void item_done(void *userdata) {
        Item *it = userdata;
        Fixture *f = it->f;

        assert_true(pthread_equal(pthread_self(), f->loop_thread));
        assert_false(pthread_equal(it->run_thread, f->loop_thread));
        assert_true(it->ran);
        assert_false(it->done);
        it->done = true;
        assert_true(f->n_done < MAX_ITEMS);
        f->done[f->n_done++] = it->id;
}

static void item_stolen(void *userdata, void *context) {
        Item *it = userdata;
        Fixture *f = context;

        assert_true(pthread_equal(pthread_self(), f->loop_thread));
        assert_false(it->ran);
        assert_false(it->done);
        f->stolen[f->n_stolen++] = it->id;
}

static void stop_done(void *userdata) {
        Fixture *f = userdata;

        assert_true(pthread_equal(pthread_self(), f->loop_thread));
        f->n_stopped++;
}

/* Wait until the blocking item the worker just took is inside run(). */
static void wait_entered(Fixture *f) {
        char b;

        assert_int_equal(read(f->entered[0], &b, 1), 1);
}

static void release_one(Fixture *f) {
        char b = 0;

        assert_int_equal(write(f->release[1], &b, 1), 1);
}

static void wait_done(Fixture *f, unsigned n_done) {
        while (f->n_done < n_done)
                assert_int_equal(completions_wait(f->q), 0);
}

static void stop_and_wait(Fixture *f, Worker *w) {
        unsigned n = f->n_stopped;

        assert_int_equal(worker_stop(w, NULL, stop_done, f), 0);
        while (f->n_stopped == n)
                assert_int_equal(completions_wait(f->q), 0);
}

static void assert_ids(const int *got, unsigned n_got, const int *want, unsigned n_want) {
        assert_int_equal(n_got, n_want);
        for (unsigned i = 0; i < n_want; i++)
                assert_int_equal(got[i], want[i]);
}

/* One worker's items run in order and one at a time, whichever pool threads run them. */
static void test_fifo_order_one_at_a_time(void **state) {
        Fixture *f = *state;
        atomic_int busy = 0;
        Item items[100];
        int want[100];
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        for (int i = 0; i < 100; i++) {
                items[i] = (Item) { .f = f, .id = i, .busy = &busy };
                want[i] = i;
                /* Plain and counted items share one queue. */
                if (i % 3 == 0)
                        assert_int_equal(worker_submit_counted(w, 100, item_run, item_done, &items[i]), 0);
                else
                        assert_int_equal(worker_submit(w, item_run, item_done, &items[i]), 0);
        }
        wait_done(f, 100);
        stop_and_wait(f, w);

        assert_ids(f->ran, f->n_ran, want, 100);
        assert_ids(f->done, f->n_done, want, 100);
        assert_int_equal(atomic_load(&busy), 0);
}

static void test_done_null_is_fine(void **state) {
        Fixture *f = *state;
        Item a = { .f = f, .id = 1 }, b = { .f = f, .id = 2 };
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit(w, item_run, NULL, &a), 0);
        assert_int_equal(worker_submit(w, item_run, item_done, &b), 0);
        wait_done(f, 1);
        stop_and_wait(f, w);
        assert_true(a.ran);
        assert_false(a.done);
        assert_int_equal(f->done[0], 2);
}

static void test_counted_limit(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, second = { .f = f, .id = 1, .block = true };
        Item items[4], plain = { .f = f, .id = 100 }, late[2];
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit_counted(w, 0, item_run, item_done, &blocker), -EBUSY);

        /* The running item does not count: with limit 3, three more fit behind it. */
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &blocker), 0);
        wait_entered(f);
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &second), 0);
        for (int i = 0; i < 2; i++) {
                items[i] = (Item) { .f = f, .id = 10 + i };
                assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &items[i]), 0);
        }
        items[2] = (Item) { .f = f, .id = 12 };
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &items[2]), -EBUSY);
        /* The limit is the caller's per submission, and plain work is never refused. */
        items[3] = (Item) { .f = f, .id = 13 };
        assert_int_equal(worker_submit_counted(w, 4, item_run, item_done, &items[3]), 0);
        assert_int_equal(worker_submit(w, item_run, item_done, &plain), 0);

        /* Once the next one started, one slot is free again, and only one. */
        assert_int_equal(worker_submit_counted(w, 4, item_run, item_done, &items[2]), -EBUSY);
        release_one(f);
        wait_entered(f);
        late[0] = (Item) { .f = f, .id = 20 };
        late[1] = (Item) { .f = f, .id = 21 };
        assert_int_equal(worker_submit_counted(w, 4, item_run, item_done, &late[0]), 0);
        assert_int_equal(worker_submit_counted(w, 4, item_run, item_done, &late[1]), -EBUSY);
        release_one(f);

        wait_done(f, 7);
        stop_and_wait(f, w);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 1, 10, 11, 13, 100, 20 }, 7);
        assert_false(items[2].ran);
        assert_false(late[1].ran);
}

static void test_steal_counted(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true };
        Item a = { .f = f, .id = 1 }, p = { .f = f, .id = 2 }, b = { .f = f, .id = 3 };
        Item c = { .f = f, .id = 4 }, q = { .f = f, .id = 5 }, again[3];
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &blocker), 0);
        wait_entered(f);
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &a), 0);
        assert_int_equal(worker_submit(w, item_run, item_done, &p), 0);
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &b), 0);
        assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &c), 0);
        assert_int_equal(worker_submit(w, item_run, item_done, &q), 0);

        /* Counted items not started come back in order; the running one and plain work stay. */
        worker_steal_counted(w, item_stolen, f);
        assert_ids(f->stolen, f->n_stolen, (const int[]) { 1, 3, 4 }, 3);
        worker_steal_counted(w, item_stolen, f);
        assert_int_equal(f->n_stolen, 3);

        /* The stolen ones no longer count against the limit. */
        for (int i = 0; i < 3; i++) {
                again[i] = (Item) { .f = f, .id = 10 + i };
                assert_int_equal(worker_submit_counted(w, 3, item_run, item_done, &again[i]), 0);
        }

        release_one(f);
        wait_done(f, 6);
        stop_and_wait(f, w);
        assert_ids(f->ran, f->n_ran, (const int[]) { 0, 2, 5, 10, 11, 12 }, 6);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 2, 5, 10, 11, 12 }, 6);
        assert_false(a.ran || b.ran || c.ran);
        assert_false(a.done || b.done || c.done);
}

/* The user's cancel of one queued call: steal all, free the cancelled, queue the rest again. */
static void cancel_one(void *userdata, void *context) {
        Item *it = userdata;

        if (!it->resubmit) {
                free(it); /* ASan reports it should run() or done() still touch it */
                return;
        }
        assert_int_equal(worker_submit_counted(it->w, 8, item_run, item_done, it), 0);
}

static void test_cancel_via_steal(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, *it, *kept[3];
        unsigned n_kept = 0;
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit_counted(w, 8, item_run, item_done, &blocker), 0);
        wait_entered(f);
        for (int i = 1; i <= 5; i++) {
                it = calloc(1, sizeof(*it));
                assert_non_null(it);
                *it = (Item) { .f = f, .id = i, .w = w, .resubmit = i != 2 && i != 4 };
                assert_int_equal(worker_submit_counted(w, 8, item_run, item_done, it), 0);
                if (it->resubmit)
                        kept[n_kept++] = it;
        }
        worker_steal_counted(w, cancel_one, f);

        /* Cancelling the running one is not possible: its done() still comes. */
        release_one(f);
        wait_done(f, 4);
        stop_and_wait(f, w);
        assert_ids(f->ran, f->n_ran, (const int[]) { 0, 1, 3, 5 }, 4);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 1, 3, 5 }, 4);
        for (unsigned i = 0; i < n_kept; i++)
                free(kept[i]);
}

typedef struct StopCheck {
        Fixture *f;
        Worker *w;
        Item *before;
        atomic_bool run_returned;
} StopCheck;

static void stop_run(void *userdata) {
        StopCheck *s = userdata;

        assert_false(pthread_equal(pthread_self(), s->f->loop_thread));
        /* The last item: everything queued before it has run. */
        assert_true(s->before->ran);
        /* Late on purpose: a done() not waiting for run() to return would come first. */
        usleep(100 * 1000);
        atomic_store(&s->run_returned, true);
}

static void stop_done_after_run(void *userdata) {
        StopCheck *s = userdata;
        Item never = { .f = s->f, .id = 99 };

        assert_true(pthread_equal(pthread_self(), s->f->loop_thread));
        assert_true(atomic_load(&s->run_returned));
        /* The Worker is still valid inside done(), but takes nothing more. */
        assert_int_equal(worker_submit(s->w, item_run, item_done, &never), -ESHUTDOWN);
        worker_steal_counted(s->w, item_stolen, s->f);
        assert_int_equal(s->f->n_stolen, 0);
        s->f->n_stopped++;
}

static void test_stop(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, a = { .f = f, .id = 1 }, never = { .f = f, .id = 2 };
        Item after = { .f = f, .id = 3 };
        StopCheck s = { .f = f, .before = &a };
        Worker *w, *other;

        assert_int_equal(worker_new(f->q, &w), 0);
        s.w = w;
        assert_int_equal(worker_submit(w, item_run, item_done, &blocker), 0);
        wait_entered(f);
        assert_int_equal(worker_submit_counted(w, 1, item_run, item_done, &a), 0);
        assert_int_equal(worker_stop(w, stop_run, stop_done_after_run, &s), 0);

        /* Nothing is queued behind the stop item. */
        assert_int_equal(worker_submit(w, item_run, item_done, &never), -ESHUTDOWN);
        assert_int_equal(worker_submit_counted(w, 1, item_run, item_done, &never), -ESHUTDOWN);
        assert_int_equal(worker_stop(w, NULL, NULL, NULL), -ESHUTDOWN);

        release_one(f);
        while (f->n_stopped == 0)
                assert_int_equal(completions_wait(f->q), 0);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 1 }, 2);
        assert_false(never.ran);

        /* Stopping a worker ends no thread: the pool serves the next worker as before. */
        assert_true(worker_pool_n_threads(f->q) >= 1);
        assert_int_equal(worker_new(f->q, &other), 0);
        assert_int_equal(worker_submit(other, item_run, item_done, &after), 0);
        wait_done(f, 3);
        stop_and_wait(f, other);
        assert_true(after.done);
}

static void test_stop_idle_worker(void **state) {
        Fixture *f = *state;
        Worker *w;

        /* Stopping needs no memory and no run()/done(). */
        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_stop(w, NULL, NULL, NULL), 0);
        assert_int_equal(completions_wait(f->q), 0);
}

static void check_thread_context(void) {
        pthread_attr_t attr;
        sigset_t mask;
        size_t size;

        /* Signals go to the loop's sources, never to a pool thread. */
        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
        for (int sig = 1; sig <= SIGSYS; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        assert_true(sigismember(&mask, sig) == 1);
        assert_true(sigismember(&mask, SIGRTMIN) == 1);

        assert_int_equal(pthread_getattr_np(pthread_self(), &attr), 0);
        assert_int_equal(pthread_attr_getstacksize(&attr, &size), 0);
        pthread_attr_destroy(&attr);
        assert_true(size >= STACK_SIZE && size < 2 * STACK_SIZE);
}

#define N_CONTEXT 4

/* Every pool thread, whether the loop started it (the first, or for work nobody was idle
 * for) or another pool thread did (growing under a backlog): the same mask and stack. */
static void test_thread_signals_and_stack(void **state) {
        Fixture *f = *state;
        Item items[N_CONTEXT];
        sigset_t before, after;
        Worker *w[N_CONTEXT];

        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
        for (int i = 0; i < N_CONTEXT; i++) {
                assert_int_equal(worker_new(f->q, &w[i]), 0);
                items[i] = (Item) { .f = f, .id = i, .block = true, .check = true };
                assert_int_equal(worker_submit(w[i], item_run, item_done, &items[i]), 0);
        }
        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
        /* The loop's own mask is left as it was. */
        for (int sig = 1; sig <= SIGSYS; sig++)
                assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));

        /* All blocked at once: each on its own thread. */
        for (int i = 0; i < N_CONTEXT; i++)
                wait_entered(f);
        for (int i = 0; i < N_CONTEXT; i++) {
                for (int k = 0; k < i; k++)
                        assert_false(pthread_equal(items[i].run_thread, items[k].run_thread));
                release_one(f);
        }
        wait_done(f, N_CONTEXT);
        for (int i = 0; i < N_CONTEXT; i++)
                stop_and_wait(f, w[i]);
        assert_int_equal(f->n_ran, N_CONTEXT);
}

static int on_pipe(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Fixture *f = userdata;
        char b;

        assert_int_equal(read(fd, &b, 1), 1);
        /* Records the order against done(): id -1 stands for this source. */
        f->done[f->n_done++] = -1;
        return 0;
}

static void poke_pipe(void *userdata) {
        Item *it = userdata;
        char b = 0;

        item_run(userdata);
        assert_int_equal(write(it->f->entered[1], &b, 1), 1);
}

/* With both pending, the one with the higher priority is dispatched first. */
static void run_priority(Fixture *f, int64_t priority, const int *want) {
        sd_event_source *s = NULL;
        Item a = { .f = f, .id = 1 }, b = { .f = f, .id = 2 };
        Completions *q;
        Worker *w;

        f->n_done = f->n_ran = 0;
        assert_int_equal(completions_new(f->event, priority, &q), 0);
        assert_int_equal(sd_event_add_io(f->event, &s, f->entered[0], EPOLLIN, on_pipe, f), 0);
        assert_int_equal(sd_event_source_set_priority(s, SD_EVENT_PRIORITY_NORMAL), 0);

        assert_int_equal(worker_new(q, &w), 0);
        assert_int_equal(worker_submit(w, item_run, item_done, &a), 0);
        /* b runs after a was posted, so once the pipe is readable a's completion is there. */
        assert_int_equal(worker_submit(w, poke_pipe, NULL, &b), 0);
        assert_int_equal(poll(&(struct pollfd) { .fd = f->entered[0], .events = POLLIN }, 1, 10000), 1);

        assert_true(sd_event_run(f->event, 0) > 0);
        assert_int_equal(f->n_done, 1);
        assert_int_equal(f->done[0], want[0]);
        while (f->n_done < 2)
                assert_true(sd_event_run(f->event, UINT64_MAX) > 0);
        assert_ids(f->done, f->n_done, want, 2);

        assert_int_equal(worker_stop(w, NULL, NULL, NULL), 0);
        while (completions_wait(q) == 0)
                ;
        completions_free(q);
        sd_event_source_unref(s);
}

static void test_done_through_event_loop_priority(void **state) {
        Fixture *f = *state;

        run_priority(f, SD_EVENT_PRIORITY_IMPORTANT, (const int[]) { 1, -1 });
        run_priority(f, SD_EVENT_PRIORITY_IDLE, (const int[]) { -1, 1 });
}

static void slow_run(void *userdata) {
        usleep(50 * 1000);
        item_run(userdata);
}

static void test_wait(void **state) {
        Fixture *f = *state;
        Item a = { .f = f, .id = 1 };
        Completions *q;
        Worker *w;

        /* No worker, nothing to wait for: an error instead of blocking forever. */
        assert_int_equal(completions_new(f->event, 0, &q), 0);
        assert_int_equal(completions_wait(q), -ECHILD);
        completions_free(q);

        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit(w, slow_run, item_done, &a), 0);
        assert_int_equal(completions_wait(f->q), 0);
        assert_true(a.done);

        /* The shutdown idiom: stop, then wait until no worker is left. */
        assert_int_equal(worker_stop(w, NULL, stop_done, f), 0);
        while (completions_wait(f->q) == 0)
                ;
        assert_int_equal(f->n_stopped, 1);
}

#define N_WORKERS 8
#define N_PER_WORKER 40

static void test_many_workers_share_completions(void **state) {
        Fixture *f = *state;
        static Item items[N_WORKERS][N_PER_WORKER];
        atomic_int busy[N_WORKERS] = {};
        Worker *w[N_WORKERS];
        int next[N_WORKERS] = {};
        pthread_t seen[N_WORKERS * N_PER_WORKER];
        unsigned n_seen = 0;

        for (int i = 0; i < N_WORKERS; i++)
                assert_int_equal(worker_new(f->q, &w[i]), 0);
        for (int j = 0; j < N_PER_WORKER; j++)
                for (int i = 0; i < N_WORKERS; i++) {
                        items[i][j] = (Item) { .f = f, .id = i * 1000 + j, .busy = &busy[i] };
                        assert_int_equal(worker_submit_counted(w[i], N_PER_WORKER, item_run, item_done,
                                                               &items[i][j]),
                                         0);
                }
        for (int i = 0; i < N_WORKERS; i++)
                assert_int_equal(worker_stop(w[i], NULL, stop_done, f), 0);
        while (completions_wait(f->q) == 0)
                ;

        assert_int_equal(f->n_stopped, N_WORKERS);
        assert_int_equal(f->n_done, N_WORKERS * N_PER_WORKER);
        /* Interleaved across workers, in order within each. */
        for (unsigned k = 0; k < f->n_done; k++) {
                int i = f->done[k] / 1000, j = f->done[k] % 1000;

                assert_int_equal(j, next[i]);
                next[i]++;
        }
        /* Never two of one worker's items at once (item_run() checks), and the threads are
         * the pool's: no more than its cap, however the items were spread over them. */
        for (int i = 0; i < N_WORKERS; i++)
                for (int j = 0; j < N_PER_WORKER; j++) {
                        unsigned k = 0;

                        while (k < n_seen && !pthread_equal(seen[k], items[i][j].run_thread))
                                k++;
                        if (k == n_seen)
                                seen[n_seen++] = items[i][j].run_thread;
                }
        assert_true(n_seen >= 1 && n_seen <= WORKER_POOL_MAX_THREADS);
        assert_true(worker_pool_n_threads(f->q) <= WORKER_POOL_MAX_THREADS);
}

/* --- The pool ------------------------------------------------------------------------ */

/* Threads of this process, as the kernel sees them. */
static unsigned count_tasks(void) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static unsigned count_run_threads(Item *items, unsigned n_items) {
        pthread_t *seen = calloc(n_items, sizeof(*seen));
        unsigned n_seen = 0;

        assert_non_null(seen);
        for (unsigned i = 0; i < n_items; i++) {
                unsigned k = 0;

                if (!items[i].ran)
                        continue;
                while (k < n_seen && !pthread_equal(seen[k], items[i].run_thread))
                        k++;
                if (k == n_seen)
                        seen[n_seen++] = items[i].run_thread;
        }
        free(seen);
        return n_seen;
}

static void stop_all(Fixture *f, Worker **w, unsigned n) {
        unsigned n_stopped = f->n_stopped;

        for (unsigned i = 0; i < n; i++)
                assert_int_equal(worker_stop(w[i], NULL, stop_done, f), 0);
        while (f->n_stopped < n_stopped + n)
                assert_int_equal(completions_wait(f->q), 0);
}

/* Nothing arrives on the entered pipe within `msec`: no further item has started. */
static bool nothing_entered(Fixture *f, int msec) {
        return poll(&(struct pollfd) { .fd = f->entered[0], .events = POLLIN }, 1, msec) == 0;
}

#define N_FAST 20

/* A device stuck in a long ioctl holds one thread; another device's work goes on. */
static void test_slow_worker_does_not_delay_another(void **state) {
        Fixture *f = *state;
        Item slow = { .f = f, .id = 0, .block = true }, behind = { .f = f, .id = 1 }, fast[N_FAST];
        Worker *s, *w;

        assert_int_equal(worker_new(f->q, &s), 0);
        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_submit_counted(s, 8, item_run, item_done, &slow), 0);
        assert_int_equal(worker_submit_counted(s, 8, item_run, item_done, &behind), 0);
        wait_entered(f);

        for (int i = 0; i < N_FAST; i++) {
                fast[i] = (Item) { .f = f, .id = 100 + i };
                assert_int_equal(worker_submit_counted(w, N_FAST, item_run, item_done, &fast[i]), 0);
        }
        wait_done(f, N_FAST);
        for (int i = 0; i < N_FAST; i++)
                assert_int_equal(f->done[i], 100 + i);
        /* The slow one is still in its run(), and what is queued behind it waits for it. */
        assert_false(slow.done);
        assert_false(behind.ran);

        release_one(f);
        wait_done(f, N_FAST + 2);
        assert_int_equal(f->done[N_FAST], 0);
        assert_int_equal(f->done[N_FAST + 1], 1);
        stop_and_wait(f, s);
        stop_and_wait(f, w);
}

/* One thread, two deep queues and a short one: one item of each in turn, not one queue
 * drained before the next gets a turn. */
static void test_round_robin(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, a[4], b[4], d = { .f = f, .id = 30 };
        Worker *w[4];

        worker_pool_set_limits(f->q, 1, 1, 30ull * 1000000ull);
        for (int i = 0; i < 4; i++)
                assert_int_equal(worker_new(f->q, &w[i]), 0);
        assert_int_equal(worker_submit(w[0], item_run, item_done, &blocker), 0);
        wait_entered(f);
        for (int i = 0; i < 4; i++) {
                a[i] = (Item) { .f = f, .id = 10 + i };
                assert_int_equal(worker_submit_counted(w[1], 8, item_run, item_done, &a[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                b[i] = (Item) { .f = f, .id = 20 + i };
                assert_int_equal(worker_submit_counted(w[2], 8, item_run, item_done, &b[i]), 0);
        }
        assert_int_equal(worker_submit(w[3], item_run, item_done, &d), 0);

        release_one(f);
        wait_done(f, 10);
        assert_ids(f->ran, f->n_ran, (const int[]) { 0, 10, 20, 30, 11, 21, 12, 22, 13, 23 }, 10);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 10, 20, 30, 11, 21, 12, 22, 13, 23 }, 10);
        assert_int_equal(count_run_threads(a, 4), 1);
        assert_true(pthread_equal(a[0].run_thread, blocker.run_thread));
        assert_int_equal(worker_pool_n_threads(f->q), 1);
        stop_all(f, w, 4);
}

/* Stealing every queued item of a worker waiting for a thread takes it out of the line:
 * the thread that comes free finds no empty worker, and the worker can be given work again. */
static void test_steal_from_waiting_worker(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, c[3], x = { .f = f, .id = 4 }, p = { .f = f, .id = 5 };
        Worker *w[2];

        worker_pool_set_limits(f->q, 1, 1, 30ull * 1000000ull);
        assert_int_equal(worker_new(f->q, &w[0]), 0);
        assert_int_equal(worker_new(f->q, &w[1]), 0);
        assert_int_equal(worker_submit(w[0], item_run, item_done, &blocker), 0);
        wait_entered(f);
        for (int i = 0; i < 3; i++) {
                c[i] = (Item) { .f = f, .id = 1 + i };
                assert_int_equal(worker_submit_counted(w[1], 8, item_run, item_done, &c[i]), 0);
        }
        worker_steal_counted(w[1], item_stolen, f);
        assert_ids(f->stolen, f->n_stolen, (const int[]) { 1, 2, 3 }, 3);
        /* Behind the blocker, so that the thread's next look at the line comes after it. */
        assert_int_equal(worker_submit(w[0], item_run, item_done, &x), 0);

        release_one(f);
        wait_done(f, 2);
        assert_int_equal(worker_submit(w[1], item_run, item_done, &p), 0);
        wait_done(f, 3);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 4, 5 }, 3);
        stop_all(f, w, 2);
}

#define N_OVER_CAP (WORKER_POOL_MAX_THREADS + 8)

/* Work waiting and nobody idle: the pool grows, one thread at a time, up to its cap and no
 * further; past the cap the rest waits for a thread to come free. */
static void test_pool_grows_within_cap(void **state) {
        Fixture *f = *state;
        static Item items[N_OVER_CAP];
        Worker *w[N_OVER_CAP];
        unsigned base = count_tasks();

        for (unsigned i = 0; i < N_OVER_CAP; i++) {
                assert_int_equal(worker_new(f->q, &w[i]), 0);
                items[i] = (Item) { .f = f, .id = (int) i, .block = true };
                assert_int_equal(worker_submit(w[i], item_run, item_done, &items[i]), 0);
        }
        for (unsigned i = 0; i < WORKER_POOL_MAX_THREADS; i++)
                wait_entered(f);
        assert_true(nothing_entered(f, 200));
        assert_int_equal(worker_pool_n_threads(f->q), WORKER_POOL_MAX_THREADS);
        assert_int_equal(count_tasks(), base + WORKER_POOL_MAX_THREADS);
        print_message("pool at its cap: %u threads, %u blocked items waiting\n", worker_pool_n_threads(f->q),
                      N_OVER_CAP - WORKER_POOL_MAX_THREADS);

        /* One comes free: exactly one waiting item starts on it. */
        release_one(f);
        wait_entered(f);
        assert_true(nothing_entered(f, 100));

        for (unsigned i = 1; i < N_OVER_CAP; i++) {
                if (i > 1 && i <= N_OVER_CAP - WORKER_POOL_MAX_THREADS)
                        wait_entered(f);
                release_one(f);
        }
        wait_done(f, N_OVER_CAP);
        assert_int_equal(count_run_threads(items, N_OVER_CAP), WORKER_POOL_MAX_THREADS);
        assert_int_equal(worker_pool_n_threads(f->q), WORKER_POOL_MAX_THREADS);
        stop_all(f, w, N_OVER_CAP);
}

#define N_IDLE_TEST 8
#define IDLE_TIMEOUT_USEC (100u * 1000u)

static bool pool_shrunk_to(Fixture *f, unsigned n, unsigned base) {
        /* Retired threads are joined on the loop: let it run. */
        for (int i = 0; i < 100; i++) {
                (void) sd_event_run(f->event, 50 * 1000);
                if (worker_pool_n_threads(f->q) == n && count_tasks() == base + n)
                        return true;
        }
        return false;
}

/* Threads above the floor end once idle for the timeout; the floor stays. */
static void test_idle_threads_exit(void **state) {
        Fixture *f = *state;
        Item items[N_IDLE_TEST], again[N_IDLE_TEST];
        Worker *w[N_IDLE_TEST];
        unsigned base = count_tasks();

        worker_pool_set_limits(f->q, 2, N_IDLE_TEST, IDLE_TIMEOUT_USEC);
        for (unsigned round = 0; round < 2; round++) {
                Item *it = round == 0 ? items : again;

                for (unsigned i = 0; i < N_IDLE_TEST; i++) {
                        if (round == 0)
                                assert_int_equal(worker_new(f->q, &w[i]), 0);
                        it[i] = (Item) { .f = f, .id = (int) i, .block = true };
                        assert_int_equal(worker_submit(w[i], item_run, item_done, &it[i]), 0);
                }
                for (unsigned i = 0; i < N_IDLE_TEST; i++)
                        wait_entered(f);
                assert_int_equal(worker_pool_n_threads(f->q), N_IDLE_TEST);
                assert_int_equal(count_tasks(), base + N_IDLE_TEST);
                for (unsigned i = 0; i < N_IDLE_TEST; i++)
                        release_one(f);
                wait_done(f, (round + 1) * N_IDLE_TEST);

                /* Back down to the floor, and the threads really gone (joined). */
                assert_true(pool_shrunk_to(f, 2, base));
                /* The floor stays however long it idles. */
                usleep(5 * IDLE_TIMEOUT_USEC);
                assert_true(pool_shrunk_to(f, 2, base));
        }
        stop_all(f, w, N_IDLE_TEST);
}

#define N_THOUSAND 1000

/* A host full of devices: a thousand workers, one item each, on a few threads. */
static void test_thousand_workers_few_threads(void **state) {
        Fixture *f = *state;
        static Item items[N_THOUSAND];
        static Worker *w[N_THOUSAND];
        unsigned base = count_tasks(), n_run, n_pool;

        for (unsigned i = 0; i < N_THOUSAND; i++) {
                assert_int_equal(worker_new(f->q, &w[i]), 0);
                items[i] = (Item) { .f = f, .id = (int) i };
                assert_int_equal(worker_submit(w[i], item_run, item_done, &items[i]), 0);
        }
        wait_done(f, N_THOUSAND);
        n_run = count_run_threads(items, N_THOUSAND);
        n_pool = worker_pool_n_threads(f->q);
        print_message("1000 workers, one item each: ran on %u threads, %u in the pool, %u tasks in the process\n",
                      n_run, n_pool, count_tasks());
        assert_true(n_run >= 1 && n_run <= WORKER_POOL_MAX_THREADS);
        assert_true(n_pool <= WORKER_POOL_MAX_THREADS);
        assert_int_equal(count_tasks(), base + n_pool);
        stop_all(f, w, N_THOUSAND);
        assert_int_equal(f->n_stopped, N_THOUSAND);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fifo_order_one_at_a_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_done_null_is_fine, setup, teardown),
                cmocka_unit_test_setup_teardown(test_counted_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_steal_counted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_via_steal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_idle_worker, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thread_signals_and_stack, setup, teardown),
                cmocka_unit_test_setup_teardown(test_done_through_event_loop_priority, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_workers_share_completions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_slow_worker_does_not_delay_another, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_robin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_steal_from_waiting_worker, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pool_grows_within_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_threads_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thousand_workers_few_threads, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
