/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "worker.h"

/*
 * The worker's queue as a state machine, without a kernel: a fake plugin's marshal hook
 * holds the worker thread inside the first call until the test releases it, so the calls
 * submitted meanwhile queue up deterministically.
 */

typedef struct Fixture {
        Manager *m;
        Device *d;
} Fixture;

static int entered[2] = { -1, -1 }, release[2] = { -1, -1 };

static int blocking_marshal(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        char b = 0;

        assert_int_equal(write(entered[1], &b, 1), 1);
        assert_int_equal(read(release[0], &b, 1), 1);
        *ret_reason = strdup("released by the test");
        return -EINVAL;
}

static int fake_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        return 0;
}

static int fake_info(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        return -EINVAL;
}

static const fwctld_plugin fake_desc = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "fake",
        .fallback = true,
        .info_to_json = fake_info,
        .classify = fake_classify,
        .marshal = blocking_marshal,
};

static const Plugin fake_plugin = { .desc = &fake_desc };

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(pipe2(entered, O_CLOEXEC), 0);
        assert_int_equal(pipe2(release, O_CLOEXEC), 0);

        assert_int_equal(manager_new("/nonexistent", &f->m), 0);
        f->m->completion_fd = eventfd(0, EFD_CLOEXEC);
        assert_true(f->m->completion_fd >= 0);
        assert_int_equal(device_new(f->m, "/sys/devices/virtual/fwctl/fwctl0", "fwctl0", "/dev/fwctl/fwctl0",
                                    NULL, NULL, NULL, &f->d),
                         0);
        f->d->plugin = &fake_plugin;
        f->d->state = DEVICE_READY;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        device_unref(f->d);
        manager_free(f->m);
        for (unsigned i = 0; i < 2; i++) {
                close(entered[i]);
                close(release[i]);
        }
        free(f);
        return 0;
}

/* Next finished job, waiting for the worker's eventfd when none is there yet. */
static Job *next_completion(Manager *m) {
        for (;;) {
                struct pollfd p = { .fd = m->completion_fd, .events = POLLIN };
                uint64_t n;
                Job *j;

                pthread_mutex_lock(&m->completion_lock);
                j = m->completions_head;
                if (j) {
                        m->completions_head = j->next;
                        if (!m->completions_head)
                                m->completions_tail = NULL;
                }
                pthread_mutex_unlock(&m->completion_lock);
                if (j)
                        return j;
                assert_true(poll(&p, 1, 10000) == 1);
                assert_int_equal(read(m->completion_fd, &n, sizeof(n)), (ssize_t) sizeof(n));
        }
}

static Call *new_call(Fixture *f) {
        Call *c = NULL;

        assert_int_equal(call_new(f->m, f->d, CALL_RPC, NULL, &c), 0);
        return c;
}

static void test_queue_order_limit_steal_and_stop(void **state) {
        Fixture *f = *state;
        Call *blocker, *calls[3];
        Job *j, *stolen;
        unsigned n;
        char b = 0;

        assert_int_equal(worker_start(f->m, f->d, &f->d->worker), 0);

        /* The first call holds the worker inside the plugin: everything after it waits. */
        blocker = new_call(f);
        assert_int_equal(job_new(JOB_CALL, f->d, blocker, &j), 0);
        assert_int_equal(worker_submit(f->d->worker, j), 0);
        assert_int_equal(read(entered[0], &b, 1), 1);

        for (unsigned i = 0; i < 3; i++) {
                calls[i] = new_call(f);
                assert_int_equal(job_new(JOB_CALL, f->d, calls[i], &j), 0);
                assert_int_equal(worker_submit(f->d->worker, j), 0);
        }

        /* The queue holds at most FWCTLD_MAX_CALLS_PER_DEVICE calls. */
        for (n = 3; n < FWCTLD_MAX_CALLS_PER_DEVICE; n++) {
                Call *c = new_call(f);

                assert_int_equal(job_new(JOB_CALL, f->d, c, &j), 0);
                assert_int_equal(worker_submit(f->d->worker, j), 0);
        }
        {
                Call *c = new_call(f);

                assert_int_equal(job_new(JOB_CALL, f->d, c, &j), 0);
                assert_int_equal(worker_submit(f->d->worker, j), -EBUSY);
                job_free(j);
                call_free(c);
        }

        /* Stealing takes every queued call, in order; the running one is not queued. */
        stolen = worker_steal_queued_calls(f->d->worker);
        n = 0;
        for (Job *s = stolen, *next; s; s = next, n++) {
                next = s->next;
                assert_int_equal(s->type, JOB_CALL);
                assert_ptr_not_equal(s->call, blocker);
                if (n < 3)
                        assert_ptr_equal(s->call, calls[n]);
                call_free(s->call);
                job_free(s);
        }
        assert_int_equal(n, FWCTLD_MAX_CALLS_PER_DEVICE);
        assert_null(worker_steal_queued_calls(f->d->worker));

        /* Room again after the steal; a call whose caller left is skipped when its turn comes. */
        calls[0] = new_call(f);
        atomic_store(&calls[0]->cancelled, true);
        assert_int_equal(job_new(JOB_CALL, f->d, calls[0], &j), 0);
        assert_int_equal(worker_submit(f->d->worker, j), 0);
        assert_int_equal(job_new(JOB_STOP, f->d, NULL, &j), 0);
        assert_int_equal(worker_submit(f->d->worker, j), 0);

        assert_int_equal(write(release[1], &b, 1), 1);

        j = next_completion(f->m);
        assert_int_equal(j->type, JOB_CALL);
        assert_ptr_equal(j->call, blocker);
        assert_int_equal(blocker->error, -EINVAL);
        assert_true(blocker->error_from_plugin);
        assert_string_equal(blocker->error_reason, "released by the test");
        call_free(blocker);
        job_free(j);

        j = next_completion(f->m);
        assert_int_equal(j->type, JOB_CALL);
        assert_ptr_equal(j->call, calls[0]);
        assert_int_equal(calls[0]->error, -ECANCELED);
        assert_int_equal(calls[0]->n_ioctls, 0);
        call_free(calls[0]);
        job_free(j);

        /* Stop comes last and ends the thread. */
        j = next_completion(f->m);
        assert_int_equal(j->type, JOB_STOP);
        assert_true(f->d->fd < 0);
        job_free(j);
        worker_join_and_free(f->d->worker);
        f->d->worker = NULL;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_queue_order_limit_steal_and_stop, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
