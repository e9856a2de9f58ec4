#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench: what contrace record (everything on, two jobs) costs on context-switch storms.
#   1. wall time of each storm without (A) and with (B) the recorder, interleaved A B A B ...,
#      median and spread of ROUNDS runs each, and the ratio of medians;
#   2. BPF run time per program and per context switch, from the kernel's own counters
#      (kernel.bpf_stats_enabled), in a separate pass so that their cost is not in step 1;
#   3. the recorder's peak RSS and the memory of its maps;
#   4. ns per event of the block, network, fork, exec and exit programs on storms of each.
# Needs root, perf (linux-perf) and a built tree. ROUNDS=5 PIPE_LOOPS=200000 MSG_LOOPS=200.
set -u
source "$(dirname "$0")/../tests/lib.sh"
ROUNDS=${ROUNDS:-5}
PIPE_LOOPS=${PIPE_LOOPS:-200000}
MSG_LOOPS=${MSG_LOOPS:-200}
command -v perf >/dev/null || { echo "bench: perf not found (apt-get install linux-perf)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }

jobA=$(mkcg benchA) && jobB=$(mkcg benchB) || exit 1
storms=(pipe messaging)
storm_cmd() {
	case $1 in
	pipe) in_cg "$jobA" taskset -c 0 perf bench sched pipe -l "$PIPE_LOOPS" ;;
	messaging) in_cg "$jobA" perf bench sched messaging -g 10 -l "$MSG_LOOPS" ;;
	esac
}
ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }

# run STORM: prints "seconds switches" for one run.
run() {
	local c0 c1 t
	c0=$(ctxt)
	t=$(storm_cmd "$1" 2>&1 | awk '/Total time:/ {print $3}')
	c1=$(ctxt)
	echo "$t $((c1 - c0))"
}

recorder_on() { rec_start "$TMP/rec" -i 1 --job benchA="$jobA" --job benchB="$jobB" "$@" >/dev/null; }
recorder_off() { rec_stop >/dev/null 2>&1; }

stats() { # median min max of the numbers on stdin
	sort -g | awk '{v[NR] = $1} END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f", m, v[1], v[NR] }'
}

echo "contrace bench: $(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds, interleaved A (no tracing) / B (contrace record)"
for s in "${storms[@]}"; do
	: >"$TMP/$s.A"
	: >"$TMP/$s.B"
	for r in $(seq "$ROUNDS"); do
		run "$s" >>"$TMP/$s.A"
		recorder_on || exit 1
		run "$s" >>"$TMP/$s.B"
		recorder_off
	done
	read -r ma mina maxa <<<"$(awk '{print $1}' "$TMP/$s.A" | stats)"
	read -r mb minb maxb <<<"$(awk '{print $1}' "$TMP/$s.B" | stats)"
	sw=$(awk '{s += $2 / $1; n++} END {printf "%.0f", s / n}' "$TMP/$s.A")
	printf '%-10s A %ss [%s-%s]  B %ss [%s-%s]  B/A %.3f (%+.1f%% wall)  %s switches/s\n' \
		"$s" "$ma" "$mina" "$maxa" "$mb" "$minb" "$maxb" \
		"$(awk -v a="$ma" -v b="$mb" 'BEGIN {print b / a}')" \
		"$(awk -v a="$ma" -v b="$mb" 'BEGIN {print (b / a - 1) * 100}')" "$sw"
done

# BPF cost per program and per context switch, from the kernel's counters.
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
recorder_on || exit 1
# contrace's programs and maps, by name (this bpftool may not report owning pids).
progs() { bpftool prog show -j | jq -c '[.[] | select(.name | startswith("ct_")) | {name, t: (.run_time_ns // 0), n: (.run_cnt // 0)}]'; }
for s in "${storms[@]}"; do
	p0=$(progs)
	c0=$(ctxt)
	storm_cmd "$s" >/dev/null 2>&1
	c1=$(ctxt)
	p1=$(progs)
	jq -n -r --argjson a "$p0" --argjson b "$p1" --argjson sw $((c1 - c0)) --arg s "$s" '
		[$b[] as $x | ($a[] | select(.name == $x.name)) as $y | {name: $x.name, t: ($x.t - $y.t), n: ($x.n - $y.n)}] as $d
		| ($d | map("  \(.name): \(if .n > 0 then (.t / .n | floor) else 0 end) ns x \(.n) runs") | join("\n")) as $per
		| "\($s): BPF time per context switch, all programs: \(([$d[].t] | add) / $sw | floor) ns (\($sw) switches)\n\($per)"'
done
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$REC_PID/status")
maps=$(bpftool map show -j | jq '[.[] | select(.name | startswith("ct_") or startswith("contrace.")) | .bytes_memlock // 0] | add')
recorder_off
# Block and network programs: their own ns per event, on the busiest I/O this machine does;
# with --socket-bytes, so that the per-send and per-receive programs are measured too.
recorder_on --socket-bytes || exit 1
# fio: 4 KiB random reads, 16 in flight, on a loop device over a file in the page cache (no
# disk behind it: the highest IOPS here). Network: a loopback request storm (ctwork: one byte
# each way, answered at once).
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
echo "recorder (storms): peak RSS $rss; BPF maps $((maps / 1024)) KiB"
sysctl -q kernel.bpf_stats_enabled="$old"
