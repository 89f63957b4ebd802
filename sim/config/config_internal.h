/*
 * config_internal.h - the bounds table of the configuration loader, shared
 * with its tests (tests/test_config.c checks the table is consistent with
 * the structs and that docs/config.md documents every key).
 *
 * STYLE.md habit 5 / zstd's parameter table: every key of the YAML schema is
 * one row, naming its type, bounds, default and where it lands in struct
 * tm_config.  The loader walks the YAML tree against this table once; models
 * never re-validate.
 *
 * A row's pattern is "<scope>.<key>".  A scope names where a mapping occurs:
 *   root        the top level
 *   latency     root.latency               truth       root.truth
 *   host        hosts[]                    rebalancer  hosts[].rebalancer
 *   vm          defaults, hosts[].vms[]
 *   sampler     vm.sampler                 migration   vm.migration
 *   identifier  vm.identifier, vm.shadow_identifiers[]
 *   trace       vm.trace (also holds every "gen" key for a single generator)
 *   gen         one generator part (keys allowed in trace, mixpart and phase)
 *   mixpart     trace.mix[], phase.mix[]   phase   trace.phases[]
 *   move        gen.moves[]
 */
#ifndef TM_CONFIG_INTERNAL_H
#define TM_CONFIG_INTERNAL_H

#include <stddef.h>

#include "lib/cfg.h"

extern const struct tm_cfg_key tm_cfg_keys[];
extern const size_t tm_cfg_nr_keys;

#endif
