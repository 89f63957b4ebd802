/*
 * eventq.h - the event queue of one simulation partition (DESIGN.md §4).
 *
 * A binary min-heap keyed by (time_ns, seq); seq is the queue's own insertion
 * counter, so two events at the same instant pop in the order they were
 * scheduled and runs are deterministic.  Data-structure module: depends only
 * on alloc.h (STYLE.md habit 1).
 */
#ifndef TM_EVENTQ_H
#define TM_EVENTQ_H

#include <stddef.h>
#include <stdint.h>

enum tm_event_type {
	TM_EV_EPOCH = 0,      /* identifier rank + migration plan, per VM */
	TM_EV_MIGRATION_DONE, /* a batch of moves completes, per VM */
	TM_EV_REBALANCE,      /* per host */
	TM_EV_BALLOON_STEP,   /* per VM */
	TM_EV_SNAPSHOT,       /* time-series row for every VM of the host */
	TM_EV_END,
	TM_EV_NR_TYPES,
};

struct tm_event {
	uint64_t time_ns;
	uint64_t seq;
	uint32_t type;        /* enum tm_event_type */
	uint32_t vm;          /* VM index within the host, when per VM */
	uint64_t arg;         /* event-specific (e.g. a migration batch id) */
};

struct tm_eventq;

struct tm_eventq *tm_eventq_new(size_t nr_hint);
void tm_eventq_free(struct tm_eventq *q);

/* Schedule; returns the seq given to the event. */
uint64_t tm_eventq_push(struct tm_eventq *q, uint64_t time_ns, uint32_t type,
			uint32_t vm, uint64_t arg);
/* The earliest event, or NULL if the queue is empty.  Valid until the next
 * push or pop. */
const struct tm_event *tm_eventq_peek(const struct tm_eventq *q);
/* Remove the earliest event into *ev; returns 0, or -1 if empty. */
int tm_eventq_pop(struct tm_eventq *q, struct tm_event *ev);
size_t tm_eventq_len(const struct tm_eventq *q);
/* Heap-order invariant; for assert() and tests. */
int tm_eventq_check(const struct tm_eventq *q);

#endif
