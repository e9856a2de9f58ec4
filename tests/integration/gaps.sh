#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The tracer stays exact when the kernel does not trace every context switch. This project's
# CI kernel skips many switches out of the idle task (and the wakeups before them); how many
# varies from run to run, from none to most. So each recording runs three times: as this kernel
# delivers events, then with contrace told to ignore 50 % and then 100 % of the switches out of
# idle (record --test-drop-idle-switches: exactly the events such a kernel loses). The figures
# must be the same every time, against the kernel's own accounting:
#   sleeper  nanosleep 20 ms, 50 times, alone on an idle machine: every wakeup is out of idle
#   victim   2 threads waking every millisecond beside hog (1 busy thread): 100 ms or more of
#            run-queue delay, while the CPUs still go idle often enough for the injection
# Ground truth: ctwork's own clock and its threads' /proc/thread-self/schedstat, taken from the
# moment it moved itself into the job's cgroup (CTWORK_CGROUP) to just before it exits.
source "$(dirname "$0")/../lib.sh"

sl=$(mkcg sleeper) && vi=$(mkcg victim) && hg=$(mkcg hog) || exit 1

# A fourth run keeps per-task state in 2 array entries (record --test-task-slots 2) rather than
# 8192: each task whose entry another task owns has its state in task storage instead, which
# a 2-CPU machine with few tasks otherwise never shows. The figures must not move.
for cfg in 0 50 100 0-2; do
	drop=${cfg%-*}
	slots=${cfg#*-}
	[ "$slots" = "$cfg" ] && slots=
	name="drop $drop%${slots:+, $slots task slots}"
	out=$TMP/rec$cfg
	rec_start "$out" -i 1 --test-drop-idle-switches $drop ${slots:+--test-task-slots $slots} \
		--job sleeper="$sl" --job victim="$vi" --job hog="$hg" || exit 1
	CTWORK_CGROUP=$sl "$CTWORK" sleep 20 50 >"$TMP/sl$cfg"
	CTWORK_CGROUP=$hg "$CTWORK" spin 1 1.5 >"$TMP/hg$cfg" &
	hog=$!
	CTWORK_CGROUP=$vi "$CTWORK" wake 2 1.5 >"$TMP/vi$cfg"
	wait $hog
	sleep 0.2
	check "$name: recorder stops cleanly" rec_stop
	w=$out/windows.jsonl
	S=$(cat "$TMP/sl$cfg")
	V=$(cat "$TMP/vi$cfg")
	echo "# $name: repaired intervals: sleeper $(jsum "$w" sleeper lost.repaired)," \
		"victim $(jsum "$w" victim lost.repaired), hog $(jsum "$w" hog lost.repaired)," \
		"all jobs $(jq -s '[.[] | select(.type == "window") | .lost.repaired] | add' "$w")"

	# One sleep per nanosleep, always: a sleep is counted at the switch-out that follows it,
	# which this kernel always traces.
	between "$name: sleeper: one sleep per nanosleep" \
		"$(jsum "$w" sleeper offcpu.sleep.count)" 50 50
	# Injected 1.000 s. Above it: timer slack (50 us a sleep) and the CPU's exit from idle,
	# together 0.5-1 % here; the issue's bound is +5 %. Below it by at most 1 %: the job
	# begins when the sleeper moves itself into it (cgroup_attach_task), timed by
	# CLOCK_MONOTONIC less its offset to the scheduler's clock, sampled at switches.
	between "$name: sleeper: sleep vs injected 1.000 s" \
		"$(jsum "$w" sleeper offcpu.sleep.ns)" 990000000 1050000000
	# Thread time is conserved: on-CPU + queued + off-CPU = the time it spent in the job. 1 %:
	# its exit after its last clock read (a few hundred microseconds) is in the job, not in
	# its own wall time.
	within "$name: sleeper: on-CPU + stolen + run-queue + off-CPU vs its wall time" \
		"$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "sleeper") | .cpu.oncpu_ns + .cpu.stolen_ns + .runq.ns + ([.offcpu[].ns] | add)] | add' "$w")" \
		"$(field "$S" wall_ns)" 1
	# Run-queue delay is the kernel's run_delay: 3 % (the issue's bound) covers the few
	# milliseconds its threads can wait for a CPU as they exit, after their last schedstat
	# read (the hog's own delay is too small for that: cpu_attribution.sh checks a hog's).
	# Above it by at most the process's own delay
	# before it moved itself into the job (its fork and exec): when the switch into it was not
	# traced, the move cannot be placed within its run, and that time goes to the job too; and
	# by the waits of its threads for a CPU as they exit, after their last schedstat read, which
	# the job has and the workload's figure cannot (one per thread, a scheduler slice at most:
	# 1 ms each on this 2-CPU machine under the suite; CI once saw 0.15 ms above 3 %).
	rq_in() {
		between "$1" "$2" "$(jq -n "$3 | .run_delay_ns * 0.97")" \
			"$(jq -n "$3 | (.run_delay_ns + .pre_run_delay_ns) * 1.03 + .threads * 1000000")"
	}
	rq_in "$name: victim: run-queue delay vs schedstat run_delay" \
		"$(jsum "$w" victim runq.ns)" "$V"
	within "$name: victim: on-CPU vs schedstat" \
		"$(jsum "$w" victim cpu.oncpu_ns)" "$(field "$V" oncpu_ns)" 3
	within "$name: victim: voluntary switches vs the kernel's" \
		"$(jsum "$w" victim cpu.nvcsw)" "$(field "$V" nvcsw)" 1
	# The culprit matrix still splits every wait: its cells add up to the run-queue delay.
	within "$name: victim: culprits add up to its run-queue delay" \
		"$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "victim") | .culprits[].runq_ns] | add' "$w")" \
		"$(jsum "$w" victim runq.ns)" 0.5
	echo "# culprits: $(jq -s -c "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"victim\") | .culprits[]] | group_by(.job) | map({(.[0].job): (map(.runq_ns) | add)}) | add" "$w")"
	if [ $drop = 100 ]; then
		# The sleeper runs alone, so its wakeups land on an idle CPU and lose their switch-in:
		# 48-50 of its 51 intervals on a quiet machine, 31-36 with a second test suite running
		# beside it (its CPUs are then busy more often). At least half shows the injection.
		between "drop 100%: the sleeper's intervals were rebuilt (the injection took effect)" \
			"$(jsum "$w" sleeper lost.repaired)" 25 51
		check "drop 100%: windows.jsonl says most of the sleeper's time rests on them" \
			jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name == "sleeper") | .lost.repaired_ns] | add > 500000000'
	fi
	rm -f "$TMP"/sl$cfg "$TMP"/vi$cfg "$TMP"/hg$cfg
done

# The live table warns under a job whose window rests on repaired intervals.
script -qec "CTWORK_CGROUP='$sl' '$CONTRACE' record -i 0.6 --test-drop-idle-switches 100 -o '$TMP/tty' --job sleeper='$sl' -- '$CTWORK' sleep 20 25" \
	/dev/null >"$TMP/tty.out" 2>&1
check "the live table shows a gaps line under the sleeper" \
	grep -q "^    gaps  .*had no traced switch-in" "$TMP/tty.out"
