/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/*
 * Blocking work off the event loop. A Worker is one serial queue (one device's): what it is
 * given runs in order, never two of its items at once; when an item has run, its done() is
 * called back on the loop through the Completions queue the worker was created with.
 * Workers know nothing of what they run.
 *
 * The threads are not the Workers': a pool owned by the Completions serves all its Workers.
 * A Worker with work waiting is runnable; a free pool thread takes the first runnable Worker,
 * runs one item, and puts the Worker back at the end of the line if it has more (round
 * robin: a deep queue does not starve the others). The pool grows by one thread at a time
 * while work waits and no thread is idle, up to WORKER_POOL_MAX_THREADS, and threads above
 * its floor end after 30 s idle. An item that blocks (a slow device's ioctl) holds one thread
 * and delays only its own Worker, as long as fewer than WORKER_POOL_MAX_THREADS items block
 * at once; beyond that, other Workers' items wait for a thread to come free.
 *
 * Everything here is called on the loop thread; only run() is called on a pool thread (which
 * one may change from item to item: nothing thread-local survives from one item to the next).
 * run() must never wait for another Worker's item: with every thread so waiting, nothing
 * would run the item waited for.
 * Between submit and done() (or steal) the userdata belongs to the worker: the loop must not
 * free it, and must not change what run() reads without its own lock.
 */

/*
 * How many items may run at once, over all Workers of one Completions: the most devices that
 * can be inside an ioctl together, so the most stuck devices the daemon rides out before a
 * healthy device's call waits for a thread. fwctl ioctls wait on firmware, not on the CPU, so
 * this is not sized from cores. Measured with bench/many-devices.sh (4096 emulated mlx5
 * functions, release build, 2-core VM, 5-6 runs each): start-up is latency-bound (every
 * probe is an ioctl); with 64 threads half the runs took 14-21 s to publish all devices
 * (likely: the probes outlasted the 10 s coldplug wait), against 5.7-7.3 s with a thread
 * per device and 5.6-9.2 s with 256. A thread that has run costs about 15 KiB resident
 * (33.7 MiB at 64, 36.5 MiB at 256, 74.8 MiB with 4096 threads), and those above the floor
 * end after 30 s idle.
 */
#define WORKER_POOL_MAX_THREADS 256u

typedef struct Worker Worker;
typedef struct Completions Completions;

typedef void (*WorkerRunFunc)(void *userdata);  /* on a pool thread */
typedef void (*WorkerDoneFunc)(void *userdata); /* on the loop, after run() */

/* The loop side: an eventfd source on e at the given priority, and the pool of threads (none
 * until the first worker_new()). Many workers share one: done() calls come in the order the
 * items finished (in submission order for one Worker). */
int completions_new(sd_event *e, int64_t priority, Completions **ret);
/* Every worker created with it must have stopped (its stop item's done() ran) first. Ends
 * the pool's threads and joins them. */
Completions *completions_free(Completions *q);
/* Block until at least one completion arrived and dispatch what is there (shutdown);
 * -ECHILD at once when no worker is left that could post one. */
int completions_wait(Completions *q);

/* Fails only for lack of memory, or when the pool has no thread and cannot start one. */
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
/* The last item: run() runs after every other item of the Worker; done() is called once no
 * pool thread will touch the Worker again, and the Worker is freed right after done()
 * returns. run and done may be NULL. Cannot fail for lack of memory (the item was allocated
 * by worker_new()); -ESHUTDOWN when called twice. */
int worker_stop(Worker *w, WorkerRunFunc run, WorkerDoneFunc done, void *userdata);

/* The pool's threads alive now (for tests and metrics). */
unsigned worker_pool_n_threads(Completions *q);
/* Tests only: the floor (threads that never end for being idle, at least 1), the cap (at
 * most WORKER_POOL_MAX_THREADS) and how long a thread above the floor may stay idle. The
 * defaults: online CPUs (2 to 16), WORKER_POOL_MAX_THREADS, 30 s. */
void worker_pool_set_limits(Completions *q, unsigned min_threads, unsigned max_threads, uint64_t idle_timeout_usec);
