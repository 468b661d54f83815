/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "types.h"

/* One thread per device runs its blocking work in order; results go back to the loop. */

typedef enum JobType {
        JOB_PROBE, /* open + Info + plugin attach */
        JOB_CALL,  /* one Rpc or Execute */
        JOB_STOP,  /* detach, close the fd, end the thread */
} JobType;

struct Job {
        JobType type;
        Device *device; /* ref held by the job */
        Call *call;     /* JOB_CALL only */
        int result;
        Job *next;
};

int job_new(JobType type, Device *d, Call *c, Job **ret);
Job *job_free(Job *j);

int worker_start(Manager *m, Device *d, Worker **ret);
/* -EBUSY when the device already has its maximum of queued calls (calls only). */
int worker_submit(Worker *w, Job *j);
/* Remove every queued call job; returns the detached list (completion order kept). */
Job *worker_steal_queued_calls(Worker *w);
/* Called from the loop after the thread posted its JOB_STOP completion. */
void worker_join_and_free(Worker *w);
