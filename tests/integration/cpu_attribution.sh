#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# CPU contention lands on the right job. `hog` runs 4 busy threads on this 2-CPU machine;
# `victim` has 2 threads that wake every millisecond. Ground truth: the kernel's own per-thread
# schedstat (on-CPU time and run_delay) and the cgroups' cpu.stat.
source "$(dirname "$0")/../lib.sh"

hog=$(mkcg hog) && vic=$(mkcg victim) || exit 1
out=$TMP/rec
rec_start "$out" -i 1 --job hog="$hog" --job victim="$vic" || exit 1
u0h=$(awk '/^usage_usec/ {print $2}' "$hog/cpu.stat")
u0v=$(awk '/^usage_usec/ {print $2}' "$vic/cpu.stat")
in_cg "$hog" "$CTWORK" spin 4 5 >"$TMP/hog.json" &
in_cg "$vic" "$CTWORK" wake 2 5 >"$TMP/vic.json"
wait $!
u1h=$(awk '/^usage_usec/ {print $2}' "$hog/cpu.stat")
u1v=$(awk '/^usage_usec/ {print $2}' "$vic/cpu.stat")
sleep 0.3
check "recorder stops cleanly on SIGINT" rec_stop
w=$out/windows.jsonl
H=$(cat "$TMP/hog.json")
V=$(cat "$TMP/vic.json")

# Run-queue delay against the kernel's run_delay, summed over each job's threads.
within "victim run-queue delay vs schedstat run_delay" "$(jsum "$w" victim runq.ns)" "$(field "$V" run_delay_ns)" 10
within "hog run-queue delay vs schedstat run_delay" "$(jsum "$w" hog runq.ns)" "$(field "$H" run_delay_ns)" 10

# On-CPU + queued is the time a thread wanted the CPU. The kernel stamps a switch that follows
# a wakeup preemption with the clock read at wakeup (rq clock update skipped), so it moves a
# few microseconds per wakeup from run_delay to on-CPU time; the sum is unaffected.
within "victim on-CPU + run-queue vs schedstat" \
	"$(jq -s '.[0] + .[1]' <<<"$(jsum "$w" victim cpu.oncpu_ns) $(jsum "$w" victim runq.ns)")" \
	"$(jq -n "$V | .oncpu_ns + .run_delay_ns")" 5
within "hog on-CPU vs schedstat" "$(jsum "$w" hog cpu.oncpu_ns)" "$(field "$H" oncpu_ns)" 5
within "hog on-CPU vs cgroup cpu.stat usage" "$(jsum "$w" hog cpu.oncpu_ns)" "$(( (u1h - u0h) * 1000 ))" 5
within "victim on-CPU vs schedstat (not inflated by hog's time)" "$(jsum "$w" victim cpu.oncpu_ns)" "$(field "$V" oncpu_ns)" 20

# Context switches against the kernel's per-thread counters (/proc/thread-self/status).
within "victim voluntary switches vs the kernel's" "$(jsum "$w" victim cpu.nvcsw)" "$(field "$V" nvcsw)" 5
within "hog involuntary switches vs the kernel's" "$(jsum "$w" hog cpu.nivcsw)" "$(field "$H" nivcsw)" 5

# Who hurt whom: the victim's delay is charged mostly to hog.
vq=$(jsum "$w" victim runq.ns)
top=$(jq -s -r '[.[] | select(.type == "window") | .jobs[] | select(.name == "victim") | .culprits[]]
	| group_by(.job) | map({job: .[0].job, ns: (map(.runq_ns) | add)}) | max_by(.ns) | .job' "$w")
check "victim's main culprit is hog (got $top)" test "$top" = hog
between "share of victim's run-queue delay charged to hog" \
	"$(jq -n "$(culprit "$w" victim hog) / $vq")" 0.6 1
between "share of hog's run-queue delay charged to victim" \
	"$(jq -n "$(culprit "$w" hog victim) / $(jsum "$w" hog runq.ns)")" 0 0.25
# The matrix conserves time: each job's culprits add up to its run-queue delay.
for j in hog victim; do
	within "$j: culprits' shares add up to its run-queue delay" \
		"$(jq -s --arg j $j '[.[] | select(.type == "window") | .jobs[] | select(.name == $j) | .culprits[].runq_ns] | add' "$w")" \
		"$(jsum "$w" $j runq.ns)" 0.5
done
check "hog was preempted by victim (wakeup preemption), counted" \
	test "$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "hog") | .culprits[] | select(.job == "victim") | .preempts] | add // 0' "$w")" -gt 0

# Kernel cross-checks recorded beside contrace's own figures.
within "recorded cpu.stat usage of hog matches cgroupfs" \
	"$(jsum "$w" hog 'kernel["cpu.stat"].usage_usec')" "$((u1h - u0h))" 3
between "victim's cpu PSI 'some' is positive and below its run-queue delay" \
	"$(jsum "$w" victim 'kernel["cpu.pressure"].some_total_us')" 1 "$((vq / 1000 * 11 / 10))"

# Window structure: a session line, then one window per second, the last one marked final.
check "first line is the session header" test "$(head -1 "$w" | jq -r .type)" = session
n=$(grep -c '"type":"window"' "$w")
between "window count for a ~6 s recording at 1 s" "$n" 5 9
check "only the last window is final" \
	jqt "$w" '[.[] | select(.type == "window") | .final] | .[-1] and (.[:-1] | all(not))'
check "window seq numbers are consecutive" \
	jqt "$w" '[.[] | select(.type == "window") | .seq] | . == [range(0; length)]'
check "victim's run-queue p99 is within its max" \
	jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name == "victim" and .runq.count > 0) | .runq.p99_ns <= .runq.max_ns] | all'
echo "# bytes per window with 4 jobs: $(jq -s '[.[] | select(.type == "window")] | length' "$w" | xargs -I{} awk -v n={} -v s="$(grep '"type":"window"' "$w" | wc -c)" 'BEGIN { printf "%d", s / n }')"
