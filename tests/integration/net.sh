#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Socket wait per endpoint against delays we inject, and TCP retransmits against the kernel's
# own count, with loss we inject:
#   1. a loopback server answers each request after D = 30 ms; a client job makes 40
#      requests: ~40 waits on 127.0.0.1:PORT, mean within 10 % of D; then 20 on [::1] (IPv6).
#   2. the server serves one request at a time; two client jobs, first one alone, then both:
#      each one's wait per request roughly doubles (the other's request is served first).
#   3. two network namespaces joined by veth; nftables drops 20 % of the data segments to
#      one server port: retransmits land on that client job and endpoint, and match the
#      kernel's RetransSegs in the clients' namespace; the other client job has none.
source "$(dirname "$0")/../lib.sh"

a=$(mkcg netA) && b=$(mkcg netB) && s=$(mkcg netS) || exit 1
port=$((20000 + $$ % 10000))  # below the ephemeral range (32768-): a service port
D=30
out=$TMP/rec
rec_start "$out" -i 1 --socket-bytes --job A="$a" --job B="$b" --job S="$s" || exit 1

# serve PORT N [ADDR]: a server in job S for N requests, waited for until it listens.
serve() {
	local f=$TMP/srv.$1
	in_cg "$s" "${NS[@]}" "$CTWORK" server "${3:-127.0.0.1}:$1" "$D" "$2" >"$f" &
	PIDS+=($!)
	for i in $(seq 50); do grep -q listening "$f" && return 0; sleep 0.1; done
	echo "# server on port $1 did not start" >&2
	return 1
}
NS=()

# 1 and 2a: A alone, 40 requests.
serve $port 40 || exit 1
in_cg "$a" "$CTWORK" client $port 40 >"$TMP/a1"
# 2b: A and B together, 40 requests each, against a server serving one request at a time.
serve $((port + 1)) 80 || exit 1
in_cg "$a" "$CTWORK" client $((port + 1)) 40 >/dev/null &
pa=$!
in_cg "$b" "$CTWORK" client $((port + 1)) 40 >/dev/null &
wait $pa $!
# IPv6: the same server on [::1], 20 requests.
serve $((port + 4)) 20 '[::1]' || exit 1
in_cg "$a" "$CTWORK" client "[::1]:$((port + 4))" 20 >/dev/null
# 1c. New connections in struct files just freed: 40 requests, each on a connection of its
# own, to two servers in turn, the ones to the first after a block on a pipe it then closes.
# The kernel usually hands the new socket the file it just freed (the pipe's, or the last
# connection's): whatever was known of that file must not name the new socket's endpoint.
NS=(taskset -c 0)
serve $((port + 6)) 20 && serve $((port + 7)) 20 || exit 1
NS=()
in_cg "$a" taskset -c 1 "$CTWORK" hop "127.0.0.1:$((port + 6))" 40 >/dev/null
sleep 0.3
check "recorder stops cleanly" rec_stop
w=$out/windows.jsonl

e1=127.0.0.1:$port
e2=127.0.0.1:$((port + 1))
n=$(ep "$w" A "$e1" count)
between "A: one socket wait per request on $e1" "$n" 40 41
check "A: each of those waits is a request (an answer of one byte, each after a request sent)" \
	test "$(ep "$w" A "$e1" requests)" -eq "$n"
within "A: mean wait per request on $e1 vs injected $D ms" \
	"$(awk -v t="$(ep "$w" A "$e1" ns)" -v n="$n" 'BEGIN { print n ? t / n : 0 }')" \
	$((D * 1000000)) 10
check "A: one connect to $e1, with its latency" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"A\") | .net.endpoints[] | select(.endpoint == \"$e1\")] | (map(.connects) | add) == 1 and (map(.connect_ns) | add) > 0"
check "A: bytes both ways on $e1 (1 byte per request and per answer)" \
	test "$(ep "$w" A "$e1" tx_bytes)" -eq 40 -a "$(ep "$w" A "$e1" rx_bytes)" -eq 40
check "S: the served side is one local endpoint, not one per client" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"S\") | .net.endpoints[] | select(.side == \"local\" and .endpoint == \"$e1\")] | length > 0"
check "the client's endpoint is not charged to the server's job" \
	test "$(ep "$w" S "$e1" tx_bytes)" -eq 40 -a "$(jq -s "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"S\") | .net.endpoints[] | select(.side == \"remote\")] | length" "$w")" -eq 0

e6="[::1]:$((port + 4))"
n6=$(ep "$w" A "$e6" count)
between "A: one socket wait per request on $e6 (IPv6)" "$n6" 20 21
within "A: mean wait per request on $e6 vs injected $D ms" \
	"$(awk -v t="$(ep "$w" A "$e6" ns)" -v n="$n6" 'BEGIN { print n ? t / n : 0 }')" \
	$((D * 1000000)) 10

# Each server answered 20 requests (its own count: it exits after them); the client waited
# for each answer, one request per wait, on the endpoint it had connected to.
for e in 127.0.0.1:$((port + 6)) 127.0.0.1:$((port + 7)); do
	check "A, new connection per request: 20 waits and 20 requests on $e" \
		test "$(ep "$w" A "$e" count)" -eq 20 -a "$(ep "$w" A "$e" requests)" -eq 20
done
check "A: no socket wait of its 'hop' run is left without an endpoint" \
	test "$(ep "$w" A other count)" -eq 0

# Per-request wait alone vs together: with two clients and one request served at a time,
# each request waits for the other's first: about 2 x D. Honest bounds: 1.6x to 2.4x.
alone=$(awk -v t="$(ep "$w" A "$e1" ns)" -v n="$n" 'BEGIN { print t / n }')
for j in A B; do
	t=$(ep "$w" $j "$e2" ns)
	c=$(ep "$w" $j "$e2" count)
	r=$(awk -v t="$t" -v c="$c" -v a="$alone" 'BEGIN { printf "%.2f", c ? t / c / a : 0 }')
	between "$j: wait per request together / alone" "$r" 1.6 2.4
done

# 2c. A full endpoint table recovers: job M tries 1300 closed ports (1300 entries, more than
# the table's 1024), then job L makes 20 requests. L's endpoint must be there, whole: the
# table drops its least recently used entries instead of refusing new ones.
m=$(mkcg netM) && l=$(mkcg netL) || exit 1
rec_start "$TMP/rec3" -i 1 --job M="$m" --job L="$l" --job S="$s" || exit 1
# The client counts its own refusals: a connect to a closed port can succeed after all, when
# the kernel picks that same port as the ephemeral source (TCP self-connect: 4 in 100 runs of
# this loop on this VM), and the kernel then counts a connection, not a failure.
in_cg "$m" python3 -c '
import socket
refused = 0
for p in range(40000, 41300):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", p))
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        pass
    s.close()
print(refused)' >"$TMP/refused"
serve $((port + 5)) 20 || exit 1
in_cg "$l" "$CTWORK" client $((port + 5)) 20 >/dev/null
sleep 0.3
check "recorder stops cleanly (full endpoint table)" rec_stop
w3=$TMP/rec3/windows.jsonl
refused=$(cat "$TMP/refused")
mf=$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "M") | (.net.endpoints + [.net.rest // {}])[] | .connect_fail // 0] | add' "$w3")
ev=$(jq -s '[.[] | select(.type == "window") | .lost.endpoints_evicted] | add' "$w3")
echo "# M: connects refused by its own count $refused of 1300; failed connects in the windows: $mf; entries evicted: $ev"
check "M: nearly all of its 1300 connects were refused" test "${refused:-0}" -ge 1290
# Each refused connect is in a window or in an evicted entry (one port, one entry); at most a
# few other entries (M's self-connect, L's, S's, other's) can have been evicted besides.
between "M's failed connects counted + entries evicted vs its $refused refusals" $((mf + ev)) "$refused" $((refused + 20)) || {
	echo "# failed connects by job: $(jq -s -c '[.[] | select(.type == "window") | .jobs[] | {n: .name, f: ([(.net.endpoints + [.net.rest // {}])[] | .connect_fail // 0] | add)}] | group_by(.n) | map({(.[0].n): (map(.f) | add)}) | add' "$w3")"
	echo "# lost, summed: $(jq -s -c '[.[] | select(.type == "window") | .lost | to_entries[]] | group_by(.key) | map({(.[0].key): (map(.value) | add)}) | add' "$w3")"
}
between "L: all 20 waits on its endpoint after M filled the table" "$(ep "$w3" L "127.0.0.1:$((port + 5))" count)" 20 21
check "no socket event was refused for want of room" \
	test "$(jq -s '[.[] | select(.type == "window") | .lost.endpoints_full] | add' "$w3")" -eq 0
check "the entries dropped to make room are counted" \
	test "$(jq -s '[.[] | select(.type == "window") | .lost.endpoints_evicted] | add' "$w3")" -gt 0

# 3. Retransmits through nftables' random drop between two namespaces.
if ! command -v nft >/dev/null || ! ip netns add ctc$$; then
	not_ok "network namespaces and nftables are needed for the retransmit test"
	exit 0
fi
on_exit ip netns del ctc$$
ip netns add cts$$ && on_exit ip netns del cts$$
ip link add vc$$ type veth peer name vs$$ &&
	ip link set vc$$ netns ctc$$ && ip link set vs$$ netns cts$$ &&
	ip -n ctc$$ addr add 10.231.0.1/24 dev vc$$ && ip -n cts$$ addr add 10.231.0.2/24 dev vs$$ &&
	ip -n ctc$$ link set vc$$ up && ip -n cts$$ link set vs$$ up &&
	ip -n ctc$$ link set lo up && ip -n cts$$ link set lo up || { not_ok "veth pair"; exit 0; }
# Data segments only (a 1-byte payload makes the IP packet 53 bytes): SYNs and pure ACKs pass,
# so every loss costs one retransmission timeout, not a 1 s SYN retry.
lossy=$((port + 2))
clean=$((port + 3))
ip netns exec cts$$ nft -f - <<NFT || { not_ok "nftables rule"; exit 0; }
table inet contrace_test {
	chain input {
		type filter hook input priority 0;
		tcp dport $lossy ip length > 52 numgen random mod 100 < 20 drop
	}
}
NFT
out2=$TMP/rec2
rec_start "$out2" -i 1 --socket-bytes --job A="$a" --job B="$b" --job S="$s" || exit 1
snmp() { ip netns exec ctc$$ awk '/^Tcp:/ { if (h) print $13; h = 1 }' /proc/net/snmp; }
before=$(snmp)
NS=(ip netns exec cts$$)
D=0
# 50 requests: that none of them is dropped has a chance of 0.8^50 = 1e-5 (with 30, 1e-3, it
# happened once: no retransmit to find)
serve $lossy 50 10.231.0.2 && serve $clean 50 10.231.0.2 || exit 1
in_cg "$a" ip netns exec ctc$$ "$CTWORK" client 10.231.0.2:$lossy 50 >"$TMP/ra" &
pa=$!
in_cg "$b" ip netns exec ctc$$ "$CTWORK" client 10.231.0.2:$clean 50 >"$TMP/rb" &
wait $pa $!
after=$(snmp)
sleep 0.3
check "recorder stops cleanly (retransmit run)" rec_stop
w=$out2/windows.jsonl
kernel=$((after - before))
ra=$(ep "$w" A "10.231.0.2:$lossy" retrans)
rb=$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name == "B") | .net.endpoints[]?.retrans] | add // 0' "$w")
ka=$(field "$(cat "$TMP/ra")" retrans)
kb=$(field "$(cat "$TMP/rb")" retrans)
echo "# kernel: RetransSegs in the clients' namespace $kernel; A's socket $ka, B's $kb (TCP_INFO); contrace: A $ra, B $rb"
check "A retransmitted to 10.231.0.2:$lossy (the lossy port)" test "$ra" -ge 1
# Like with like: the kernel's own count for the job's socket (tcpi_total_retrans, read by
# the client before it closes it), not the namespace's total, which also counts sockets the
# job does not own.
check "A's retransmits equal the kernel's count for A's socket ($ka)" test "$ra" -eq "$ka"
check "B, on the port without loss, retransmitted what the kernel says ($kb), on no endpoint of A" \
	test "$rb" -eq "$kb"
check "A: a smoothed RTT for the endpoint" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"A\") | .net.endpoints[] | select(.endpoint == \"10.231.0.2:$lossy\") | .srtt_us // empty] | length > 0 and min > 0"
