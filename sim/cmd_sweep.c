/* Placeholder until the Sweeps issue lands: tmsim sweep is not built yet. */
#include <stdio.h>

#include "cli.h"

int tm_cmd_sweep(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tmsim sweep: not built yet\n");
	return 2;
}
