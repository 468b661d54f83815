/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * RpcFd's response memfds, made ahead. Writing a response into a new memfd allocates its
 * shmem pages one at a time, and that was most of fwctld's own time in a 2 MiB RpcFd. The
 * stock holds at most one memfd whose pages are already allocated (fallocate(): pages that
 * read as zeroes, never written), made after a large response and off that call's path, and
 * hands it to the next RpcFd. A memfd given out never comes back: each response is still a
 * memfd nobody else has seen.
 *
 * Thread-safe: taken and refilled on pool threads, dropped on the loop.
 */

/* Below this a response's pages cost too little to keep any ready. */
#define MEMFD_STOCK_MIN_SIZE (64u * 1024u)

typedef struct MemfdStock MemfdStock;

int memfd_stock_new(MemfdStock **ret);
MemfdStock *memfd_stock_free(MemfdStock *s);

/* A memfd for one response: the stocked one (its size is what fallocate() allocated), or a
 * new empty one when there is none (also when s is NULL). */
int memfd_stock_take(MemfdStock *s, int *ret_fd, size_t *ret_size);

/* Ask for the next memfd to have `size` bytes ready: 0 when worth a refill, -ENOBUFS when the
 * size is out of range (nothing to do). */
int memfd_stock_want(MemfdStock *s, size_t size);
/* Make the stocked memfd at the size last wanted, unless one is there: blocking work. */
int memfd_stock_refill(MemfdStock *s);
/* Give its pages back (idle). */
void memfd_stock_drop(MemfdStock *s);
