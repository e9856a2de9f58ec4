#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The shipped sample docs/windows-example.jsonl has exactly the fields the recorder writes now,
# and the live table's header is the one README.md shows.
source "$(dirname "$0")/../lib.sh"

#   UPDATE_EXAMPLE=1 tests/integration/schema.sh   rewrites the sample from this run
cg=$(mkcg schema) && srv=$(mkcg schema-api) || exit 1
# A job that uses every part of a window: ten servers' worth of endpoints (eight listed, the
# rest summed), direct writes to disk, and a server job answering it. Each client's 20 requests
# take 1.0-1.2 s, so at least one whole 0.5 s window holds all ten endpoints.
port=$((20000 + $$ % 10000))  # below the ephemeral range (32768-): a service port
rec_start "$TMP/s" -i 0.5 --job batch="$cg" --job api="$srv" || exit 1
for i in $(seq 0 9); do
	in_cg "$srv" "$CTWORK" server $((port + i)) $((50 + i)) 20 >"$TMP/srv$i" &
	PIDS+=($!)
done
for i in $(seq 0 9); do
	for k in $(seq 50); do grep -q listening "$TMP/srv$i" && break; sleep 0.1; done
done
clients=()
for i in $(seq 0 9); do
	in_cg "$cg" "$CTWORK" client $((port + i)) 20 >/dev/null &
	clients+=($!)
done
in_cg "$cg" dd if=/dev/zero of="$TMP/direct" bs=64k count=64 oflag=direct status=none
wait "${clients[@]}"
sleep 0.6
rec_stop
# The set of field paths, array positions folded, of the lines of one type (all of them).
shape() { jq -s -c --arg t "$2" '[.[] | select(.type == $t) | paths | map(if type == "number" then 0 else . end) | join(".")] | unique' "$1"; }
if [ -n "${UPDATE_EXAMPLE:-}" ]; then
	# The session line and the window where batch had the most endpoints.
	{ head -1 "$TMP/s/windows.jsonl"
	  jq -s -c '[.[] | select(.type == "window")] | max_by(.jobs[] | select(.name == "batch") | (.net.endpoints | length) + (.net.rest.endpoints // 0) + (.disk | length))' "$TMP/s/windows.jsonl"
	} >"$TOP/docs/windows-example.jsonl"
fi
for t in session window; do
	fresh=$(shape "$TMP/s/windows.jsonl" $t)
	doc=$(shape "$TOP/docs/windows-example.jsonl" $t)
	if [ "$fresh" = "$doc" ]; then
		ok "docs/windows-example.jsonl $t line has the recorder's fields"
	else
		not_ok "docs/windows-example.jsonl $t line differs: $(diff <(jq -r '.[]' <<<"$doc") <(jq -r '.[]' <<<"$fresh") | grep '^[<>]' | head -5 | tr '\n' ' ')"
	fi
done
check "every documented job field is in docs/windows.md" sh -c "
	for f in \$(sed -n 2p '$TOP/docs/windows-example.jsonl' | jq -r '.jobs[0] | keys[]'); do
		grep -q \"\\\`\$f\" '$TOP/docs/windows.md' || { echo \"# undocumented: \$f\"; exit 1; }
	done"
script -qec "'$CONTRACE' record -i 0.5 -d 0.7 -o '$TMP/t' --job api='$cg'" /dev/null 2>/dev/null | grep '^JOB' | head -1 | tr -d '\r' >"$TMP/head"
check "README shows the live table's header as it is" grep -qF "$(cat "$TMP/head")" "$TOP/README.md"
