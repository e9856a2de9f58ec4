#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# init, snapshot and report on crafted windows.jsonl files whose answer is known: contended
# (A's socket wait per unit doubles when B starts), uncontended (nothing changes), too short.
# Also the errors: not an experiment folder, a tag taken twice, a missing log, an unknown job,
# init over an existing experiment, corrupt lines in windows.jsonl.
. "$(dirname "$0")/../lib.sh"
START=1795500000

# experiment NAME SCENARIO: a folder with A t0 (window 20), A t1 and B t1 (window 40), report.
experiment() {
	local d=$TMP/$1 t1=$((START + 40))
	[ "$2" = short ] && t1=$((START + 3))
	"$CONTRACE" init "$d" >/dev/null
	python3 "$TOP/tests/gen_windows.py" "$d/windows.jsonl" "$2" "$START"
	"$CONTRACE" snapshot --dir "$d" --job A --tag t0 --from "$d/windows.jsonl" --at $((START + ${3:-20})) --no-sys >/dev/null &&
	"$CONTRACE" snapshot --dir "$d" --job A --tag t1 --from "$d/windows.jsonl" --at "$t1" >/dev/null &&
	"$CONTRACE" snapshot --dir "$d" --job B --tag t1 --from "$d/windows.jsonl" --at "$t1" >/dev/null &&
	"$CONTRACE" report "$d" >"$d/report.out" 2>&1
}
# answer DIR QUESTION-PREFIX: the verdict's answer.
answer() { jq -r --arg q "$2" '.verdicts[] | select(.question | startswith($q)) | .answer' "$1/analysis/report.json"; }
main_cause() { jq -r '.verdicts[] | select(.main_cause) | .question' "$1/analysis/report.json"; }

# Contended: A alone 50 units/s at 20 ms socket wait each; with B, 25 units/s at 40 ms.
check "contended experiment runs" experiment c contended
d=$TMP/c
check "contended: t0 spans A's 20 windows" jqe '.span.windows == 20 and .range == "since_start"' "$d/snapshots/A_t0_contention.json"
check "contended: t1 spans the 20 since t0" jqe '.span.windows == 20 and .range == "since_previous" and .previous_tag == "t0"' "$d/snapshots/A_t1_contention.json"
check "contended: B's span starts when B first ran" jqe '.span.windows == 20 and .span.progress.units == 500' "$d/snapshots/B_t1_contention.json"
check "contended: units per span from the progress lines" jqe '.span.progress.units == 1000' "$d/snapshots/A_t0_contention.json"
within "contended: A's socket wait per unit at t0" "$(jq '.span.per_unit.socket_wait_ns' "$d/snapshots/A_t0_contention.json")" 20000000 0.01
within "contended: A's socket wait per unit at t1" "$(jq '.span.per_unit.socket_wait_ns' "$d/snapshots/A_t1_contention.json")" 40000000 0.01
check "contended: ETA degradation confirmed" test "$(answer "$d" "Is the ETA")" = yes
check "contended: network/shared server is the main cause" test "$(main_cause "$d")" = "Is there network or shared-server contention caused by the concurrency?"
check "contended: no CPU contention" test "$(answer "$d" "Is there CPU")" = no
check "contended: the server job is named" grep -q "job api (not snapshotted: a server?)" "$d/analysis/report.md"
check "contended: per request on the endpoint, alone and with B" grep -q "per request, A waited 20ms on 10.0.0.5:2283 alone (t0: 1.00 waits per unit) and 40ms with B (t1" "$d/analysis/report.md"
check "contended: the shared endpoint is proven by B's waits on it" grep -q "A and B share 10.0.0.5:2283" "$d/analysis/report.md"
check "contended: the report warns that B's figures rest on intervals rebuilt from counters" \
	grep -q "^- B t1: .*rebuilt from the kernel's counters: 200\$" "$d/analysis/report.md"
check "contended: ... with the share of B's thread time, under B's line only" \
	sh -c "grep -A1 '^- B t1' '$d/analysis/report.md' | grep -q '  - \*\*warning\*\*: 200 intervals (50% of its thread time) had no traced switch-in' && ! grep -A1 '^- A t1' '$d/analysis/report.md' | grep -q warning"
check "contended: B's contention.txt warns too" \
	grep -q "^Warning: 200 intervals (50% of its thread time) had no traced switch-in" "$d/snapshots/B_t1_contention.txt"
check "contended: the job serving that endpoint is the shared server" grep -q "job api serves 10.0.0.5:2283 (the local side of its connections): it is the shared server" "$d/analysis/report.md"
check "contended: the endpoints table lists A's endpoint at t0 and t1" test "$(grep -c '^| A | t[01] | 10.0.0.5:2283 | 1.00 |' "$d/analysis/report.md")" -eq 2
check "contended: B is Job B" jqe '.job_a == "A" and .job_b == "B"' "$d/analysis/report.json"
check "contended: B's start is marked on the charts" grep -q "B starts" "$d/analysis/socket.svg"

check "uncontended experiment runs" experiment u uncontended
check "uncontended: no ETA degradation" test "$(answer "$TMP/u" "Is the ETA")" = no
check "uncontended: no network contention" test "$(answer "$TMP/u" "Is there network")" = no
check "uncontended: no main cause" test -z "$(main_cause "$TMP/u")"
conf() { jq -r --arg q "$2" '.verdicts[] | select(.question | startswith($q)) | .confidence' "$1/analysis/report.json"; }
check "uncontended: its no is not lowered for want of attribution" test "$(conf "$TMP/u" "Is there network")" != low

# A's slowdown goes to poll waits no socket ended: no resource explains it, so no "no" is firm.
check "poll-rise experiment runs" experiment p pollrise
check "poll rise: ETA degradation confirmed" test "$(answer "$TMP/p" "Is the ETA")" = yes
check "poll rise: network answered no, with low confidence" \
	test "$(answer "$TMP/p" "Is there network")/$(conf "$TMP/p" "Is there network")" = no/low
check "poll rise: ... naming the wait it cannot place" \
	jqe '[.verdicts[] | select(.question | startswith("Is there network")) | .evidence[] | select(test("poll/select/epoll wait ended by no socket.* rose by 20ms"))] | length == 1' "$TMP/p/analysis/report.json"

experiment s short 1
check "too short: every verdict says not enough data" jqe '[.verdicts[].answer] | all(. == "not enough data")' "$TMP/s/analysis/report.json"
check "too short: it says why" grep -q "too few units of work" "$TMP/s/analysis/report.md"

# Errors name their input and leave the folder as it was.
out=$("$CONTRACE" snapshot --dir "$TMP/nothing" --job A --tag t0 2>&1); rc=$?
check "snapshot outside an experiment folder fails" test "$rc" -eq 1
check "  ...and says how to make one" grep -q "is not an experiment folder.*contrace init" <<<"$out"
out=$("$CONTRACE" snapshot --dir "$d" --job A --tag t0 --from "$d/windows.jsonl" --no-sys 2>&1); rc=$?
check "a tag taken twice is refused" grep -q "A_t0_log.txt already exists\|A_t0_contention.json already exists" <<<"$out"
blocks=$(grep -c '^## ' "$d/notes.md")
"$CONTRACE" snapshot --dir "$d" --job A --tag t0 --from "$d/windows.jsonl" --at $((START + 20)) --no-sys --force >/dev/null 2>&1
check "--force replaces the tag's notes.md block, never adds one ($blocks blocks before)" \
	test "$(grep -c '^## ' "$d/notes.md")" -eq "$blocks" -a "$(grep -c '^## A t0$' "$d/notes.md")" -eq 1
check "  ...and keeps the others in their order" \
	test "$(grep '^## ' "$d/notes.md" | tr '\n' '|')" = "## A t1|## B t1|## A t0|"
before=$(ls "$d/snapshots" | wc -l)
out=$("$CONTRACE" snapshot --dir "$d" --job A --tag t2 --log "$TMP/missing.log" --no-sys 2>&1); rc=$?
check "a missing log is named" grep -q "cannot read log $TMP/missing.log" <<<"$out"
check "  ...and nothing is left behind" test "$(ls "$d/snapshots" | wc -l)" -eq "$before"
out=$("$CONTRACE" snapshot --dir "$d" --job nosuch --tag t2 --from "$d/windows.jsonl" --no-sys 2>&1); rc=$?
check "an unknown job is named" grep -q "has no window of job 'nosuch'" <<<"$out"
check "  ...and nothing is left behind" test "$(ls "$d/snapshots" | wc -l)" -eq "$before"
out=$("$CONTRACE" init "$d" 2>&1); rc=$?
check "init never overwrites an experiment" grep -q "already exists: init never overwrites" <<<"$out"
cp "$d/windows.jsonl" "$TMP/corrupt.jsonl"
printf 'garbage\n{"type":"window","jobs":[{"name":"A","cpu":{"oncpu' >>"$TMP/corrupt.jsonl"
out=$("$CONTRACE" snapshot --dir "$d" --job A --tag t9 --from "$TMP/corrupt.jsonl" --no-sys --since-start 2>&1); rc=$?
check "corrupt lines are skipped and reported" grep -q "corrupt.jsonl: 2 lines are not windows" <<<"$out"
check "  ...and the snapshot is still taken" jqe '.span.windows == 40' "$d/snapshots/A_t9_contention.json"
# A field renamed (a recording of another version, or edited): named, never read as zero.
sed 's/"oncpu_ns"/"on_cpu_ns"/g' "$d/windows.jsonl" >"$TMP/renamed.jsonl"
before=$(ls "$d/snapshots" | wc -l)
out=$("$CONTRACE" snapshot --dir "$d" --job A --tag t8 --from "$TMP/renamed.jsonl" --no-sys --since-start 2>&1); rc=$?
check "a renamed field fails the snapshot (status $rc)" test "$rc" -eq 1
check "  ...naming the field" grep -q "renamed.jsonl: [0-9]* entries of job 'A' lack cpu.oncpu_ns" <<<"$out"
check "  ...and nothing is left behind" test "$(ls "$d/snapshots" | wc -l)" -eq "$before"
out=$("$CONTRACE" report --from "$TMP/renamed.jsonl" "$d" 2>&1); rc=$?
check "report on it fails too, naming the field (status $rc)" \
	grep -q "renamed.jsonl: [0-9]* job entries lack cpu.oncpu_ns" <<<"$out"
out=$("$CONTRACE" report "$TMP/nothing" 2>&1); rc=$?
check "report outside an experiment folder fails with a message" grep -q "cannot read $TMP/nothing/snapshots" <<<"$out"

# The sample in the docs is this contended report, with the folder's path replaced.
sed "s|$TMP/c|EXP|g" "$d/analysis/report.md" >"$TMP/example.md"
# Capacity: A alone (t0), A + B (t1), A + B + C (t2) as clients of one server. flat3's server does
# 50 units/s whoever asks: together they do no more work. spare3 serves each client 50 units/s.
capacity() {
	local d=$TMP/$1
	"$CONTRACE" init "$d" >/dev/null
	python3 "$TOP/tests/gen_windows.py" "$d/windows.jsonl" "$1" "$START"
	for s in "A t0 20" "A t1 40" "B t1 40" "A t2 60" "B t2 60" "C t2 60"; do
		set -- $s
		"$CONTRACE" snapshot --dir "$d" --job "$1" --tag "$2" --from "$d/windows.jsonl" \
			--at $((START + $3)) --no-sys >/dev/null || return 1
	done
	"$CONTRACE" report "$d" >"$d/report.out" 2>&1
}
curve() { jq -c '[.capacity.curve[] | [.tag, .jobs, (.units_per_s * 10 | round / 10)]]' "$1/analysis/report.json"; }
check "capacity, flat server: the experiment runs" capacity flat3
check "capacity, flat server: running in parallel does not pay" \
	test "$(answer "$TMP/flat3" "Does running")" = "no: no more work done"
# the generator's rates: 50 units/s at each moment, 1, 2 and 3 jobs
check "capacity, flat server: throughput by concurrency is flat (1, 2, 3 jobs: 50 units/s)" \
	test "$(curve "$TMP/flat3")" = '[["t0",1,50],["t1",2,50],["t2",3,50]]'
check "capacity, flat server: the plain words, with A's 2x time per unit" \
	grep -q "two jobs together do 1.00x the work of one; each unit of A takes 2.00x as long: one after another would finish about as soon" "$TMP/flat3/analysis/report.md"
check "capacity, flat server: it stops rising at one job" \
	grep -q "throughput stops rising at 1 concurrent job (t0)" "$TMP/flat3/analysis/report.md"
# the chart's bars (the legend's swatch is 14 wide): heights in proportion to 50, 50, 50
bars() { grep -o '<rect x="[0-9.]*" y="[0-9.]*" width="[0-9.]*" height="[0-9.]*" fill="#1f77b4"' "$1/analysis/capacity.svg" | grep -v 'width="14"' | sed 's/.*height="\([0-9.]*\)".*/\1/' | paste -sd' '; }
read -r h1 h2 h3 <<<"$(bars "$TMP/flat3")"
check "capacity, flat server: the chart's three bars are equal ($h1 $h2 $h3)" \
	test -n "$h3" -a "$h1" = "$h2" -a "$h2" = "$h3"
check "capacity, server with room: the experiment runs" capacity spare3
read -r h1 h2 h3 <<<"$(bars "$TMP/spare3")"
check "capacity, server with room: the chart's bars rise 1:2:3 ($h1 $h2 $h3)" \
	awk -v a="$h1" -v b="$h2" -v c="$h3" 'BEGIN { exit !(a > 0 && b / a > 1.99 && b / a < 2.01 && c / a > 2.99 && c / a < 3.01) }'
check "capacity, server with room: running in parallel pays" test "$(answer "$TMP/spare3" "Does running")" = yes
check "capacity, server with room: throughput rises with each job (50, 100, 150 units/s)" \
	test "$(curve "$TMP/spare3")" = '[["t0",1,50],["t1",2,100],["t2",3,150]]'
check "capacity, server with room: it is still rising at three jobs" \
	grep -q "throughput still rose with the last job added: 3 concurrent jobs (t2) did the most work" "$TMP/spare3/analysis/report.md"
# contended: A alone 50 units/s, then A 25 + B 25
check "capacity, the contended experiment: together they do no more work" \
	test "$(answer "$TMP/c" "Does running")" = "no: no more work done"
check "capacity, too short an experiment: not enough data" \
	test "$(answer "$TMP/s" "Does running")" = "not enough data"

# A "yes" whose rise is matched by waits contrace cannot place is less sure.
check "mixed rise experiment runs" experiment mx mixedrise
check "mixed rise: network contention is still the answer" test "$(answer "$TMP/mx" "Is there network")" = yes
check "mixed rise: ... with its confidence lowered from high, and why" \
	sh -c "test \"\$(jq -r '.verdicts[] | select(.question | startswith(\"Is there network\")) | .confidence' '$TMP/mx/analysis/report.json')\" = medium && grep -q 'confidence lowered: waits contrace cannot place .* rose by 15ms per unit, comparable to this rise' '$TMP/mx/analysis/report.md'"
check "mixed rise: a share above 100 % of the wall time rise says why (threads at once)" \
	grep -q "(thread time: its threads' waits summed): 20ms at t0, 50ms at t1 (+150%): 30ms of the 20ms rise in wall time per unit (150%: more than all of it, as several of its threads waited at once)" "$TMP/mx/analysis/report.md"
check "contended (no unplaced rise): its yes keeps high confidence" \
	test "$(jq -r '.verdicts[] | select(.question | startswith("Is there network")) | .confidence' "$TMP/c/analysis/report.json")" = high

# The chain: A's socket wait doubles on an endpoint; the report follows it into the server.
chain() {
	local d=$TMP/$1
	"$CONTRACE" init "$d" >/dev/null
	python3 "$TOP/tests/gen_windows.py" "$d/windows.jsonl" "$1" "$START"
	for s in "A t0 20" "A t1 40" "B t1 40"; do
		set -- $s
		"$CONTRACE" snapshot --dir "$d" --job "$1" --tag "$2" --from "$d/windows.jsonl" \
			--at $((START + $3)) --no-sys >/dev/null || return 1
	done
	"$CONTRACE" report "$d" >"$d/report.out" 2>&1 &&
	sed -n '/^## Executive summary/,/^- \*\*/p' "$d/analysis/report.md" >"$d/summary"
}
check "chain, server starved of CPU: the experiment runs" chain starved
# the generator's api: 2 ms of run-queue delay per request alone, 11.2 ms with B and the hog
check "chain, server starved of CPU: the summary follows A's wait into api's run queue, behind the hog" \
	grep -qF "A waits on api (10.0.0.5:2283); api's requests wait 5.6x longer for CPU (2ms per request at t0, 11.2ms at t1), behind hog's work (80% of that wait)" "$TMP/starved/summary"
check "chain, server starved of CPU: report.json names the server and the resource" \
	jqe '.chain.server == "api" and .chain.resource == "CPU (run-queue delay)" and .chain.endpoint == "10.0.0.5:2283"' "$TMP/starved/analysis/report.json"
check "chain, server slowed by its own disk: the summary says so" chain serverdisk
check "chain, server slowed by its own disk: api's requests wait 8x longer on disk" \
	grep -qF "A waits on api (10.0.0.5:2283); api's requests wait 8.0x longer on disk (1ms per request at t0, 8ms at t1)" "$TMP/serverdisk/summary"
check "chain, server slowed by its own disk: no CPU culprit is named for it" \
	bash -c "! grep -q 'waited for a CPU at t1' '$TMP/serverdisk/analysis/report.md'"
check "chain, remote server: the experiment runs" chain remote
check "chain, remote server: inside that server or on the network, and what tells them apart" \
	grep -qF "no job on this node serves 10.0.0.9:5432: A's longer wait is inside that server or on the network. The network's share shows in TCP's smoothed RTT and retransmits (50 us and 0 at t0, 50 us and 0 at t1)" "$TMP/remote/summary"

if [ "${UPDATE_EXAMPLE:-}" = 1 ]; then cp "$TMP/example.md" "$TOP/docs/report-example.md"; fi
check "docs/report-example.md is what report writes today (UPDATE_EXAMPLE=1 rewrites it)" \
	diff -u "$TOP/docs/report-example.md" "$TMP/example.md"

# sys.txt: every command of the plan under its heading; a tool that is not installed is said so.
mkdir -p "$TMP/bin"
for t in sh top vmstat free df uptime sleep cat; do ln -sf "$(command -v $t)" "$TMP/bin/$t"; done
PATH=$TMP/bin "$CONTRACE" snapshot --dir "$d" --job A --tag sys --from "$d/windows.jsonl" --since-start >/dev/null
f=$d/snapshots/A_sys_sys.txt
check "sys.txt has the six sections" test "$(grep -c '^==== \(top -b -n1\|vmstat 1 5\|free -h\|df -h\|iostat -x 1 5\|uptime\) ====$' "$f")" -eq 6
check "  ...with vmstat's 5 samples" test "$(sed -n '/^==== vmstat/,/^====/p' "$f" | grep -cE '^ *[0-9]+ +[0-9]+ ')" -eq 5
check "  ...and iostat, not on PATH, noted as missing" grep -q "(iostat is not installed on this node)" "$f"
