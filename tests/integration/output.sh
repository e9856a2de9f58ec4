#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# windows.jsonl survives what happens to real files: a torn last line left by a crash, and a
# full disk mid-recording (no partial line; the counts of unwritten windows are not lost).
# And the live table appears on a terminal.
source "$(dirname "$0")/../lib.sh"

cg=$(mkcg out) || exit 1

# --- A torn last line from an earlier crash stays as it was; new lines start on a fresh line.
mkdir -p "$TMP/torn"
printf '{"type":"session","v":1}\n{"type":"window","v":1,"se' >"$TMP/torn/windows.jsonl"
"$CONTRACE" record -q -i 0.5 -d 1.2 -o "$TMP/torn" --job a="$cg" 2>/dev/null
w=$TMP/torn/windows.jsonl
check "the earlier lines are kept as they were" \
	test "$(head -2 "$w")" = "$(printf '{"type":"session","v":1}\n{"type":"window","v":1,"se')"
check "every appended line is whole JSON" sh -c "tail -n +3 '$w' | jq -e . >/dev/null"
check "the appended part starts with a session line" test "$(sed -n 3p "$w" | jq -r .type)" = session

# --- A full disk: windows that cannot be written leave no partial line, and their counts go
# into the first window that can be written.
mkdir -p "$TMP/full"
if mount -t tmpfs -o size=256k tmpfs "$TMP/full"; then
	out=$TMP/full
	rec_start "$out" -i 0.5 --job spin="$cg" || exit 1
	err=$out.err
	in_cg "$cg" "$CTWORK" spin 1 4 >"$TMP/spin.json" &
	sp=$!
	sleep 1
	dd if=/dev/zero of="$out/filler" bs=4k 2>/dev/null
	sleep 1.5
	rm -f "$out/filler"
	wait $sp
	sleep 0.5
	check "recorder survives a full disk" rec_stop
	w=$out/windows.jsonl
	check "the full disk was reported, naming the file" grep -q "cannot write window .* to $w: No space left on device" "$err"
	check "no partial line was left" sh -c "jq -e . '$w' >/dev/null"
	within "no CPU time lost across the unwritten windows" "$(jsum "$w" spin cpu.oncpu_ns)" \
		"$(field "$(cat "$TMP/spin.json")" oncpu_ns)" 3
	check "a window after the gap is longer than the interval" \
		jqt "$w" '[.[] | select(.type == "window") | .dur_s] | max > 1'
	umount "$TMP/full"
else
	not_ok "full disk: cannot mount a small tmpfs to test with"
fi

# --- On a terminal, a table per window: a header, one row per job, the top culprit.
script -qec "'$CONTRACE' record -i 0.5 -d 1.1 -o '$TMP/tty' --job tabled='$cg'" /dev/null >"$TMP/tty.out" 2>&1
check "the live table has its header" grep -q "JOB .*CPU% .*RUNQ .*SOCK .*TOP CULPRIT" "$TMP/tty.out"
check "the live table has a row per job" sh -c "grep -q '^tabled ' '$TMP/tty.out' && grep -q '^other ' '$TMP/tty.out' && grep -q '^kernel ' '$TMP/tty.out'"
check "no table when stdout is not a terminal" test ! -s "$TMP/stdout.none" -a "$("$CONTRACE" record -d 0.6 -i 0.5 -o "$TMP/pipe" --job a="$cg" 2>/dev/null | wc -c)" -eq 0
