#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The README's first command. Installs what contrace needs (Debian packages), builds it, and
# records two synthetic jobs contending for CPU for about 30 s:
#   api    2 threads that wake every millisecond and work 100 us, like a request handler;
#   batch  4 busy threads (more than this machine's CPUs), started 12 s in.
# Then it says, from windows.jsonl, how long api waited for a CPU alone and with batch, and
# whom contrace blames. Usage: sudo scripts/demo.sh [OUTDIR]   (default: ./contrace-demo)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-contrace-demo}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: contrace loads BPF programs and creates cgroups: run it as root (sudo $0)" >&2
	exit 1
fi
"$top/scripts/install-deps.sh"
make -C "$top" -s all

root=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { root=$d; break; }
done
[ -n "$root" ] || { echo "demo: no cgroup v2 mount found" >&2; exit 1; }
api=$root/contrace-demo-api
batch=$root/contrace-demo-batch
rec=
cleanup() {
	[ -n "$rec" ] && kill -INT "$rec" 2>/dev/null && wait "$rec" 2>/dev/null
	for cg in "$api" "$batch"; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}
trap cleanup EXIT
mkdir -p "$api" "$batch"
run_in() { local cg=$1; shift; sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }

echo "demo: recording jobs api and batch every 5 s into $out/windows.jsonl"
"$top/contrace" record -i 5 -o "$out" --job api="$api" --job batch="$batch" &
rec=$!
sleep 1
run_in "$api" "$top/.output/ctwork" wake 2 30 >/dev/null &
sleep 12
echo "demo: starting batch (4 busy threads) at 12 s"
run_in "$batch" "$top/.output/ctwork" spin 4 18 >/dev/null
wait %2 2>/dev/null || true
sleep 1
kill -INT "$rec"
wait "$rec" || true
rec=

# What the windows say: api's run-queue delay per wait, alone and beside batch, and culprits.
jq -s -r '
  [.[] | select(.type == "window")] as $w
  | [$w[] | {b: ((.jobs[] | select(.name == "batch") | .cpu.oncpu_ns) > 1e9),
             a: (.jobs[] | select(.name == "api"))}] as $rows
  | def mean(f): ([.[] | f] | add) as $t | ([.[] | .a.runq.count] | add) as $n
        | if $n > 0 then $t / $n / 1000 else 0 end;
    def culprit: [.[] | .a.culprits[]] | group_by(.job)
        | map({job: .[0].job, ns: (map(.runq_ns) | add)}) | sort_by(-.ns)
        | (map(.ns) | add) as $all | .[0] | "\(.job) (\(.ns * 100 / $all | floor)% of it)";
    ([$rows[] | select(.b | not)]) as $alone | ([$rows[] | select(.b)]) as $busy
  | "",
    "api alone:      \($alone | mean(.a.runq.ns) | . * 10 | floor / 10) us of run-queue wait per wakeup over \($alone | length) windows",
    "api with batch: \($busy | mean(.a.runq.ns) | . * 10 | floor / 10) us per wakeup over \($busy | length) windows; charged mostly to \($busy | culprit)",
    "p99 of api'"'"'s waits per window: \([$rows[] | .a.runq.p99_ns // 0 | . / 1000 | floor] | map(tostring + " us") | join(", "))"
' "$out/windows.jsonl"
echo
echo "demo: every window is in $out/windows.jsonl (format: docs/windows.md)"
