#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A task's state is its own for its whole life, wherever it is kept (docs/ARCHITECTURE.md,
# "Where a task's state is"). The hard case is a thread other than the leader that execs: the
# kernel gives it the leader's thread id and start time (de_thread()), so state kept by thread
# id would be lost, or taken for the leader's. Here a Python process (Debian's, nobody here
# wrote it) spins in its main thread, starts a thread that spins and then execs a Python that
# spins again; the exec ends the main thread. Run once as contrace keeps state, once with 2
# entries for all tasks (record --test-task-slots 2: nearly every task's state is then in task
# storage). Ground truth: the kernel's own count of the job cgroup's CPU time (cpu.stat
# usage_usec) over the same span.
source "$(dirname "$0")/../lib.sh"

prog='
import os, sys, threading, time
def spin(s):
	t = time.monotonic()
	while time.monotonic() - t < s:
		pass
def thread():
	spin(0.4)
	os.execv(sys.executable, [sys.executable, "-c",
		"import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.4: pass"])
spin(0.2)
threading.Thread(target=thread).start()
time.sleep(30)
'

for slots in "" 2; do
	name="exec from a thread${slots:+, $slots task slots}"
	cg=$(mkcg "ts$slots") || exit 1
	out=$TMP/rec$slots
	rec_start "$out" -i 1 --job py="$cg" ${slots:+--test-task-slots $slots} || exit 1
	u0=$(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")
	in_cg "$cg" python3 -c "$prog"
	u1=$(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")
	sleep 0.3
	check "$name: recorder stops cleanly" rec_stop
	w=$out/windows.jsonl
	# The thread that execs must not be counted twice (its life before the exec again) nor
	# lose its time: about 1.1 s in all, with Python's start twice. 3 %: what the job gets
	# before its first and after its last cpu.stat read, the shell's move into the cgroup and
	# the exit (a few ms), as in cpu_attribution.sh.
	within "$name: the job's on-CPU time vs the cgroup's cpu.stat" \
		"$(jsum "$w" py cpu.oncpu_ns)" "$((u1 - u0))000" 3
	between "$name: the spins took their 1.0 s" "$((u1 - u0))" 1000000 1500000
	check "$name: no event lost for want of per-task state" \
		jqt "$w" '[.[] | select(.type == "window") | .lost.storage_full // 0] | add == 0'
done
