/*
 * stream.c - helpers shared by every trace source (see stream.h).
 */
#include "stream.h"

#include <stdlib.h>

void tm_stream_free(struct tm_stream *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s->state);
	free(s);
}
