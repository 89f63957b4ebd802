/*
 * hemem.h - HeMem's PEBS hotness identifier (hemem.c; DESIGN.md §13) and
 * its own config struct, filled from its schema.
 */
#ifndef TM_HEMEM_H
#define TM_HEMEM_H

#include "identifier.h"

/* HeMem's page (`page_size`): 2 MiB as HeMem manages memory, or 4 KiB. */
enum tm_hemem_page_size { TM_HEMEM_PAGE_2MIB = 0, TM_HEMEM_PAGE_4KIB };

struct tm_hemem_config {
	uint32_t hot_reads;          /* HOT_READ_THRESHOLD = 8 */
	uint32_t hot_writes;         /* HOT_WRITE_THRESHOLD = 4 */
	uint32_t cooling_threshold;  /* PEBS_COOLING_THRESHOLD = 10 */
	enum tm_hemem_page_size page_size;
};

extern const struct tm_identifier_ops tm_hemem_ops;

/* What the identifier holds for one HeMem page (tests, debugging). */
struct tm_hemem_peek {
	bool known;                 /* the page has been sampled */
	bool hot;                   /* on a hot list */
	enum tm_tier tier;          /* the tier of the list it is on */
	uint64_t reads, writes;     /* stored counts (as at its last sample) */
	uint64_t cooled_reads, cooled_writes; /* shifted by the clock lag */
	uint64_t clock;             /* the global cooling clock */
};

/* The state of the HeMem page holding trace page `page` (page_shift's
 * page number, as estimate() takes it). */
void tm_hemem_peek(const void *st, uint64_t page, struct tm_hemem_peek *out);

/* The hemem part of an identifier config (valid when its kind is hemem). */
static inline struct tm_hemem_config *tm_hemem_cfg(struct tm_ident_config *c)
{
	return (struct tm_hemem_config *)(void *)c->own.bytes;
}

static inline const struct tm_hemem_config *
tm_hemem_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_hemem_config *)(const void *)c->own.bytes;
}

#endif
