/*
 * eventq.c - binary min-heap of events ordered by (time_ns, seq), on
 * lib/heap.h.
 *
 * The heap array grows by doubling when full; growth happens when events are
 * scheduled (epoch rate, not sample rate), never on the per-sample path.
 */
#include "eventq.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/heap.h"

struct tm_eventq {
	struct tm_event *heap;
	size_t nr;
	size_t cap;
	uint64_t next_seq;
};

struct tm_eventq *tm_eventq_new(size_t nr_hint)
{
	struct tm_eventq *q = tm_xcalloc(1, sizeof(*q));

	q->cap = nr_hint ? nr_hint : 64;
	q->heap = tm_xmalloc(q->cap * sizeof(*q->heap));
	return q;
}

void tm_eventq_free(struct tm_eventq *q)
{
	if (!q)
		return;
	free(q->heap);
	free(q);
}

static inline bool ev_before(const void *ctx, const struct tm_event *a,
			     const struct tm_event *b)
{
	(void)ctx;
	return a->time_ns < b->time_ns ||
	       (a->time_ns == b->time_ns && a->seq < b->seq);
}

TM_HEAP_DEFINE(evh, struct tm_event, const void *, ev_before, TM_HEAP_SET)

uint64_t tm_eventq_push(struct tm_eventq *q, uint64_t time_ns, uint32_t type,
			uint32_t vm, uint64_t arg)
{
	struct tm_event e;

	if (q->nr == q->cap) {
		q->cap *= 2;
		q->heap = tm_xrealloc(q->heap, q->cap * sizeof(*q->heap));
	}
	e.time_ns = time_ns;
	e.seq = q->next_seq++;
	e.type = type;
	e.vm = vm;
	e.arg = arg;
	evh_push(NULL, q->heap, &q->nr, e);
	return e.seq;
}

const struct tm_event *tm_eventq_peek(const struct tm_eventq *q)
{
	return q->nr ? &q->heap[0] : NULL;
}

int tm_eventq_pop(struct tm_eventq *q, struct tm_event *ev)
{
	if (!q->nr)
		return -1;
	evh_pop(NULL, q->heap, &q->nr, ev);
	return 0;
}

size_t tm_eventq_len(const struct tm_eventq *q)
{
	return q->nr;
}

int tm_eventq_check(const struct tm_eventq *q)
{
	return evh_check(NULL, q->heap, q->nr);
}
