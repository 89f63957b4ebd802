/* Placeholder until the Traces issue lands: tmsim inspect is not built yet. */
#include <stdio.h>

#include "cli.h"

int tm_cmd_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tmsim inspect: not built yet\n");
	return 2;
}
