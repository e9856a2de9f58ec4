#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A build that is no cgroup: an "agent" cgroup holds the agent's own work and a build's whole
# process tree (--job build=pid:PID). The build is running when the recorder starts (a shell
# waiting); then it execs a driver that spins threads, forks, execs, double-forks a daemon,
# runs a child in a new PID namespace and 300 short-lived processes. Ground truth: the build's
# getrusage (self and children) plus the daemon's own schedstat; the agent's own schedstat.
source "$(dirname "$0")/../lib.sh"

ag=$(mkcg agent) || exit 1
# The agent's own work, and the build, both in the agent's cgroup; each waits 2.5 s first so
# that all its work falls inside the recording. ctwork then counts from its own start (its
# figures plus the CPU before main()), not from in_cg's entry into the cgroup.
in_cg "$ag" sh -c "sleep 2.5; unset CTWORK_T0; exec '$CTWORK' spin 1 3" >"$TMP/agent" &
PIDS+=($!)
in_cg "$ag" sh -c "sleep 2.5; unset CTWORK_T0; exec python3 '$TOP/tests/workload/build.py' '$CTWORK' '$TMP/daemon'" \
	>"$TMP/build" &
bp=$!
PIDS+=($bp)
sleep 0.3
rec_start "$TMP/r" -i 1 --job agent="$ag" --job build=pid:$bp || exit 1
wait $bp
for i in $(seq 50); do [ -s "$TMP/daemon" ] && break; sleep 0.1; done
sleep 3.5	# the agent's spin ends
check "recorder stops cleanly" rec_stop
w=$TMP/r/windows.jsonl

b=$(cat "$TMP/build") dm=$(cat "$TMP/daemon") a=$(cat "$TMP/agent")
truth=$(( $(field "$b" self_ns) + $(field "$b" children_ns) + $(field "$dm" oncpu_ns) + $(field "$dm" pre_oncpu_ns) ))
# getrusage and schedstat count the same clock (sum_exec_runtime) for the same tasks; the
# shell's sleep before exec (a few ms of CPU) ran before the recording, inside getrusage.
within "build (threads, fork, exec, a daemon, a PID namespace, 300 short processes): on-CPU vs its getrusage + the daemon's" \
	"$(jsum "$w" build cpu.oncpu_ns)" "$truth" 2
within "agent: on-CPU vs its own work's schedstat (none of the build's)" \
	"$(jsum "$w" agent cpu.oncpu_ns)" "$(( $(field "$a" oncpu_ns) + $(field "$a" pre_oncpu_ns) ))" 2
check "the build's entries name its process" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"build\")] | length > 0 and all(.kind == \"process\" and .pid == $bp)"
check "--job NAME=pid:PID of no process is refused, naming it" \
	sh -c "! '$CONTRACE' record -q -d 0.5 -o '$TMP/none' --job x=pid:999999999 2>&1 | grep -q 'expected' && '$CONTRACE' record -q -d 0.5 -o '$TMP/none2' --job x=pid:4000000 2>&1 | grep -q 'job x: no process 4000000'"
