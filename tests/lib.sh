# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the integration tests: result lines, tolerance checks, cgroups that are always
# removed (even when a test fails or is interrupted), and a recorder run in the background.
# Each check prints "ok - NAME" or "not ok - NAME", which tests/run.sh counts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONTRACE=$TOP/contrace
CTWORK=$TOP/.output/ctwork
TMP=$(mktemp -d /tmp/contrace-test.XXXXXX)
PIDS=()
REC_PID=

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; return 1; }

# check NAME CMD...: passes when CMD succeeds. check, within and between return 1 when they
# fail, so that `check ... || diagnostics` prints what a failure needs.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# within NAME MEASURED EXPECTED PCT: |measured - expected| <= PCT % of expected.
within() {
	local name=$1 m=$2 e=$3 pct=$4 msg
	msg=$(awk -v m="$m" -v e="$e" 'BEGIN { printf "measured %.4g, expected %.4g (%+.1f%%)", m, e, e ? (m - e) * 100 / e : 0 }')
	if awk -v m="$m" -v e="$e" -v p="$pct" 'BEGIN { d = m - e; if (d < 0) d = -d; exit !(e > 0 && d <= e * p / 100) }'; then
		ok "$name: $msg, within $pct%"
	else
		not_ok "$name: $msg, not within $pct%"
	fi
}

# between NAME VALUE LO HI: LO <= VALUE <= HI.
between() {
	local name=$1 v=$2 lo=$3 hi=$4
	if awk -v v="$v" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(v >= lo && v <= hi) }'; then
		ok "$name: $v in [$lo, $hi]"
	else
		not_ok "$name: $v not in [$lo, $hi]"
	fi
}

# The cgroup v2 mount (hybrid: /sys/fs/cgroup/unified; pure v2: /sys/fs/cgroup).
cg_root() {
	local d
	for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { echo "$d"; return; }
	done
	return 1
}
CG2=$(cg_root)

# mkcg NAME [ROOT]: create a test cgroup, print its path. Usually called as $(mkcg ...), in a
# subshell, so cleanup finds them by their prefix (this script's pid) rather than a list.
CG_PREFIX=contrace-test-$$-
mkcg() {
	local path=${2:-$CG2}/$CG_PREFIX$1
	mkdir -p "$path" && echo "$path"
}

rmcg() {
	local cg=$1 sub pid i
	[ -d "$cg" ] || return 0
	for sub in $(find "$cg" -mindepth 1 -depth -type d 2>/dev/null); do rmcg "$sub"; done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if [ -f "$cg/cgroup.kill" ]; then
			echo 1 >"$cg/cgroup.kill" 2>/dev/null
		else
			for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		fi
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# could not remove $cg" >&2
}

# on_exit CMD...: run CMD at cleanup (after the recorder and workloads are stopped), last
# registered first: network namespaces, loop devices, swap.
AT_EXIT=()
on_exit() { AT_EXIT=("$(printf '%q ' "$@")" "${AT_EXIT[@]}"); }

cleanup() {
	local p cg c
	[ -n "$REC_PID" ] && kill -INT "$REC_PID" 2>/dev/null && wait "$REC_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for c in "${AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
	for cg in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG_PREFIX*" 2>/dev/null); do
		rmcg "$cg"
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_cg CGROUP CMD...: run CMD inside CGROUP (it moves itself in before exec). The process's
# on-CPU time and run-queue delay as it enters the cgroup go to CMD in CTWORK_T0 (the kernel's
# schedstat), so that ctwork counts its main thread's time in the job from there, not from
# main(): exec and the dynamic loader run in the job too.
in_cg() {
	local cg=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && read -r on d n </proc/$$/schedstat &&
		export CTWORK_T0="$on $d" && shift && exec "$@"' sh "$cg" "$@"
}

# rec_start OUTDIR ARGS...: start `contrace record -q -o OUTDIR ARGS...`; wait until attached.
rec_start() {
	local out=$1 i
	shift
	"$CONTRACE" record -q -o "$out" "$@" 2>"$out.err" &
	REC_PID=$!
	for i in $(seq 150); do
		grep -q '^contrace: recording' "$out.err" 2>/dev/null && return 0
		kill -0 "$REC_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# recorder did not start:" >&2
	sed 's/^/#   /' "$out.err" >&2
	return 1
}

# rec_stop: Ctrl-C the recorder, wait for it; its exit status is the result.
rec_stop() {
	local rc
	kill -INT "$REC_PID"
	wait "$REC_PID"
	rc=$?
	REC_PID=
	return $rc
}

# bt_start OUT SCRIPT ARGS...: run a peer's bpftrace SCRIPT (-f json into OUT) in the
# background; wait until its probes are attached. Mounts tracefs when it is not (bpftrace
# reads tracepoint formats there) and unmounts it at exit. bt_stop: Ctrl-C it, wait.
BT_PID=
bt_start() {
	local out=$1 i before n prev=-1
	shift
	if [ ! -e /sys/kernel/tracing/available_events ]; then
		mount -t tracefs nodev /sys/kernel/tracing || return 1
		on_exit umount /sys/kernel/tracing
	fi
	# emptied here, not by the background job's redirection: the wait below must not find the
	# previous run's attached_probes in a file reused from round to round (make bench)
	: >"$out"
	before=$(bpftool prog show -j | jq -r '.[].id' | sort)
	BPFTRACE_MAP_KEYS_MAX=65536 bpftrace -f json "$@" >"$out" 2>"$out.err" &
	BT_PID=$!
	PIDS+=("$BT_PID")
	for i in $(seq 300); do
		if grep -q attached_probes "$out" 2>/dev/null; then
			# bpftrace prints it as it begins to attach (text mode: "Attaching N probes..."):
			# wait until its programs are loaded and their number holds for 0.3 s
			for i in $(seq 30); do
				n=$(comm -13 <(echo "$before") <(bpftool prog show -j | jq -r '.[].id' | sort) | wc -l)
				[ "$n" -gt 0 ] && [ "$n" = "$prev" ] && return 0
				prev=$n
				sleep 0.3
			done
			echo "# bpftrace's programs did not settle" >&2
			return 1
		fi
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# bpftrace did not start:" >&2
	sed 's/^/#   /' "$out.err" >&2
	return 1
}
# bpftrace once sat on its SIGINT for 10 minutes (disk.sh, locally) until a second one: after
# 20 s, one more, said on stderr, rather than a suite that hangs.
bt_stop() {
	local i
	kill -INT "$BT_PID" || return 1
	for i in $(seq 200); do
		kill -0 "$BT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BT_PID" 2>/dev/null; then
		echo "# bpftrace still running 20 s after SIGINT: a second SIGINT" >&2
		kill -INT "$BT_PID"
	fi
	wait "$BT_PID"
}

# jsum FILE JOB PATH: sum of .PATH over every window's entry for JOB (0 when absent).
jsum() {
	jq -s --arg j "$2" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \$j) | .$3 // 0] | add // 0" "$1"
}

# culprit FILE VICTIM CULPRIT: run-queue delay of VICTIM charged to CULPRIT, summed.
culprit() {
	jq -s --arg v "$2" --arg c "$3" '[.[] | select(.type == "window") | .jobs[] | select(.name == $v) | .culprits[] | select(.job == $c) | .runq_ns] | add // 0' "$1"
}

# ep FILE JOB ENDPOINT FIELD: .FIELD of JOB's entries for ENDPOINT, summed over windows.
ep() {
	jq -s --arg j "$2" --arg e "$3" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \$j) | .net.endpoints[] | select(.endpoint == \$e) | .$4 // 0] | add // 0" "$1"
}

# jqe EXPR FILE: jq -e EXPR FILE (one JSON document), quietly; for check.
jqe() { jq -e "$1" "$2" >/dev/null; }

# jqt FILE EXPR: jq -s -e EXPR over FILE, quietly; for check.
jqt() { jq -s -e "$2" "$1" >/dev/null; }

# field JSONLINE KEY: a number from ctwork's closing JSON line.
field() { jq -r ".$2" <<<"$1"; }
