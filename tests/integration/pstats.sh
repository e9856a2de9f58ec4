#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The pstats reader against Python's own pstats module: totals and every function, in every
# order, exactly; on the two real profiles in ../shared/fixtures/pstats and on profiles made
# here (recursion, built-ins, gzip). Malformed files: an error naming the file, never a crash.
source "$(dirname "$0")/../lib.sh"

REF=$TOP/tests/pstats_ref.py
same() { # NAME FILE KEY N
	if diff <("$CONTRACE" pstats --raw -s "$3" -n "$4" "$2") <(python3 "$REF" "$2" "$3" "$4") >"$TMP/diff"; then
		ok "$1: $3, $( [ "$4" = 0 ] && echo "all functions" || echo "top $4") identical to Python's pstats"
	else
		not_ok "$1: $3 differs from Python's pstats: $(head -4 "$TMP/diff" | tr '\n' ' ')"
	fi
}

fixtures=${CONTRACE_FIXTURES:-$TOP/../shared/fixtures/pstats}
if ls "$fixtures"/*.stats >/dev/null 2>&1; then
	for f in "$fixtures"/*.stats; do
		for k in cumulative tottime calls; do same "$(basename "$f")" "$f" $k 0; done
	done
	top=$("$CONTRACE" pstats --raw -s tottime -n 1 "$fixtures/immich-autotag-baseline.stats" | tail -1)
	check "baseline's hottest function: socket recv, 55886 calls (the fixtures' README)" \
		grep -qF "55886 55886 2869.2237738140002 2869.2237738140002 {method 'recv' of '_socket.socket' objects}" <<<"$top"
else
	echo "# fixtures not found at $fixtures: only generated profiles are compared"
fi

# A profile made here: recursion (primitive calls differ from calls), built-ins, many functions.
cat >"$TMP/work.py" <<'PY'
import json, re
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def mutual_a(n): return 0 if n == 0 else mutual_b(n - 1) + 1
def mutual_b(n): return 0 if n == 0 else mutual_a(n - 1) + 1
for i in range(200):
    fib(12); mutual_a(30)
    json.loads(json.dumps({"k": list(range(50))}))
    re.sub(r"\d+", "n", "a1b22c333" * 20)
    sorted(range(1000), key=lambda x: -x)
PY
python3 -m cProfile -o "$TMP/gen.stats" "$TMP/work.py" >/dev/null
for k in cumulative tottime calls; do same "generated profile" "$TMP/gen.stats" $k 0; done
check "recursion shows as calls/primitive in the table" sh -c "'$CONTRACE' pstats -s calls -n 0 '$TMP/gen.stats' | grep -q '[0-9]/[0-9].*(fib)'"
gzip -c "$TMP/gen.stats" >"$TMP/gen.stats.gz"
check "a gzipped profile reads the same as the plain one" \
	test "$("$CONTRACE" pstats --raw -n 0 "$TMP/gen.stats.gz" | md5sum)" = "$("$CONTRACE" pstats --raw -n 0 "$TMP/gen.stats" | md5sum)"
same "gzipped generated profile" "$TMP/gen.stats.gz" cumulative 0

# Malformed input: exit 1, the file named, the reason given.
bad() { # NAME FILE MESSAGE
	"$CONTRACE" pstats "$2" >/dev/null 2>"$TMP/err"
	local rc=$?
	if [ $rc -eq 1 ] && grep -qF "cannot read profile $2: " "$TMP/err" && grep -qF "$3" "$TMP/err"; then
		ok "$1: exit 1, \"$3\""
	else
		not_ok "$1: exit $rc, stderr: $(head -c 200 "$TMP/err")"
	fi
}
head -c 5000 "$TMP/gen.stats" >"$TMP/trunc.stats"
bad "truncated profile" "$TMP/trunc.stats" "at byte"
: >"$TMP/empty.stats"
bad "empty file" "$TMP/empty.stats" "truncated"
python3 -c 'import marshal,sys; sys.stdout.buffer.write(marshal.dumps([1, 2]))' >"$TMP/list.stats"
bad "marshal, but not a pstats dict" "$TMP/list.stats" "the top object is not a dict"
python3 -c 'import marshal,sys; sys.stdout.buffer.write(marshal.dumps({("f", 1, "g"): "x"}))' >"$TMP/val.stats"
bad "wrong value shape" "$TMP/val.stats" "value is not (calls, calls, time, time, ...)"
bad "missing file" "$TMP/nope.stats" "No such file or directory"
head -c 3000 /dev/urandom >"$TMP/random.stats"
"$CONTRACE" pstats "$TMP/random.stats" >/dev/null 2>&1
check "random bytes: an error, not a crash (exit $?)" test $? -eq 1
