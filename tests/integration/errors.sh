#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Bad input: each case gives its message, its exit status, and writes nothing.
source "$(dirname "$0")/../lib.sh"

cg=$(mkcg errs) || exit 1
# expect NAME STATUS MESSAGE ARGS...: `contrace ARGS` exits STATUS, stderr has MESSAGE,
# and no windows.jsonl appears in the output directory.
expect() {
	local name=$1 status=$2 msg=$3 rc
	shift 3
	rm -rf "$TMP/out"
	mkdir -p "$TMP/out"
	"$@" >"$TMP/stdout" 2>"$TMP/stderr"
	rc=$?
	if [ $rc -ne "$status" ]; then
		not_ok "$name: exit status $rc, expected $status ($(head -c 300 "$TMP/stderr"))"
	elif ! grep -qF -- "$msg" "$TMP/stderr"; then
		not_ok "$name: stderr lacks \"$msg\": $(head -c 300 "$TMP/stderr")"
	elif [ -e "$TMP/out/windows.jsonl" ]; then
		not_ok "$name: windows.jsonl was written"
	else
		ok "$name: exit $status, \"$msg\""
	fi
}
R=("$CONTRACE" record -q -d 1 -o "$TMP/out")

expect "not root" 1 "record must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "${R[@]}" --job a="$cg"
expect "no kernel BTF" 1 "cannot read kernel BTF /nonexistent/vmlinux: No such file or directory" \
	"${R[@]}" --btf /nonexistent/vmlinux --job a="$cg"
echo garbage >"$TMP/bad.btf"
expect "corrupt kernel BTF" 1 "cannot parse kernel BTF $TMP/bad.btf" "${R[@]}" --btf "$TMP/bad.btf" --job a="$cg"
expect "path is not a cgroup" 2 "job a: cgroup /tmp: not a cgroup directory" "${R[@]}" --job a=/tmp
expect "missing cgroup" 2 "job a: cgroup $CG2/contrace-nope: No such file or directory" \
	"${R[@]}" --job a="$CG2/contrace-nope"
expect "file, not a directory" 2 "not a directory" "${R[@]}" --job a=/etc/hostname
expect "missing --jobs-under parent" 2 "--jobs-under $CG2/contrace-nope: No such file" \
	"${R[@]}" --jobs-under "$CG2/contrace-nope"
expect "duplicate job name" 2 "--job 'a=$cg': job name 'a' is already used" \
	"${R[@]}" --job a="$cg" --job a="$cg"
expect "reserved job name" 2 "job name 'kernel' is reserved" "${R[@]}" --job kernel="$cg"
expect "bad job name" 2 "job name 'a/b' may only hold" "${R[@]}" --job "a/b=$cg"
expect "--job without =" 2 "--job 'abc': expected NAME=CGROUP_PATH" "${R[@]}" --job abc
expect "interval not a number" 2 "--interval 'abc': not a number" "${R[@]}" -i abc
expect "interval out of range" 2 "--interval '0': must be between 0.1 and 3600" "${R[@]}" -i 0
expect "duration negative" 2 "--duration '-5': must be between" "${R[@]}" -d -5
expect "max-jobs too small" 2 "--max-jobs '2': must be between 5 and 1024" "${R[@]}" --max-jobs 2
expect "unknown option" 2 "unrecognized option '--bogus'" "${R[@]}" --bogus
expect "duration with a command" 2 "--duration cannot be combined with a command" \
	"$CONTRACE" record -d 5 -o "$TMP/out" -- true
expect "--out is a file" 2 "--out /etc/hostname: not a directory" \
	"$CONTRACE" record -q -d 1 -o /etc/hostname --job a="$cg"
mkdir -p "$TMP/ro"
if mount -t tmpfs -o ro,size=1m tmpfs "$TMP/ro" 2>/dev/null; then
	expect "--out not writable" 2 "--out $TMP/ro: directory is not writable" \
		"$CONTRACE" record -q -d 1 -o "$TMP/ro" --job a="$cg"
	umount "$TMP/ro"
else
	not_ok "--out not writable: cannot mount a read-only tmpfs to test with"
fi
if [ -d /sys/fs/cgroup/systemd ] && [ "$(stat -f -c %T /sys/fs/cgroup/systemd)" = cgroupfs ]; then
	expect "v1 hierarchy without a controller" 2 "has no controller" \
		"${R[@]}" --job a=/sys/fs/cgroup/systemd
fi
expect "unknown command" 2 "unknown command 'recrod'" "$CONTRACE" recrod

"$CONTRACE" record --help >"$TMP/help" 2>&1
check "record --help exits 0" test $? -eq 0
check "record --help has usage and examples" grep -q "EXAMPLES:" "$TMP/help"
check "contrace --help lists record" sh -c "'$CONTRACE' --help | grep -q '^  record'"
