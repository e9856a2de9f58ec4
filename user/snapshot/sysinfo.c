// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The node's state at a snapshot: the commands of the experiment's plan, run side by side
 * (vmstat and iostat sample for 5 s each; in parallel a snapshot takes 5 s, not 10), each
 * under its own heading. A missing tool is noted, never fatal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sysinfo.h"

/* Each command as an argument vector: no shell ever runs. */
static const struct {
	const char *cmd;	/* as the plan and sys.txt's headings spell it */
	const char *argv[5];
} cmds[] = {
	{ "top -b -n1", { "top", "-b", "-n1" } },
	{ "vmstat 1 5", { "vmstat", "1", "5" } },
	{ "free -h", { "free", "-h" } },
	{ "df -h", { "df", "-h" } },
	{ "iostat -x 1 5", { "iostat", "-x", "1", "5" } },
	{ "uptime", { "uptime" } },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))
#define TIMEOUT_S 30

/* Start command @i with its output to @out; exit status 127 when it is not installed. */
static pid_t start(unsigned i, FILE *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(out), STDERR_FILENO);
		setenv("COLUMNS", "200", 1); /* top cuts its lines at the terminal width */
		setenv("LC_ALL", "C", 1);
		execvp(cmds[i].argv[0], (char *const *)cmds[i].argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	return pid;
}

/* Wait for all; anything still running after TIMEOUT_S is killed. */
static void wait_all(pid_t *pid, int *status)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int left = 0;

	for (unsigned i = 0; i < NCMDS; i++)
		left += pid[i] > 0;
	for (int t = 0; left && t < TIMEOUT_S * 20; t++) {
		for (unsigned i = 0; i < NCMDS; i++) {
			if (pid[i] > 0 && waitpid(pid[i], &status[i], WNOHANG) == pid[i]) {
				pid[i] = 0;
				left--;
			}
		}
		if (left)
			nanosleep(&tick, NULL);
	}
	for (unsigned i = 0; i < NCMDS; i++) {
		if (pid[i] > 0) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], &status[i], 0);
			status[i] = -1;
		}
	}
}

int sysinfo__collect(struct ct_buf *b, const char *when, int *missing)
{
	FILE *out[NCMDS];
	pid_t pid[NCMDS];
	int status[NCMDS];

	*missing = 0;
	fflush(NULL);
	for (unsigned i = 0; i < NCMDS; i++) {
		out[i] = tmpfile();
		if (!out[i])
			return -errno;
		pid[i] = start(i, out[i]);
		status[i] = 0;
	}
	wait_all(pid, status);
	ct_buf_printf(b, "# node state at %s\n", when);
	for (unsigned i = 0; i < NCMDS; i++) {
		char buf[8192];
		size_t n;

		ct_buf_printf(b, "\n==== %s ====\n", cmds[i].cmd);
		if (status[i] == -1)
			ct_buf_printf(b, "(killed after %d s)\n", TIMEOUT_S);
		else if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 127) {
			ct_buf_printf(b, "(%s is not installed on this node)\n", cmds[i].argv[0]);
			(*missing)++;
			fclose(out[i]);
			continue;
		}
		rewind(out[i]);
		while ((n = fread(buf, 1, sizeof(buf), out[i])) > 0)
			ct_buf_add(b, buf, n);
		fclose(out[i]);
	}
	return 0;
}
