/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/*
 * Blocking work off the event loop. A Worker is one thread that runs what it is given in
 * order; when an item has run, its done() is called back on the loop through the
 * Completions queue the worker was created with. Workers know nothing of what they run.
 *
 * Everything here is called on the loop thread; only run() is called on a worker thread.
 * Between submit and done() (or steal) the userdata belongs to the worker: the loop must
 * not free it, and must not change what run() reads without its own lock.
 */

typedef struct Worker Worker;
typedef struct Completions Completions;

typedef void (*WorkerRunFunc)(void *userdata);  /* on the worker thread */
typedef void (*WorkerDoneFunc)(void *userdata); /* on the loop, after run() */

/* The loop side: an eventfd source on e at the given priority. Many workers may share one:
 * done() calls come in the order the items finished. */
int completions_new(sd_event *e, int64_t priority, Completions **ret);
/* Every worker created with it must have stopped (its stop item's done() ran) first. */
Completions *completions_free(Completions *q);
/* Block until at least one completion arrived and dispatch what is there (shutdown);
 * -ECHILD at once when no worker is left that could post one. */
int completions_wait(Completions *q);

int worker_new(Completions *q, Worker **ret);

/* Plain work: always queued (-ESHUTDOWN after worker_stop()). run is required, done may be
 * NULL. */
int worker_submit(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata);
/* Counted work (calls): -EBUSY when `limit` counted items are already queued and not yet
 * started; the one running does not count, so at most limit + 1 are in flight. */
int worker_submit_counted(Worker *w, unsigned limit, WorkerRunFunc run, WorkerDoneFunc done, void *userdata);
/* Take back every counted item not started yet, in queue order; neither run() nor done() is
 * called for them: each userdata is handed to `each` (after the queue lock is dropped, so
 * `each` may submit again). An item already started is not taken: its done() still comes. */
void worker_steal_counted(Worker *w, void (*each)(void *userdata, void *context), void *context);
/* The last item: after run() the thread ends; done() is called once the thread was joined,
 * and the Worker is freed right after done() returns. run and done may be NULL. Cannot fail
 * for lack of memory (the item was allocated by worker_new()); -ESHUTDOWN when called twice. */
int worker_stop(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata);
