/*
 * balloon.h - the mechanics of one VM's FMEM balloon (Demeter's double
 * balloon, DESIGN.md §6.4; reference/sdh-and-demeter.md §5).
 *
 * FMEM capacity = FMEM node size − FMEM balloon, so the model keeps the
 * capacity and moves it toward a target one message at a time: messages of
 * 256 × 4 KiB pages, each taking bytes / balloon_rate + balloon_msg_latency.
 * A step only decides; the caller (sim/engine/rebalance.c) owns the VM's
 * capacity, the host's free pool and the events, and applies the move.
 */
#ifndef TM_BALLOON_H
#define TM_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#define TM_BALLOON_MSG_4K_PAGES 256  /* PFNs per virtio message (reference §5) */

/* Fixed for a host's run. */
struct tm_balloon_cfg {
	uint32_t page_shift;        /* the simulated page size */
	double bytes_per_s;         /* balloon_rate, > 0 */
	uint64_t msg_latency_ns;    /* balloon_msg_latency, per message */
};

/* One VM's FMEM balloon. */
struct tm_balloon {
	uint64_t target_pages;      /* capacity the balloon moves toward */
	bool active;                /* a step is scheduled (or demotions wait) */
	uint64_t pending_release;   /* pages leaving once demotions land */
	uint64_t inflated_bytes, deflated_bytes, busy_ns;
	uint64_t snap_inflated, snap_deflated;  /* at the last snapshot */
};

/* What a step sees of its VM and host. */
struct tm_balloon_view {
	uint64_t cap_pages;         /* the VM's FMEM capacity now */
	uint64_t resident_pages;    /* its FMEM pages + promotions in flight */
	uint64_t pool_pages;        /* the host's free FMEM */
	bool migrating;             /* a migration batch is in flight */
};

enum tm_balloon_op {
	TM_BALLOON_NONE,     /* no step follows: at target, releasing, or no
			      * free FMEM to grow into */
	TM_BALLOON_INFLATE,  /* capacity −= nr_pages, pool += nr_pages; next
			      * step after msg_ns */
	TM_BALLOON_DEFLATE,  /* capacity += nr_pages, pool −= nr_pages; next
			      * step after msg_ns */
	TM_BALLOON_WAIT,     /* a shrink waits for the batch in flight, then
			      * steps again */
	TM_BALLOON_DEMOTE,   /* capacity −= nr_pages now; the caller demotes
			      * the excess and, when it lands, hands the pages
			      * to the pool (tm_balloon_release) and steps */
};

struct tm_balloon_move {
	enum tm_balloon_op op;
	uint64_t nr_pages;
	uint64_t msg_ns;            /* time of the message */
};

/* Simulated pages per message: 256 × 4 KiB, at least one page. */
uint64_t tm_balloon_msg_pages(uint32_t page_shift);
/* msg_ns = bytes / bytes_per_s + msg_latency_ns (+ 1 ns, so never 0). */
uint64_t tm_balloon_msg_ns(const struct tm_balloon_cfg *c, uint64_t nr_pages);
void tm_balloon_init(struct tm_balloon *b, uint64_t cap_pages);
/* Set a new target; true if a step must be scheduled now (the balloon was
 * idle and the target differs from cap_pages): it is then active. */
bool tm_balloon_retarget(struct tm_balloon *b, uint64_t target_pages,
			 uint64_t cap_pages);
/* One step toward the target: the move to apply, counted in b. */
struct tm_balloon_move tm_balloon_step(struct tm_balloon *b,
				       const struct tm_balloon_cfg *c,
				       const struct tm_balloon_view *v);
/* The demotions of a TM_BALLOON_DEMOTE landed: the pages to give the pool
 * (0 if none were pending). */
uint64_t tm_balloon_release(struct tm_balloon *b);
/* Bytes inflated and deflated since the last call (a timeseries row). */
void tm_balloon_snap(struct tm_balloon *b, uint64_t *inflated_bytes,
		     uint64_t *deflated_bytes);

#endif
