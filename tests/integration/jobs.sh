#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Job sources: --jobs-under picks up children created while recording and retires removed
# ones; a v1 controller hierarchy and cgroup v2 together in one recording.
source "$(dirname "$0")/../lib.sh"

# --- --jobs-under: c1 exists at start, c2 appears mid-recording and is removed again.
par=$(mkcg jenkins) || exit 1
mkdir "$par/c1"
out=$TMP/under
rec_start "$out" -i 1 --jobs-under "$par" || exit 1
w=$out/windows.jsonl
in_cg "$par/c1" "$CTWORK" spin 1 4 >"$TMP/c1.json" &
c1pid=$!
sleep 1.2
mkdir "$par/c2"
in_cg "$par/c2" "$CTWORK" spin 1 2 >"$TMP/c2.json"
rmdir "$par/c2"
wait $c1pid
sleep 2.3
check "recorder stops cleanly" rec_stop
pname=$(basename "$par")
check "session lists the parent as a job" \
	test "$(head -1 "$w" | jq -r '.jobs[] | select(.kind == "parent") | .name')" = "$pname"
check "c1 is a job from the start" test "$(head -1 "$w" | jq -r '.jobs[] | select(.name == "c1") | .kind')" = child
within "c1 on-CPU vs its schedstat" "$(jsum "$w" c1 cpu.oncpu_ns)" "$(field "$(cat "$TMP/c1.json")" oncpu_ns)" 5
first=$(jq -s '[.[] | select(.type == "window")] | map(.jobs | map(.name) | index("c2") != null) | index(true)' "$w")
check "c2, created while recording, appears in a window ($first)" test "$first" != null
# Until c2 is picked up its tasks count under the parent, never `other`.
c2=$(jsum "$w" c2 cpu.oncpu_ns)
pj=$(jsum "$w" "$pname" cpu.oncpu_ns)
within "c2 + parent on-CPU vs c2's schedstat (nothing lost before pickup)" "$((c2 + pj))" \
	"$(field "$(cat "$TMP/c2.json")" oncpu_ns)" 5
# Picked up when made (inotify on the parent), not at the next once-a-second rescan: the
# parent gets at most the moment between mkdir and the recorder's rescan (2 % of 2 s).
within "c2's own on-CPU vs its schedstat (picked up when it was made)" "$c2" \
	"$(field "$(cat "$TMP/c2.json")" oncpu_ns)" 2
check "c2 is reported ended once removed" jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name == "c2") | .ended // false] | any'
check "c2 is gone from the windows after it ended" \
	jqt "$w" '[.[] | select(.type == "window")] | .[-1].jobs | map(.name) | index("c2") == null'

# --- Job slots run out (--max-jobs 6: two job slots, taken by the parent and c1). The
# children without a slot are named in one message each time new ones appear, never again
# each second; their CPU goes to the parent's job, and each window says how much of the
# parent's is theirs, by the kernel's own count of each child cgroup.
par=$(mkcg full) || exit 1
mkdir "$par/c1"
out=$TMP/full
rec_start "$out" -i 1 --max-jobs 6 --jobs-under "$par" || exit 1
w=$out/windows.jsonl
# made together, so that one rescan finds all three
mkdir "$par/c2" "$par/c3" "$par/c4"
for c in c2 c3 c4; do
	in_cg "$par/$c" "$CTWORK" spin 1 0.6 >"$TMP/full-$c.json" &
	PIDS+=($!)
done
wait "${PIDS[@]}"
for i in $(seq 30); do grep -q 'no job slot' "$out.err" && break; sleep 0.1; done
mkdir "$par/c5"
in_cg "$par/c5" "$CTWORK" spin 1 0.6 >"$TMP/full-c5.json"
sleep 1.2
rmdir "$par/c1"
sleep 3.2
check "recorder stops cleanly (slots full)" rec_stop
msgs=$(grep -c 'no job slot' "$out.err")
check "one message per batch of children without a slot, not one a second ($msgs)" test "$msgs" = 2
first=$(grep -m1 'no job slot' "$out.err")
check "the first names c2, c3 and c4 ($first)" eval '[[ $first =~ "no job slot for 3 new jobs (all 2 slots in use; raise --max-jobs): c"[234]", c"[234]", c"[234]";" ]] &&
	[[ $first == *c2* && $first == *c3* && $first == *c4* ]]'
check "the second names c5, made while recording" grep -q 'no job slot for 1 new job .*: c5;' "$out.err"
truth=0
for c in c2 c3 c4 c5; do truth=$((truth + $(field "$(cat "$TMP/full-$c.json")" oncpu_ns))); done
fname=$(basename "$par")
unsl=$(jsum "$w" "$fname" unslotted.cpu_ns)
# ctwork counts from its move into the cgroup; the cgroup also holds sh's exec of it (~5 ms each)
within "CPU charged to the parent for want of a slot vs the children's schedstat" "$unsl" "$truth" 5
check "the parent's own on-CPU holds it" test "$(jsum "$w" "$fname" cpu.oncpu_ns)" -ge "$((unsl * 95 / 100))"
check "windows name the children without a slot" \
	jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.kind == "parent") | .unslotted.names // [] | .[]] | unique == ["c2","c3","c4","c5"]'
check "none of them ran as a job of its own" \
	jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name | test("^c[2-5]$")) | .cpu.oncpu_ns] | add // 0 | . == 0'
exp=$TMP/full-exp
"$CONTRACE" init "$exp" >/dev/null &&
	"$CONTRACE" snapshot --dir "$exp" --job "$fname" --tag t0 --from "$w" --no-sys >/dev/null
# (the amount itself is checked against each child cgroup's own count above)
check "contention.txt warns that the parent's CPU holds children without a slot" \
	grep -Eq "^Warning: 4 jobs under it had no job slot \(raise --max-jobs\): [0-9.]+ ?m?s of its CPU time is theirs" \
	"$exp/snapshots/${fname}_t0_contention.txt"
check "once c1 is gone, a child without a slot gets its slot" \
	jqt "$w" '[.[] | select(.type == "window")] | .[-1].jobs | map(select(.name | test("^c[2-5]$"))) | length == 1'
check "and the others stay counted under the parent" \
	jqt "$w" '[.[] | select(.type == "window")] | .[-1].jobs[] | select(.kind == "parent") | .unslotted.jobs == 3'

# --- A job is its path: a cgroup removed and re-created under the same name stays the job.
re=$(mkcg recreated) || exit 1
out=$TMP/re
rec_start "$out" -i 1 --job re="$re" || exit 1
rmdir "$re" && mkdir "$re"
sleep 1.3
in_cg "$re" "$CTWORK" spin 1 1 >"$TMP/re.json"
sleep 0.2
check "recorder stops cleanly (re-created cgroup)" rec_stop
within "the re-created cgroup's CPU goes to its job" "$(jsum "$out/windows.jsonl" re cpu.oncpu_ns)" \
	"$(field "$(cat "$TMP/re.json")" oncpu_ns)" 5
check "the job did not end" jqt "$out/windows.jsonl" '[.[] | select(.type == "window") | .jobs[] | select(.name == "re") | .ended // false] | any | not'

# --- cgroup v1 (cpu controller) and v2 side by side.
if [ "$(stat -f -c %T /sys/fs/cgroup/cpu 2>/dev/null)" = cgroupfs ] || [ -d /sys/fs/cgroup/cpu,cpuacct ]; then
	v1root=/sys/fs/cgroup/cpu
	[ -d "$v1root" ] || v1root=/sys/fs/cgroup/cpu,cpuacct
	v1=$(mkcg v1job "$v1root") && v2=$(mkcg v2job) || exit 1
	out=$TMP/mixed
	rec_start "$out" -i 1 --job legacy="$v1" --job modern="$v2" || exit 1
	in_cg "$v1" "$CTWORK" spin 1 1.5 >"$TMP/v1.json" &
	v1pid=$!
	in_cg "$v2" "$CTWORK" wake 1 1.5 >"$TMP/v2.json"
	wait $v1pid
	sleep 0.3
	check "mixed recorder stops cleanly" rec_stop
	w=$out/windows.jsonl
	within "v1 job on-CPU vs schedstat" "$(jsum "$w" legacy cpu.oncpu_ns)" "$(field "$(cat "$TMP/v1.json")" oncpu_ns)" 5
	V2=$(cat "$TMP/v2.json")
	within "v2 job on-CPU + run-queue vs schedstat" \
		"$(($(jsum "$w" modern cpu.oncpu_ns) + $(jsum "$w" modern runq.ns)))" \
		"$(jq -n "$V2 | .oncpu_ns + .run_delay_ns")" 5
	check "v1 job carries its v1 cpu.stat cross-check" \
		jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name == "legacy") | .kernel["cpu.stat"].nr_periods != null] | all'
else
	echo "# no cgroup v1 cpu hierarchy here: v1 checks skipped"
fi
