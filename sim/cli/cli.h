/*
 * cli.h - the subcommands of the tmsim binary (DESIGN.md §9).  Each takes
 * argv with argv[0] = the subcommand name and returns the process exit
 * status: 0 ok, 1 runtime failure, 2 bad usage or bad input.
 */
#ifndef TM_CLI_H
#define TM_CLI_H

#include <stdio.h>

int tm_cmd_run(int argc, char **argv);
int tm_cmd_validate(int argc, char **argv);
int tm_cmd_gen(int argc, char **argv);
/* tmsim gen --help: the options, each generator's from its schema. */
void tm_cmd_gen_help(FILE *f);
int tm_cmd_import(int argc, char **argv);
int tm_cmd_inspect(int argc, char **argv);
int tm_cmd_sweep(int argc, char **argv);
int tm_cmd_merge(int argc, char **argv);
int tm_cmd_report(int argc, char **argv);
/* tmsim identifiers, tmsim policies (argv[0]): a backend family from its
 * schemas; tm_cmd_kinds_markdown prints the command's --markdown into f
 * (-1: no such command). */
int tm_cmd_kinds(int argc, char **argv);
int tm_cmd_kinds_markdown(FILE *f, const char *command);

#endif
