/*
 * exact.h - exact per-page counts of the samples (exact.c; DESIGN.md §6.2,
 * §7) and its own config struct.
 */
#ifndef TM_EXACT_H
#define TM_EXACT_H

#include "identifier.h"

struct tm_exact_config {
	uint64_t nr_topk;         /* pages ranked; 0: the VM's FMEM pages */
	double window_decay;      /* counts *= window_decay per epoch; 0: reset */
};

extern const struct tm_identifier_ops tm_exact_ops;

/* The exact part of an identifier config (valid when its kind is exact). */
static inline struct tm_exact_config *tm_exact_cfg(struct tm_ident_config *c)
{
	return (struct tm_exact_config *)(void *)c->own.bytes;
}

static inline const struct tm_exact_config *
tm_exact_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_exact_config *)(const void *)c->own.bytes;
}

#endif
