/* Placeholder until the Traces issue lands: tmsim gen is not built yet. */
#include <stdio.h>

#include "cli.h"

int tm_cmd_gen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tmsim gen: not built yet\n");
	return 2;
}
