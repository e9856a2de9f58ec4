#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# contrace record -- CMD: runs CMD as the invoking (sudo) user in a fresh cgroup, records it
# and what it forks, returns its exit status and removes the cgroup.
source "$(dirname "$0")/../lib.sh"

chmod 755 "$TMP"
pub=$TMP/pub
mkdir -p "$pub" && chmod 777 "$pub"

# As the sudo user: id, exit status, and the cgroup gone afterwards.
SUDO_UID=65534 SUDO_GID=65534 "$CONTRACE" record -q -i 1 -o "$TMP/a" -- \
	sh -c "id -u > $pub/uid; id -g > $pub/gid; exit 3" 2>"$TMP/a.err"
rc=$?
check "CMD's exit status comes back (3, got $rc)" test $rc -eq 3
check "CMD ran as SUDO_UID (65534, got $(cat "$pub/uid" 2>/dev/null))" test "$(cat "$pub/uid" 2>/dev/null)" = 65534
check "CMD ran as SUDO_GID" test "$(cat "$pub/gid" 2>/dev/null)" = 65534
cg=$(head -1 "$TMP/a/windows.jsonl" | jq -r '.jobs[] | select(.kind == "command") | .cgroup')
check "the command's job is named after CMD (sh)" \
	test "$(head -1 "$TMP/a/windows.jsonl" | jq -r '.jobs[] | select(.kind == "command") | .name')" = sh
check "CMD's cgroup ($cg) was created under a cgroup mount" test "${cg#/sys/fs/cgroup/}" != "$cg"
check "CMD's cgroup is removed afterwards" test ! -e "$cg"
check "a final window was written" jqt "$TMP/a/windows.jsonl" '[.[] | select(.type == "window")] | .[-1].final'

# Descendants are in the job: two forked spinners, 1 s of CPU each.
"$CONTRACE" record -q -i 1 -o "$TMP/b" --name build -- \
	sh -c "$CTWORK spin 1 1 > $TMP/k1 & $CTWORK spin 1 1 > $TMP/k2; wait" 2>"$TMP/b.err"
check "forking CMD exits 0" test $? -eq 0
kids=$(jq -s '[.[].oncpu_ns] | add' "$TMP/k1" "$TMP/k2")
within "--name build: on-CPU of CMD's descendants vs their schedstat" \
	"$(jsum "$TMP/b/windows.jsonl" build cpu.oncpu_ns)" "$kids" 5

# Killed by a signal: 128 + N, like a shell.
"$CONTRACE" record -q -o "$TMP/c" -- sh -c 'kill -TERM $$' 2>/dev/null
rc=$?
check "CMD killed by SIGTERM gives 143 (got $rc)" test $rc -eq 143

# SIGTERM to contrace is passed on to CMD, and the recording still ends with a final window.
"$CONTRACE" record -q -i 1 -o "$TMP/d" -- sleep 30 2>/dev/null &
rp=$!
sleep 1
kill -TERM $rp
wait $rp
rc=$?
check "SIGTERM to contrace reaches CMD (sleep killed: 143, got $rc)" test $rc -eq 143
check "windows survive the SIGTERM, last one final" jqt "$TMP/d/windows.jsonl" '[.[] | select(.type == "window")] | .[-1].final'

# A CMD that ignores SIGTERM, and a second SIGTERM: contrace stops at once, says it leaves CMD
# running, and does not claim success.
"$CONTRACE" record -q -i 1 -o "$TMP/g" -- sh -c 'trap "" TERM; sleep 30' 2>"$TMP/g.err" &
rp=$!
sleep 1
kill -TERM $rp
sleep 0.5
kill -TERM $rp
wait $rp
rc=$?
check "CMD left running on a second SIGTERM: 143, not 0 (got $rc)" test $rc -eq 143
check "  ...and it says so" grep -q "leaving 'sh' (pid [0-9]*) running; its cgroup .* stays" "$TMP/g.err"
left=$(sed -n "s/.*its cgroup \(.*\) stays.*/\1/p" "$TMP/g.err")
[ -n "$left" ] && on_exit rmcg "$left"

# A command that cannot run: 127, a message naming it, no cgroup left.
before=$(ls -d "$CG2"/contrace-* 2>/dev/null | wc -l)
"$CONTRACE" record -q -o "$TMP/e" -- /nonexistent/tool 2>"$TMP/e.err"
rc=$?
check "missing CMD gives 127 (got $rc)" test $rc -eq 127
check "missing CMD is named in the error" grep -q "cannot run '/nonexistent/tool': No such file or directory" "$TMP/e.err"
check "no cgroup left behind" test "$(ls -d "$CG2"/contrace-* 2>/dev/null | wc -l)" -eq "$before"
