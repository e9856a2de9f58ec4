#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench: what contrace record (everything on, two jobs) costs on context-switch storms.
#   1. each storm (perf bench sched pipe, pinned: two tasks; perf bench sched messaging: 400
#      tasks on unix sockets; the same on pipes, "messaging-pipes") under no tracer,
#      the floor (empty tp_btf programs on sched_switch and sched_wakeup), the per-task floor
#      (the same plus each task's state and its scheduler counters: tests/workload/pertask.bpf.c,
#      the state in an array as contrace keeps it; "ptstorage": in task storage),
#      bpftrace's runqlat (scripts/runqlat.bt) and contrace,
#      interleaved in each of ROUNDS rounds: BPF time per context switch from the kernel's own
#      counters (kernel.bpf_stats_enabled), median and spread, contrace's ratio to the floor,
#      to the per-task floor and to runqlat, wall time against no tracer, and contrace's time by
#      program;
#   2. the recorder's peak RSS during the storms and the memory of its maps;
#   3. ns per event of the block, network, fork, exec and exit programs on storms of each.
# Absolute ns vary from run to run on a VM; the ratios measured in one run are what to quote.
# Needs root, perf (linux-perf), bpftrace and a built tree. ROUNDS=5 PIPE_LOOPS=200000
# MSG_LOOPS=200 USER_S=120; PARTS=1 (or 3, 4, 13...) runs only those parts, STORMS=messaging
# only that storm; PEER_CONTRACE=/path/to/another/contrace adds that build's recorder to part
# 1's interleaved tools (as "peer": this build / peer per storm, measured in the same rounds, and
# the peer's programs one by one)
# and runs it beside this one in part 4, on the same jobs, and prints the ratio of their CPU.
set -u
source "$(dirname "$0")/../tests/lib.sh"
ROUNDS=${ROUNDS:-5}
PIPE_LOOPS=${PIPE_LOOPS:-200000}
MSG_LOOPS=${MSG_LOOPS:-200}
PARTS=${PARTS:-1234}
part() { [[ $PARTS == *$1* ]]; }
command -v perf >/dev/null || { echo "bench: perf not found (apt-get install linux-perf)" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "bench: bpftrace not found (apt-get install bpftrace)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }

jobA=$(mkcg benchA) && jobB=$(mkcg benchB) || exit 1
read -r -a storms <<<"${STORMS:-pipe messaging messaging-pipes}"
storm_cmd() {
	case $1 in
	pipe) in_cg "$jobA" taskset -c 0 perf bench sched pipe -l "$PIPE_LOOPS" ;;
	messaging) in_cg "$jobA" perf bench sched messaging -g 10 -l "$MSG_LOOPS" ;;
	messaging-pipes) in_cg "$jobA" perf bench sched messaging -p -g 10 -l "$MSG_LOOPS" ;;
	esac
}
ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }

recorder_on() { rec_start "$TMP/rec" -i 1 --job benchA="$jobA" --job benchB="$jobB" "$@" >/dev/null; }
recorder_off() { rec_stop >/dev/null 2>&1; }

stats() { # median min max of the numbers on stdin
	sort -g | awk '{v[NR] = $1} END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f", m, v[1], v[NR] }'
}

# Program ids now loaded, one per line.
prog_ids() { bpftool prog show -j | jq -r '.[].id' | sort; }
# Run time and runs of the programs whose ids are in $TOOL_IDS: a JSON array.
tool_progs() {
	bpftool prog show -j | jq -c --argjson ids "$TOOL_IDS" \
		'[.[] | select(.id as $i | $ids | index($i)) | {name, t: (.run_time_ns // 0), n: (.run_cnt // 0)}]'
}
# tool_on TOOL: start TOOL (floor, pertask, ptstorage, runqlat or contrace); TOOL_IDS are the
# programs it loaded.
FLOOR_PID=
tool_on() {
	local before i obj
	before=$(prog_ids)
	case $1 in
	none) ;;
	floor | pertask | ptstorage)
		obj=$1
		[ "$1" = ptstorage ] && obj=pertask-storage
		"$TOP/.output/ctfloor" "$TOP/.output/$obj.bpf.o" >"$TMP/$1.out" 2>&1 &
		FLOOR_PID=$!
		for i in $(seq 100); do grep -q attached "$TMP/$1.out" && break; sleep 0.05; done
		grep -q attached "$TMP/$1.out" || { cat "$TMP/$1.out" >&2; return 1; } ;;
	runqlat) bt_start "$TMP/runqlat.json" "$TOP/scripts/runqlat.bt" || return 1 ;;
	contrace) recorder_on || return 1 ;;
	peer) CONTRACE=$PEER_CONTRACE recorder_on || return 1 ;;
	esac
	TOOL_IDS=$(comm -13 <(echo "$before") <(prog_ids) | jq -s -c .)
}
tool_off() {
	case $1 in
	floor | pertask | ptstorage) kill -INT "$FLOOR_PID" && wait "$FLOOR_PID" ;;
	runqlat) bt_stop >/dev/null ;;
	contrace | peer) recorder_off ;;
	esac
}

# 1. Each storm under no tracer, the floor, the per-task floor, bpftrace's runqlat and contrace
# (and the peer), interleaved in each round (the order rotates from round to round), with
# kernel.bpf_stats_enabled on for all of them. One line per run in $TMP/STORM.TOOL:
# "wall_s switches bpf_ns".
tools=(none floor pertask ptstorage runqlat contrace ${PEER_CONTRACE:+peer})
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
echo "contrace bench: $(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds; each storm under no tracer, the floor (empty tp_btf programs on sched_switch and sched_wakeup), the per-task floor (the same plus per-task state and the scheduler's counters at each switch-out; in an array, and in task storage), bpftrace's runqlat (scripts/runqlat.bt) and contrace record (everything on, two jobs), interleaved"
part 1 && for s in "${storms[@]}"; do
	for t in "${tools[@]}"; do : >"$TMP/$s.$t"; done
	: >"$TMP/$s.contrace.progs"
	: >"$TMP/$s.peer.progs"
	for r in $(seq "$ROUNDS"); do
		for k in "${!tools[@]}"; do
			t=${tools[$(((k + r) % ${#tools[@]}))]}
			TOOL_IDS='[]'
			tool_on "$t" || exit 1
			p0=$(tool_progs)
			c0=$(ctxt)
			wall=$(storm_cmd "$s" 2>&1 | awk '/Total time:/ {print $3}')
			c1=$(ctxt)
			p1=$(tool_progs)
			if [ "$t" = contrace ]; then
				rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$REC_PID/status")
				maps=$(bpftool map show -j | jq '[.[] | select(.name | startswith("ct_") or startswith("contrace.")) | .bytes_memlock // 0] | add')
			fi
			tool_off "$t"
			jq -n -r --argjson a "$p0" --argjson b "$p1" --arg w "$wall" --argjson sw $((c1 - c0)) \
				'"\($w) \($sw) \(([$b[].t] | add // 0) - ([$a[].t] | add // 0))"' >>"$TMP/$s.$t"
			[ "$t" = contrace ] || [ "$t" = peer ] && jq -n -c --argjson a "$p0" --argjson b "$p1" \
				'[$b[] as $x | ($a[] | select(.name == $x.name)) as $y | {name: $x.name, t: ($x.t - $y.t), n: ($x.n - $y.n)}]' \
				>>"$TMP/$s.$t.progs"
		done
	done
	# BPF ns per switch and wall seconds, median [min-max] over the rounds, per tool.
	declare -A ns wall nsr wallr
	for t in "${tools[@]}"; do
		read -r m lo hi <<<"$(awk '{print $3 / $2}' "$TMP/$s.$t" | stats)"
		ns[$t]=$m
		nsr[$t]="$(printf '%.0f [%.0f-%.0f]' "$m" "$lo" "$hi")"
		read -r m lo hi <<<"$(awk '{print $1}' "$TMP/$s.$t" | stats)"
		wall[$t]=$m
		wallr[$t]="$m s [$lo-$hi]"
	done
	sw=$(awk '{s += $2 / $1; n++} END {printf "%.0f", s / n}' "$TMP/$s.none")
	echo "$s storm ($sw switches/s): BPF time per context switch, median [min-max] ns"
	for t in floor pertask ptstorage runqlat contrace ${PEER_CONTRACE:+peer}; do
		printf '  %-9s %-22s wall %s (%+.1f%% vs none)\n' "$t" "${nsr[$t]}" "${wallr[$t]}" \
			"$(awk -v a="${wall[none]}" -v b="${wall[$t]}" 'BEGIN {print (b / a - 1) * 100}')"
	done
	printf '  %-9s %-22s wall %s\n' none "" "${wallr[none]}"
	printf '  contrace / floor %.2fx   per-task floor / floor %.2fx   contrace / per-task floor %.2fx   per-task floor in task storage / floor %.2fx   contrace / runqlat %.2fx\n' \
		"$(awk -v a="${ns[contrace]}" -v b="${ns[floor]}" 'BEGIN {print a / b}')" \
		"$(awk -v a="${ns[pertask]}" -v b="${ns[floor]}" 'BEGIN {print a / b}')" \
		"$(awk -v a="${ns[contrace]}" -v b="${ns[pertask]}" 'BEGIN {print a / b}')" \
		"$(awk -v a="${ns[ptstorage]}" -v b="${ns[floor]}" 'BEGIN {print a / b}')" \
		"$(awk -v a="${ns[contrace]}" -v b="${ns[runqlat]}" 'BEGIN {print a / b}')"
	[ -n "${PEER_CONTRACE:-}" ] && printf '  contrace / peer %.2fx   peer / floor %.2fx\n' \
		"$(awk -v a="${ns[contrace]}" -v b="${ns[peer]}" 'BEGIN {print a / b}')" \
		"$(awk -v a="${ns[peer]}" -v b="${ns[floor]}" 'BEGIN {print a / b}')"
	# contrace's programs (and the peer's), summed over its rounds
	for t in contrace ${PEER_CONTRACE:+peer}; do
		[ -n "${PEER_CONTRACE:-}" ] && echo "  $t's programs:"
		jq -s -r --argjson sw "$(awk '{s += $2} END {print s}' "$TMP/$s.$t")" '
			[.[][]] | group_by(.name) | map({name: .[0].name, t: ([.[].t] | add), n: ([.[].n] | add)})
			| map(select(.n > 0)) | sort_by(-.t)
			| map("    \(.name): \(.t / .n | floor) ns x \(.n) runs (\(.t / $sw | floor) ns per switch)") | join("\n")' \
			"$TMP/$s.$t.progs"
	done
done
if part 3; then
# Block and network programs: their own ns per event, on the busiest I/O this machine does;
# with --socket-bytes, so that the per-send and per-receive programs are measured too.
recorder_on --socket-bytes || exit 1
# fio: 4 KiB random reads, 16 in flight, on a loop device over a file in the page cache (no
# disk behind it: the highest IOPS here). Network: a loopback request storm (ctwork: one byte
# each way, answered at once).
# contrace's programs, by name (this bpftool may not report owning pids).
progs() { bpftool prog show -j | jq -c '[.[] | select(.name | startswith("ct_")) | {name, t: (.run_time_ns // 0), n: (.run_cnt // 0)}]'; }
# cost STORM-NAME CMD...: run CMD between two reads of the programs' counters.
cost() {
	local name=$1 p0 p1
	shift
	p0=$(progs)
	"$@" >"$TMP/cost.out" 2>&1
	p1=$(progs)
	jq -n -r --argjson a "$p0" --argjson b "$p1" --arg s "$name" '
		[$b[] as $x | ($a[] | select(.name == $x.name)) as $y | {name: $x.name, t: ($x.t - $y.t), n: ($x.n - $y.n)}]
		| map(select(.n > 0)) | sort_by(-.t)
		| "\($s): BPF time by program (ns per run x runs)\n" + (map("  \(.name): \(.t / .n | floor) ns x \(.n)") | join("\n"))'
}
if command -v fio >/dev/null; then
	truncate -s 256M "$TMP/bench.img"
	loop=$(losetup -f --show "$TMP/bench.img")
	on_exit losetup -d "$loop"
	dd if=/dev/zero of="$loop" bs=1M count=256 status=none
	cost "fio randread 4k QD16 on $(basename "$loop")" in_cg "$jobA" fio --name=bench \
		--filename="$loop" --direct=1 --rw=randread --bs=4k --ioengine=libaio --iodepth=16 \
		--runtime=5 --time_based --output-format=json
	echo "  fio: $(jq '.jobs[0].read.iops | floor' "$TMP/cost.out") IOPS with the recorder on"
fi
port=$((20000 + $$ % 10000))
in_cg "$jobB" "$CTWORK" server $port 0 20000 >"$TMP/bench.srv" &
for i in $(seq 50); do grep -q listening "$TMP/bench.srv" && break; sleep 0.1; done
cost "loopback storm, 20000 requests" in_cg "$jobA" "$CTWORK" client $port 20000
echo "  storm: $(jq '20000 / (.wall_ns / 1e9) | floor' "$TMP/cost.out") requests/s with the recorder on"
recorder_off
# Fork, exec and exit hooks: their ns per event with --jenkins (an exec reads the new
# environment), on a spawn storm inside a build (a short process each time, as a build's make
# or shell steps start them).
recorder_on --jenkins || exit 1
BUILD_TAG=jenkins-bench-1 cost "spawn storm under a build, 5 s" in_cg "$jobA" "$CTWORK" spawn 1000 5
echo "  spawn: $(jq '.spawned / 5 | floor' "$TMP/cost.out") processes/s with the recorder on"
recorder_off
fi
part 1 && echo "recorder (storms): peak RSS $rss; BPF maps $((maps / 1024)) KiB"
sysctl -q kernel.bpf_stats_enabled="$old"

# 4. User space: 100 jobs at 1 s windows (--jobs-under, one child cgroup each, every job a
# process that sleeps 20 ms at a time), the recorder's CPU share (utime + stime over wall, from
# /proc/PID/stat) and resident memory, sampled every 10 s for USER_S seconds (USER_S=3600
# for the hour the target speaks of).
USER_S=${USER_S:-120}
part 4 || exit 0
parent=$(mkcg bench100) || exit 1
for i in $(seq 100); do
	mkdir "$parent/job$i" || exit 1
	in_cg "$parent/job$i" "$CTWORK" sleep 20 $((USER_S * 50 + 1000)) >/dev/null &
	PIDS+=($!)
done
rec_start "$TMP/rec100" -i 1 --max-jobs 128 --jobs-under "$parent" >/dev/null || exit 1
PEER_PID=
if [ -n "${PEER_CONTRACE:-}" ]; then
	"$PEER_CONTRACE" record -q -o "$TMP/peer100" -i 1 --max-jobs 128 --jobs-under "$parent" \
		2>"$TMP/peer100.err" &
	PEER_PID=$!
	on_exit kill -INT "$PEER_PID"
fi
tck=$(getconf CLK_TCK)
# sample: "seconds cpu_ticks rss_kib [peer_cpu_ticks]" of the recorder (and the peer) now
sample() {
	echo "$(awk '{print $1}' /proc/uptime) $(awk '{print $14 + $15}' "/proc/$REC_PID/stat") $(awk '/VmRSS/ {print $2}' "/proc/$REC_PID/status") ${PEER_PID:+$(awk '{print $14 + $15}' "/proc/$PEER_PID/stat")}"
}
sleep 10
: >"$TMP/user.samples"
for i in $(seq $((USER_S / 10))); do
	sample >>"$TMP/user.samples"
	sleep 10
done
sample >>"$TMP/user.samples"
nwin=$(grep -c '"type":"window"' "$TMP/rec100/windows.jsonl")
njobs=$(tail -1 "$TMP/rec100/windows.jsonl" | jq '.jobs | length')
recorder_off
awk -v tck="$tck" -v nwin="$nwin" -v njobs="$njobs" '
	NR == 1 { t0 = $1; c0 = $2; r0 = $3; max = $3; p0 = $4 }
	{ t = $1; c = $2; r = $3; if (r > max) max = r; p = $4 }
	END {
		printf "user space, %d jobs in the last window, 1 s windows, %.0f s (%d windows): CPU %.2f %% of one CPU; RSS %.1f MiB after 10 s, %.1f MiB at the end, peak %.1f MiB (%+.1f KiB per minute)\n",
			njobs, t - t0, nwin, (c - c0) / tck / (t - t0) * 100, r0 / 1024, r / 1024, max / 1024, (r - r0) / ((t - t0) / 60)
		if (p != "")
			printf "peer build beside it, same jobs and windows: CPU %.2f %% of one CPU; this build / peer = %.2f\n",
				(p - p0) / tck / (t - t0) * 100, (p - p0) ? (c - c0) / (p - p0) : 0
	}' "$TMP/user.samples"
