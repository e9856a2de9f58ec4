/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands; each returns the process exit status. */
#ifndef CONTRACE_COMMANDS_H
#define CONTRACE_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_pstats(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif /* CONTRACE_COMMANDS_H */
