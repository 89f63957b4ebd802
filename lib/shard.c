/*
 * shard.c - "I/N" shard arguments (see shard.h).
 */
#include "shard.h"

#include <string.h>

#include "units.h"

int tm_shard_parse(const char *s, uint32_t max_n, uint32_t *shard_i,
		   uint32_t *shard_n, struct tm_error *err)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	uint64_t i, n;
	struct tm_error e;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		goto bad;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (tm_parse_u64(buf, &i, &e) || tm_parse_u64(slash + 1, &n, &e) ||
	    n < 1 || n > max_n || i >= n)
		goto bad;
	*shard_i = (uint32_t)i;
	*shard_n = (uint32_t)n;
	return 0;
bad:
	return tm_error_set(err, TM_ERR_USAGE, "--shard: expected I/N with "
			    "0 <= I < N (0-based), got \"%s\"", s);
}
