#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Off-CPU reasons against delays we inject ourselves. Four jobs run at once:
#   sleeper  nanosleep 20 ms, 50 times                  -> sleep  ~1.0 s
#   locker   futex wait, woken 20 ms later, 50 times    -> lock   ~1.0 s
#   client   recv on a loopback socket whose server answers 50 ms later, 20 times
#                                                        -> socket ~1.0 s
#   poller   the same through poll() first, as CPython does with a timeout
#                                                        -> socket ~1.0 s
# Each measured figure must lie within 10 % above the injected time (never below it).
source "$(dirname "$0")/../lib.sh"

sl=$(mkcg sleeper) && lk=$(mkcg locker) && cl=$(mkcg client) && po=$(mkcg poller) &&
	srv=$(mkcg server) || exit 1
port1=$((20000 + $$ % 10000))  # below the ephemeral range (32768-): a service port
port2=$((port1 + 1))
out=$TMP/rec
rec_start "$out" -i 1 --job sleeper="$sl" --job locker="$lk" --job client="$cl" \
	--job poller="$po" --job server="$srv" || exit 1
in_cg "$srv" "$CTWORK" server $port1 50 20 >"$TMP/s1" &
PIDS+=($!)
in_cg "$srv" "$CTWORK" server $port2 50 20 >"$TMP/s2" &
PIDS+=($!)
for i in $(seq 50); do grep -q listening "$TMP/s1" && grep -q listening "$TMP/s2" && break; sleep 0.1; done
in_cg "$sl" "$CTWORK" sleep 20 50 >/dev/null &
in_cg "$lk" "$CTWORK" futex 20 50 >/dev/null &
in_cg "$cl" "$CTWORK" client $port1 20 >/dev/null &
in_cg "$po" "$CTWORK" client $port2 20 poll >/dev/null &
wait %3 %4 %5 %6
sleep 0.2
check "recorder stops cleanly" rec_stop
w=$out/windows.jsonl
echo "# lost: $(jq -s -c '[.[] | select(.type == "window") | .lost] | reduce .[] as $l ({}; . as $a | $l | with_entries(.value += ($a[.key] // 0)))' "$w")"

# within +10 %: the kernel adds timer slack and wakeup latency, never removes injected time.
inj() { between "$1: $2 vs injected $(($3 / 1000000)) ms" "$(jsum "$w" "$1" "offcpu.$2.ns")" "$3" "$(($3 * 11 / 10))"; }
inj sleeper sleep 1000000000
inj locker lock 1000000000
inj client socket 1000000000
inj poller socket 1000000000
between "sleeper: one sleep per nanosleep" "$(jsum "$w" sleeper offcpu.sleep.count)" 50 51
between "locker: one lock wait per futex round" "$(jsum "$w" locker offcpu.lock.count)" 50 52
between "client: one socket wait per request" "$(jsum "$w" client offcpu.socket.count)" 20 21
between "poller: one socket wait per request" "$(jsum "$w" poller offcpu.socket.count)" 20 21
# The waker thread of locker sleeps too: that is its own, separate reason.
between "locker's waker thread shows as sleep" "$(jsum "$w" locker offcpu.sleep.ns)" 1000000000 1100000000
between "poller's waits are not counted as poll" "$(jsum "$w" poller offcpu.poll.ns)" 0 20000000
# Per-request socket wait: the histogram's median is the injected 50 ms (+10 %), give or take
# the histogram's own bound (a bucket midpoint is within 1/32 of the values in it).
med=$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "client" and .socket_wait.count > 0) | .socket_wait.p50_ns] | max' "$w")
between "client: per-request socket wait p50 vs injected 50 ms" "$med" 48437500 56718750
# Thread time is conserved: on-CPU + queued + every off-CPU reason = threads x wall time.
total=$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "sleeper") | .cpu.oncpu_ns + .runq.ns + ([.offcpu[].ns] | add)] | add' "$w")
between "sleeper: on-CPU + run-queue + off-CPU covers its wall time" "$total" 1000000000 1150000000
