/*
 * balloon.c - the rules of one FMEM balloon step (DESIGN.md §6.4;
 * reference/sdh-and-demeter.md §5).
 *
 * A step moves at most one message of pages toward the target.  Growing
 * (deflating the balloon) takes pages from the host's free pool.  Shrinking
 * (inflating) below the VM's resident FMEM pages cannot just drop pages: the
 * capacity is lowered, the caller demotes the coldest pages through the
 * migration engine (charged as migration), and the pages reach the pool when
 * those demotions land.  While a batch is already in flight the shrink
 * waits for it.
 *
 * Notes (simplifications):
 * - A message is at least one simulated page (2 MiB pages: one page per
 *   message, its time scaled by its bytes).
 * - The SMEM balloon is not modelled: SMEM is assumed large enough.
 */
#include "balloon.h"

#include <assert.h>

uint64_t tm_balloon_msg_pages(uint32_t page_shift)
{
	uint64_t p = ((uint64_t)TM_BALLOON_MSG_4K_PAGES << 12) >> page_shift;

	return p ? p : 1;
}

uint64_t tm_balloon_msg_ns(const struct tm_balloon_cfg *c, uint64_t nr_pages)
{
	double bytes = (double)(nr_pages << c->page_shift);

	assert(c->bytes_per_s > 0);
	return (uint64_t)(bytes * 1e9 / c->bytes_per_s) + c->msg_latency_ns + 1;
}

void tm_balloon_init(struct tm_balloon *b, uint64_t cap_pages)
{
	*b = (struct tm_balloon){ .target_pages = cap_pages };
}

bool tm_balloon_retarget(struct tm_balloon *b, uint64_t target_pages,
			 uint64_t cap_pages)
{
	b->target_pages = target_pages;
	if (b->active || b->pending_release || target_pages == cap_pages)
		return false;
	b->active = true;
	return true;
}

/* One message's worth of pages moved: count its bytes and time. */
static struct tm_balloon_move moved(struct tm_balloon *b,
				    const struct tm_balloon_cfg *c,
				    enum tm_balloon_op op, uint64_t d)
{
	struct tm_balloon_move m = { op, d, tm_balloon_msg_ns(c, d) };

	if (op == TM_BALLOON_DEFLATE)
		b->deflated_bytes += d << c->page_shift;
	else
		b->inflated_bytes += d << c->page_shift;
	b->busy_ns += m.msg_ns;
	b->active = true;
	return m;
}

/* Inflate by one message; demote first if the VM's pages do not fit. */
static struct tm_balloon_move shrink(struct tm_balloon *b,
				     const struct tm_balloon_cfg *c,
				     const struct tm_balloon_view *v)
{
	uint64_t d = tm_balloon_msg_pages(c->page_shift);

	if (d > v->cap_pages - b->target_pages)
		d = v->cap_pages - b->target_pages;
	if (v->resident_pages <= v->cap_pages - d)
		return moved(b, c, TM_BALLOON_INFLATE, d);
	if (v->migrating) {  /* wait for the batch in flight, then retry */
		b->active = true;
		return (struct tm_balloon_move){ TM_BALLOON_WAIT, 0, 0 };
	}
	b->pending_release = d;
	return moved(b, c, TM_BALLOON_DEMOTE, d);
}

/* Deflate by one message, as far as the pool allows. */
static struct tm_balloon_move grow(struct tm_balloon *b,
				   const struct tm_balloon_cfg *c,
				   const struct tm_balloon_view *v)
{
	uint64_t d = tm_balloon_msg_pages(c->page_shift);

	if (d > b->target_pages - v->cap_pages)
		d = b->target_pages - v->cap_pages;
	if (d > v->pool_pages)
		d = v->pool_pages;
	if (!d)  /* nothing free now: the next rebalance decides again */
		return (struct tm_balloon_move){ TM_BALLOON_NONE, 0, 0 };
	return moved(b, c, TM_BALLOON_DEFLATE, d);
}

struct tm_balloon_move tm_balloon_step(struct tm_balloon *b,
				       const struct tm_balloon_cfg *c,
				       const struct tm_balloon_view *v)
{
	b->active = false;
	if (b->pending_release)  /* resumed once the demotions land */
		return (struct tm_balloon_move){ TM_BALLOON_NONE, 0, 0 };
	if (b->target_pages < v->cap_pages)
		return shrink(b, c, v);
	if (b->target_pages > v->cap_pages)
		return grow(b, c, v);
	return (struct tm_balloon_move){ TM_BALLOON_NONE, 0, 0 };
}

uint64_t tm_balloon_release(struct tm_balloon *b)
{
	uint64_t d = b->pending_release;

	b->pending_release = 0;
	return d;
}

void tm_balloon_snap(struct tm_balloon *b, uint64_t *inflated_bytes,
		     uint64_t *deflated_bytes)
{
	*inflated_bytes = b->inflated_bytes - b->snap_inflated;
	*deflated_bytes = b->deflated_bytes - b->snap_deflated;
	b->snap_inflated = b->inflated_bytes;
	b->snap_deflated = b->deflated_bytes;
}
