#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The shipped sample docs/windows-example.jsonl has exactly the fields the recorder writes now,
# and the live table's header is the one README.md shows.
source "$(dirname "$0")/../lib.sh"

cg=$(mkcg schema) || exit 1
"$CONTRACE" record -q -i 0.5 -d 1.1 -o "$TMP/s" --job api="$cg" 2>/dev/null
# The set of field paths, array positions folded, of the line of one type.
shape() { jq -c --arg t "$2" 'select(.type == $t) | [paths | map(if type == "number" then 0 else . end) | join(".")] | unique' "$1" | head -1; }
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
