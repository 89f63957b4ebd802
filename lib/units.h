/*
 * units.h - parsing of values with units in configs and on the command line
 * (DESIGN.md §10): sizes "4KiB" "16GiB" "1.5GB" "4096", times "500ms" "2s"
 * "10us" "100ns", count rates "50M/s" "1000/s" "2k/s", byte rates "10GB/s"
 * "1GiB/s", shares "20%" or "0.2".
 *
 * Binary prefixes (KiB, MiB, GiB, TiB) are powers of 1024; decimal ones
 * (kB/KB, MB, GB, TB; k, M, G for counts) powers of 1000.  Whitespace between
 * number and unit is allowed.  On failure the functions return -1 and write
 * what was expected into err (without a location: the caller adds it).
 */
#ifndef TM_UNITS_H
#define TM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

int tm_parse_size(const char *s, uint64_t *out, struct tm_error *err);
int tm_parse_time_ns(const char *s, uint64_t *out, struct tm_error *err);
int tm_parse_count_rate(const char *s, double *per_s, struct tm_error *err);
int tm_parse_byte_rate(const char *s, double *bytes_per_s, struct tm_error *err);
int tm_parse_share(const char *s, double *out, struct tm_error *err);
int tm_parse_u64(const char *s, uint64_t *out, struct tm_error *err);
int tm_parse_double(const char *s, double *out, struct tm_error *err);
int tm_parse_bool(const char *s, int *out, struct tm_error *err);

/* Human-readable size ("1.5GiB", "4KiB") into buf. */
void tm_format_size(uint64_t sz, char *buf, unsigned sz_buf);
/* A time in its largest whole unit ("500ms", "2s"; else "123ns"). */
void tm_format_time(uint64_t ns, char *buf, size_t sz);

#endif
