#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The whole experiment of docs/experiment.md on synthetic jobs, in about two minutes:
#   api   a local HTTP "API server" serving one request at a time (CPU, a synced disk write and a
#         fixed delay per request), in its own cgroup;
#   jobA  a Python client fetching items from it under cProfile, printing [PERF] lines;
#   jobB  the same, started after t0 (it prints the other [PERF] shape).
# jobA and jobB are builds of one "agent" in one cgroup, as a Jenkins agent runs them, told
# apart by their BUILD_TAG (record --jenkins). It records all three, snapshots jobA at t0 (alone), jobA and jobB at t1 (together), and
# writes the report. Needs root and a built tree (make).
#   sudo scripts/experiment.sh [DIR]          (default: ./contrace-experiment)
# Environment: ALONE_S (40) and TOGETHER_S (40): seconds before each snapshot; INTERVAL (2):
# window length; SNAPSHOT_OPTS: extra snapshot options (the tests pass --no-sys); CONCURRENCY
# (1): connections each job multiplexes in one thread (asyncio, waiting in epoll) when above 1;
# HOG=1: a CPU hog (one busy loop per CPU) in a cgroup of its own, job "hog", starts with jobB
# and starves the API server.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-contrace-experiment}
alone=${ALONE_S:-40}
together=${TOGETHER_S:-40}
interval=${INTERVAL:-2}
# Below the ephemeral range (32768 and up), as services are: contrace names a connection
# by the side whose port is the service's.
port=${PORT:-$((20000 + RANDOM % 10000))}
ct=$top/contrace
[ "$(id -u)" -eq 0 ] || { echo "experiment: run as root (it loads BPF and makes cgroups)" >&2; exit 1; }
[ -x "$ct" ] || { echo "experiment: build first (make)" >&2; exit 1; }

root=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { root=$d; break; }
done
[ -n "$root" ] || { echo "experiment: no cgroup v2 mount found" >&2; exit 1; }
tag=contrace-exp-$$
cg_api=$root/$tag-api cg_agent=$root/$tag-agent cg_hog=$root/$tag-hog
hog=()
[ -n "${HOG:-}" ] && hog=(--job hog="$cg_hog")
# the demo's processes are no build of a Jenkins that may be running this script
unset BUILD_TAG JENKINS_NODE_COOKIE
rec= pids=()
cleanup() {
	local p cg i k
	# The jobs first, the server last, so no job sees its server go away.
	for ((k = ${#pids[@]} - 1; k >= 0; k--)); do
		kill -TERM "${pids[k]}" 2>/dev/null || true
		wait "${pids[k]}" 2>/dev/null || true
	done
	[ -n "$rec" ] && { kill -INT "$rec" 2>/dev/null; wait "$rec" 2>/dev/null || true; }
	for cg in "$cg_api" "$cg_agent" "$cg_hog"; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		for i in $(seq 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}
trap cleanup EXIT
# "${in_cg[@]}" CGROUP CMD...: CMD in CGROUP. Not a function: "func &" would fork a subshell,
# and $! would be that subshell rather than CMD, which then never gets our SIGTERM.
in_cg=(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh)
say() { echo "experiment: $*"; }

"$ct" init "$dir" >/dev/null
work=$dir/work
mkdir -p "$work" "$cg_api" "$cg_agent"
[ -n "${HOG:-}" ] && mkdir -p "$cg_hog"
"${in_cg[@]}" "$cg_api" python3 "$top/scripts/demo/api_server.py" "$port" "$work" &
pids+=($!)
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

"$ct" record -q -i "$interval" -o "$dir/recording" --job api="$cg_api" --job agent="$cg_agent" \
	"${hog[@]}" --jenkins --log jobA="$work/jobA.log" --log jobB="$work/jobB.log" &
rec=$!
sleep 1
say "recording api, the agent and its builds (jobA, jobB by BUILD_TAG) every ${interval}s into $dir/recording/windows.jsonl"
say "jobA starts alone; snapshot t0 in ${alone}s"
BUILD_TAG=jobA JENKINS_NODE_COOKIE=node-a "${in_cg[@]}" "$cg_agent" \
	python3 "$top/scripts/demo/job.py" --port "$port" --profile "$work/jobA.stats" \
	--concurrency "${CONCURRENCY:-1}" \
	>"$work/jobA.log" 2>&1 &
pids+=($!)
sleep "$alone"
# shellcheck disable=SC2086
"$ct" snapshot ${SNAPSHOT_OPTS:-} --dir "$dir" --job jobA --tag t0 --log "$work/jobA.log" \
	--profile "$work/jobA.stats"
say "jobB starts beside jobA; snapshot t1 in ${together}s"
BUILD_TAG=jobB JENKINS_NODE_COOKIE=node-b "${in_cg[@]}" "$cg_agent" \
	python3 "$top/scripts/demo/job.py" --port "$port" --profile "$work/jobB.stats" \
	--concurrency "${CONCURRENCY:-1}" \
	--shape counter >"$work/jobB.log" 2>&1 &
pids+=($!)
if [ -n "${HOG:-}" ]; then
	say "a CPU hog starts beside them (job hog)"
	for i in $(seq "$(nproc)"); do
		"${in_cg[@]}" "$cg_hog" sh -c 'while :; do :; done' &
		pids+=($!)
	done
fi
sleep "$together"
# shellcheck disable=SC2086
"$ct" snapshot ${SNAPSHOT_OPTS:-} --dir "$dir" --job jobA --tag t1 --log "$work/jobA.log" \
	--profile "$work/jobA.stats"
# shellcheck disable=SC2086
"$ct" snapshot ${SNAPSHOT_OPTS:-} --dir "$dir" --job jobB --tag t1 --log "$work/jobB.log" \
	--profile "$work/jobB.stats"
cleanup
pids=() rec=
trap - EXIT
"$ct" report "$dir"
say "the report is $dir/analysis/report.md (charts beside it); snapshots in $dir/snapshots"
