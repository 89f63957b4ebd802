/* Placeholder until the Traces issue lands: tmsim import is not built yet. */
#include <stdio.h>

#include "cli.h"

int tm_cmd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tmsim import: not built yet\n");
	return 2;
}
