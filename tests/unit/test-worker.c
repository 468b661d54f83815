/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
 * in which order run() and done() were called. A blocking item holds the worker thread
 * until the test releases it, so what is submitted meanwhile queues up deterministically.
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
        atomic_bool thread_exited;
} Fixture;

typedef struct Item {
        Fixture *f;
        int id;
        bool block;    /* run() waits for release_one() */
        bool resubmit; /* on steal: queue again instead of dropping */
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

static void item_run(void *userdata) {
        Item *it = userdata;
        Fixture *f = it->f;
        char b = 0;

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

static void test_fifo_order_one_thread(void **state) {
        Fixture *f = *state;
        Item items[100];
        int want[100];
        Worker *w;

        assert_int_equal(worker_new(f->q, &w), 0);
        for (int i = 0; i < 100; i++) {
                items[i] = (Item) { .f = f, .id = i };
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
        for (int i = 1; i < 100; i++)
                assert_true(pthread_equal(items[i].run_thread, items[0].run_thread));
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

static void on_thread_exit(void *p) {
        /* Late on purpose: a done() not waiting for the join would run before this. */
        usleep(100 * 1000);
        atomic_store((atomic_bool *) p, true);
}

static pthread_key_t exit_key;

typedef struct StopCheck {
        Fixture *f;
        Worker *w;
} StopCheck;

static void stop_run(void *userdata) {
        StopCheck *s = userdata;

        assert_false(pthread_equal(pthread_self(), s->f->loop_thread));
        assert_int_equal(pthread_setspecific(exit_key, &s->f->thread_exited), 0);
}

static void stop_done_after_join(void *userdata) {
        StopCheck *s = userdata;
        Item never = { .f = s->f, .id = 99 };

        assert_true(pthread_equal(pthread_self(), s->f->loop_thread));
        assert_true(atomic_load(&s->f->thread_exited));
        /* The Worker is still valid inside done(), but takes nothing more. */
        assert_int_equal(worker_submit(s->w, item_run, item_done, &never), -ESHUTDOWN);
        worker_steal_counted(s->w, item_stolen, s->f);
        assert_int_equal(s->f->n_stolen, 0);
        s->f->n_stopped++;
}

static void test_stop(void **state) {
        Fixture *f = *state;
        Item blocker = { .f = f, .id = 0, .block = true }, a = { .f = f, .id = 1 }, never = { .f = f, .id = 2 };
        StopCheck s = { .f = f };
        Worker *w;

        assert_int_equal(pthread_key_create(&exit_key, on_thread_exit), 0);
        assert_int_equal(worker_new(f->q, &w), 0);
        s.w = w;
        assert_int_equal(worker_submit(w, item_run, item_done, &blocker), 0);
        wait_entered(f);
        assert_int_equal(worker_submit_counted(w, 1, item_run, item_done, &a), 0);
        assert_int_equal(worker_stop(w, stop_run, stop_done_after_join, &s), 0);

        /* Nothing is queued behind the stop item. */
        assert_int_equal(worker_submit(w, item_run, item_done, &never), -ESHUTDOWN);
        assert_int_equal(worker_submit_counted(w, 1, item_run, item_done, &never), -ESHUTDOWN);
        assert_int_equal(worker_stop(w, NULL, NULL, NULL), -ESHUTDOWN);

        release_one(f);
        while (f->n_stopped == 0)
                assert_int_equal(completions_wait(f->q), 0);
        assert_ids(f->done, f->n_done, (const int[]) { 0, 1 }, 2);
        assert_false(never.ran);
        assert_int_equal(pthread_key_delete(exit_key), 0);
}

static void test_stop_idle_worker(void **state) {
        Fixture *f = *state;
        Worker *w;

        /* Stopping needs no memory and no run()/done(). */
        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(worker_stop(w, NULL, NULL, NULL), 0);
        assert_int_equal(completions_wait(f->q), 0);
}

static void check_run_context(void *userdata) {
        Fixture *f = userdata;
        pthread_attr_t attr;
        sigset_t mask;
        size_t size;

        /* Signals go to the loop's sources, never to a worker. */
        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
        for (int sig = 1; sig <= SIGSYS; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        assert_true(sigismember(&mask, sig) == 1);
        assert_true(sigismember(&mask, SIGRTMIN) == 1);

        assert_int_equal(pthread_getattr_np(pthread_self(), &attr), 0);
        assert_int_equal(pthread_attr_getstacksize(&attr, &size), 0);
        pthread_attr_destroy(&attr);
        assert_true(size >= STACK_SIZE && size < 2 * STACK_SIZE);

        pthread_mutex_lock(&f->lock);
        f->n_ran++;
        pthread_mutex_unlock(&f->lock);
}

static void test_thread_signals_and_stack(void **state) {
        Fixture *f = *state;
        sigset_t before, after;
        Worker *w;

        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
        assert_int_equal(worker_new(f->q, &w), 0);
        assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
        /* The loop's own mask is left as it was. */
        for (int sig = 1; sig <= SIGSYS; sig++)
                assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));

        assert_int_equal(worker_submit(w, check_run_context, NULL, f), 0);
        stop_and_wait(f, w);
        assert_int_equal(f->n_ran, 1);
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
        Worker *w[N_WORKERS];
        int next[N_WORKERS] = {};

        for (int i = 0; i < N_WORKERS; i++)
                assert_int_equal(worker_new(f->q, &w[i]), 0);
        for (int j = 0; j < N_PER_WORKER; j++)
                for (int i = 0; i < N_WORKERS; i++) {
                        items[i][j] = (Item) { .f = f, .id = i * 1000 + j };
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
        /* One thread per worker, each its own. */
        for (int i = 0; i < N_WORKERS; i++) {
                for (int j = 1; j < N_PER_WORKER; j++)
                        assert_true(pthread_equal(items[i][j].run_thread, items[i][0].run_thread));
                for (int k = 0; k < i; k++)
                        assert_false(pthread_equal(items[i][0].run_thread, items[k][0].run_thread));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fifo_order_one_thread, setup, teardown),
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
