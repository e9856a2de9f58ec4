#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run contrace's tests: unit tests, fuzzers (bounded), integration tests (root: real BPF, real
# cgroups, real workloads). Every "ok - " and "not ok - " line counts; the last line is
# "N passed, N failed". Exits non-zero on any failure.
#   tests/run.sh                 everything
#   tests/run.sh unit            unit tests, fuzzers and the integration tests that need neither
#                                root nor BPF (report verdicts, pstats): no root needed
#   tests/run.sh NAME...         only tests whose file name contains NAME
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
failed=()

want() {
	local f=$1 p
	[ ${#ARGS[@]} -eq 0 ] && return 0
	for p in "${ARGS[@]}"; do [[ $f == *"$p"* ]] && return 0; done
	return 1
}

# run_one NAME CMD...: stream its output, count its result lines.
run_one() {
	local name=$1 log rc p f start=$SECONDS
	shift
	log=$(mktemp)
	echo "# $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	[ "$f" -gt 0 ] && failed+=("$name")
	pass=$((pass + p))
	fail=$((fail + f))
	echo "# $name: $p passed, $f failed ($((SECONDS - start))s)"
	rm -f "$log"
}

ARGS=("$@")
only_unit=false
if [ "${1:-}" = unit ]; then only_unit=true; ARGS=(); fi

# A test removes its cgroups at exit, even on failure (tests/lib.sh, cleanup), but a run killed
# outright (SIGKILL, a machine restarted mid-run) cannot: its cgroups, named after the test's
# pid, are removed here once that pid is gone, with anything still inside them.
if [ "$(id -u)" -eq 0 ]; then
	for cg in $(find /sys/fs/cgroup -maxdepth 3 -type d -name 'contrace-test-*' 2>/dev/null); do
		pid=${cg##*/contrace-test-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		for sub in $(find "$cg" -depth -type d); do
			[ -f "$sub/cgroup.kill" ] && echo 1 >"$sub/cgroup.kill"
			xargs -r kill -9 <"$sub/cgroup.procs" 2>/dev/null
			sleep 0.1
			rmdir "$sub" 2>/dev/null || echo "# cannot remove $sub, left by a killed run" >&2
		done
		[ -d "$cg" ] || echo "# removed $cg, left by a killed run"
	done
fi

# Every program the tests call is installed (by scripts/install-deps.sh on a fresh machine):
# a missing one fails here by name, not later as "command not found" inside a test.
want tools && ! $only_unit && run_one tools scripts/install-deps.sh --check

for t in .output/tests/test_*; do
	want "$t" && run_one "$(basename "$t")" "$t"
done
for f in .output/fuzz/fuzz_*; do
	name=$(basename "$f")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	want "$f" || continue
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp "$corpus"/* "$work"/
	# A whole log per input, read twice and redacted: logcopy's inputs cost ~20x a line's.
	runs=${FUZZ_RUNS:-200000}
	[ "$name" = fuzz_logcopy ] && runs=${FUZZ_RUNS:-20000}
	# A fixed seed: the suite explores the same inputs every run, so a failure here is a change's,
	# not luck's. FUZZ_SEED=0 (random) and a large FUZZ_RUNS explore further.
	# A crashing input is written beside the work folder (libFuzzer's default is the current
	# one: the checkout) and kept there for the record.
	run_one "$name" sh -c "'$f' -seed=${FUZZ_SEED:-1} -runs=$runs -max_len=4096 \
		-artifact_prefix='$work.' '$work' >'$work.log' 2>&1 \
		&& echo 'ok - $name: $runs inputs, no crash' \
		|| { tail -30 '$work.log'; echo 'not ok - $name found a crash (input kept: $work.crash-*)'; }"
	rm -rf "$work" "$work.log"
done
# Integration tests that read and write files only: crafted windows.jsonl through snapshot and
# report, cProfile files through pstats. They run without root, so `make unit` covers them.
NOROOT="pstats report"
if $only_unit; then
	for n in $NOROOT; do run_one "$n" bash "tests/integration/$n.sh"; done
elif [ "$(id -u)" -ne 0 ]; then
	for n in $NOROOT; do want "$n" && run_one "$n" bash "tests/integration/$n.sh"; done
	echo "not ok - the other integration tests need root (sudo make test)"
	fail=$((fail + 1))
else
	for t in tests/integration/*.sh; do
		want "$t" && run_one "$(basename "$t" .sh)" bash "$t"
	done
fi
[ ${#failed[@]} -gt 0 ] && echo "# failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
