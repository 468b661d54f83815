/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <signal.h>

#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "worker.h"

/* Plugins keep their buffers on the heap; 1 MiB leaves room for libc and json-c. */
#define WORKER_STACK_SIZE (1024u * 1024u)

struct Worker {
        Manager *manager;
        Device *device;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        Job *head, *tail;
        unsigned n_calls;
};

int job_new(JobType type, Device *d, Call *c, Job **ret) {
        Job *j = calloc(1, sizeof(*j));

        if (!j)
                return -ENOMEM;
        j->type = type;
        j->device = device_ref(d);
        j->call = c;
        *ret = j;
        return 0;
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        device_unref(j->device);
        free(j);
        return NULL;
}

static Job *worker_pop(Worker *w) {
        Job *j;

        pthread_mutex_lock(&w->lock);
        while (!w->head)
                pthread_cond_wait(&w->cond, &w->lock);
        j = w->head;
        w->head = j->next;
        if (!w->head)
                w->tail = NULL;
        if (j->type == JOB_CALL)
                w->n_calls--;
        j->next = NULL;
        pthread_mutex_unlock(&w->lock);
        return j;
}

static void *worker_thread(void *userdata) {
        Worker *w = userdata;

        for (;;) {
                Job *j = worker_pop(w);
                JobType type = j->type;

                switch (type) {
                case JOB_PROBE:
                        j->result = device_probe(j->device);
                        break;
                case JOB_CALL:
                        call_run(j->call);
                        j->result = 0;
                        break;
                case JOB_STOP:
                        device_shutdown(j->device);
                        j->result = 0;
                        break;
                }

                /* After this the loop owns j and may free it: do not touch it again. */
                manager_post_completion(w->manager, j);
                if (type == JOB_STOP)
                        return NULL;
        }
}

int worker_start(Manager *m, Device *d, Worker **ret) {
        pthread_attr_t attr;
        Worker *w;
        sigset_t all, old;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->device = d;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);

        /* Up to 4096 devices may each have a worker: keep their stacks small. */
        pthread_attr_init(&attr);
        (void) pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);

        /* Signals belong to the loop's signalfd/sd-event sources, never to workers. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&w->thread, &attr, worker_thread, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                pthread_mutex_destroy(&w->lock);
                pthread_cond_destroy(&w->cond);
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

int worker_submit(Worker *w, Job *j) {
        pthread_mutex_lock(&w->lock);
        if (j->type == JOB_CALL) {
                if (w->n_calls >= FWCTLD_MAX_CALLS_PER_DEVICE) {
                        pthread_mutex_unlock(&w->lock);
                        return -EBUSY;
                }
                w->n_calls++;
        }
        if (w->tail)
                w->tail->next = j;
        else
                w->head = j;
        w->tail = j;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}

Job *worker_steal_queued_calls(Worker *w) {
        Job *stolen = NULL, **stolen_tail = &stolen, *keep = NULL, **keep_tail = &keep;

        pthread_mutex_lock(&w->lock);
        for (Job *j = w->head, *next; j; j = next) {
                next = j->next;
                j->next = NULL;
                if (j->type == JOB_CALL) {
                        *stolen_tail = j;
                        stolen_tail = &j->next;
                        w->n_calls--;
                } else {
                        *keep_tail = j;
                        keep_tail = &j->next;
                }
        }
        w->head = keep;
        w->tail = NULL;
        for (Job *j = keep; j; j = j->next)
                w->tail = j;
        pthread_mutex_unlock(&w->lock);
        return stolen;
}

void worker_join_and_free(Worker *w) {
        if (!w)
                return;
        (void) pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
}
