#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A recorder started after the job, then killed (SIGKILL) and restarted: the units the job did
# before recording and during the gap are in its progress count but in no window. Per-unit
# figures must use only units and time both recorded, and the snapshot must name the gap.
# Ground truth: the job's own clock (it prints its count every unit, a 50 ms sleep each).
source "$(dirname "$0")/../lib.sh"

cg=$(mkcg restart) || exit 1
log=$TMP/job.log
# A job whose unit is a 50 ms sleep; it prints the shape of the motivating job's absolute
# counter after each, then its own clock at that count ("T COUNT SECONDS").
cat >"$TMP/job.py" <<'PY'
import sys, time
t0 = time.monotonic()
n = 0
while time.monotonic() - t0 < float(sys.argv[1]):
    time.sleep(0.05)
    n += 1
    print(f"[PERF] Processed:{n}/100000(abs_total) [{n / 1000:.2f}%] Remaining:1h/1s(Elapsed)/1h(est_total_all)", flush=True)
    print(f"T {n} {time.monotonic() - t0:.6f}", flush=True)
PY
# It outlives the recording (stopped below): a recording that went on after it ended would
# add time in which it did no units (loading BPF takes a varying second or two).
in_cg "$cg" python3 "$TMP/job.py" 120 >"$log" &
job=$!
PIDS+=($job)
sleep 3
out=$TMP/rec
rec_start "$out" -i 1 --job A="$cg" --log A="$log" || exit 1
sleep 6
kill -9 "$REC_PID"
wait "$REC_PID" 2>/dev/null
REC_PID=
sleep 8
rec_start "$out" -i 1 --job A="$cg" --log A="$log" || exit 1
sleep 6
check "the restarted recorder stops cleanly" rec_stop
kill "$job"
w=$out/windows.jsonl
check "two sessions in one windows.jsonl" test "$(grep -c '"type":"session"' "$w")" -eq 2
check "each session's first window says the job ran before it" \
	test "$(grep -c '"ran_before_recording":true' "$w")" -eq 2

e=$TMP/exp
"$CONTRACE" init "$e" >/dev/null
"$CONTRACE" snapshot --dir "$e" --job A --tag t0 --from "$w" --no-sys >/dev/null
c=$e/snapshots/A_t0_contention.json
# The job's own time per unit over the stretches recorded: in each session, from the count at
# its first window's end to the count at its last, by the job's clock at those counts (the
# rate varies over a run on a busy machine: a whole-run average is not like for like).
truth=$(jq -r 'select(.type == "session" or .type == "window") | if .type == "session" then "S" else (.jobs[] | select(.name == "A") | .progress.done // empty | "C \(.)") end' "$w" |
	awk -v lf="$log" 'BEGIN { while ((getline l < lf) > 0) { split(l, f, " "); if (f[1] == "T") t[f[2]] = f[3] } }
		$1 == "S" { if (n) { T += t[last] - t[first]; N += last - first } n = 0; next }
		{ if (!n++) first = $2; last = $2 }
		END { if (n) { T += t[last] - t[first]; N += last - first } print N ? T / N * 1e9 : 0 }')
# Units are known at window ends from the last line printed (one every ~50 ms): a count can
# trail by one unit at each end of a covered stretch: 4 ends over ~10 s (~200 units) is 2 %;
# 3 % leaves room for a window end that falls between a sleep and its line.
within "wall per unit vs the job's own clock" "$(jq '.span.per_unit.wall_ns' "$c")" "$truth" 3
within "on-CPU time is per covered unit too (python's own is tiny, so: under 5 % of wall)" \
	"$(jq '.span.per_unit.oncpu_ns < .span.per_unit.wall_ns * 0.05 | if . then 1 else 0 end' "$c")" 1 0
# The count at the end of the first window (the job ran 3 s before the recorder, then the
# recorder's start and its first window): left out, and said.
first=$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "A") | .progress.done // empty][0]' "$w")
check "units done before the first count are reported, not counted ($first)" \
	jqe ".span.progress.before_recording == $first and $first >= 60" "$c"
check "the gap is named with its times" jqe '.span.gaps.count == 1 and (.span.gaps.list[0].from | test("Z$"))' "$c"
between "the gap's length (8 s of sleep, plus a recorder's start)" "$(jq '.span.gaps.s' "$c")" 7.9 10.5
check "contention.txt warns of it" grep -q '^Warning: 1 recording gap (.* per-unit figures count only units and time recorded on both sides of a count; the job was running when recording began: the [0-9]* units of its first count are left out' \
	"$e/snapshots/A_t0_contention.txt"
