/*
 * eventq.c - binary min-heap of events ordered by (time_ns, seq).
 *
 * The heap array grows by doubling when full; growth happens when events are
 * scheduled (epoch rate, not sample rate), never on the per-sample path.
 */
#include "eventq.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/alloc.h"

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

static inline bool ev_before(const struct tm_event *a, const struct tm_event *b)
{
	return a->time_ns < b->time_ns ||
	       (a->time_ns == b->time_ns && a->seq < b->seq);
}

static void sift_up(struct tm_event *h, size_t i)
{
	struct tm_event e = h[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ev_before(&e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
}

static void sift_down(struct tm_event *h, size_t nr, size_t i)
{
	struct tm_event e = h[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= nr)
			break;
		if (child + 1 < nr && ev_before(&h[child + 1], &h[child]))
			child++;
		if (!ev_before(&h[child], &e))
			break;
		h[i] = h[child];
		i = child;
	}
	h[i] = e;
}

uint64_t tm_eventq_push(struct tm_eventq *q, uint64_t time_ns, uint32_t type,
			uint32_t vm, uint64_t arg)
{
	struct tm_event *e;

	if (q->nr == q->cap) {
		q->cap *= 2;
		q->heap = tm_xrealloc(q->heap, q->cap * sizeof(*q->heap));
	}
	e = &q->heap[q->nr];
	e->time_ns = time_ns;
	e->seq = q->next_seq++;
	e->type = type;
	e->vm = vm;
	e->arg = arg;
	sift_up(q->heap, q->nr++);
	return e->seq;
}

const struct tm_event *tm_eventq_peek(const struct tm_eventq *q)
{
	return q->nr ? &q->heap[0] : NULL;
}

int tm_eventq_pop(struct tm_eventq *q, struct tm_event *ev)
{
	if (!q->nr)
		return -1;
	*ev = q->heap[0];
	q->heap[0] = q->heap[--q->nr];
	if (q->nr)
		sift_down(q->heap, q->nr, 0);
	return 0;
}

size_t tm_eventq_len(const struct tm_eventq *q)
{
	return q->nr;
}

int tm_eventq_check(const struct tm_eventq *q)
{
	for (size_t i = 1; i < q->nr; i++)
		if (ev_before(&q->heap[i], &q->heap[(i - 1) / 2]))
			return 0;
	return 1;
}
