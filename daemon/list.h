/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Intrusive doubly linked lists: an item has `prev` and `next` members; head points at the first. */

#define LIST_PREPEND(head, item)                                \
        do {                                                    \
                (item)->prev = NULL;                            \
                (item)->next = (head);                          \
                if (head)                                       \
                        (head)->prev = (item);                  \
                (head) = (item);                                \
        } while (0)

#define LIST_REMOVE(head, item)                                 \
        do {                                                    \
                if ((item)->next)                               \
                        (item)->next->prev = (item)->prev;      \
                if ((item)->prev)                               \
                        (item)->prev->next = (item)->next;      \
                else if ((head) == (item))                      \
                        (head) = (item)->next;                  \
                (item)->prev = (item)->next = NULL;             \
        } while (0)

/* Safe against removing the current item: `next` is read before the body runs. */
#define LIST_FOREACH_SAFE(item, next_item, head) \
        for ((item) = (head); (item) && (((next_item) = (item)->next), 1); (item) = (next_item))
