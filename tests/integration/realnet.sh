#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Socket waits of real clients and servers that block in poll or epoll, each against the
# program's own clock:
#   1. curl (Debian's) downloads from nginx (Debian's), rate-limited to 4 MB/s: curl waits in
#      poll([socket, eventfd]). Its socket wait on nginx's endpoint vs curl's own time_total
#      minus time_connect. nginx waits in epoll: its endpoint shows as local, its waits for
#      requests as "serve", none as socket wait.
#   2. Python's stdlib asyncio, 4 connections in one thread, against a server answering each
#      request after 20 ms, one at a time: socket wait on the endpoint vs the time its event
#      loop spent blocked in calls that returned a ready socket. The same loop also over
#      select() and poll() (its selectors.SelectSelector and PollSelector), 5 sockets each.
#   3. a C client polling an eventfd (ticked every 7 ms) and its socket: socket wait vs its
#      polls the socket ended, poll vs those only the eventfd ended.
#   4. a server's retransmits on the sockets it accepted, without --socket-bytes.
#   5. two unix-socket servers, one client each: two endpoints, named by path and by name.
source "$(dirname "$0")/../lib.sh"

ng=$(mkcg nginx) && cu=$(mkcg curl) && cs=$(mkcg curlsmall) && ai=$(mkcg asyncio) && ef=$(mkcg efd) &&
	as=$(mkcg aselect) && ap=$(mkcg apoll) &&
	srv=$(mkcg server) && ua=$(mkcg unixA) && ub=$(mkcg unixB) || exit 1
port=$((20000 + $$ % 10000))	# below the ephemeral range (32768-): a service port
www=$TMP/www
mkdir -p "$www" "$TMP/ngtmp"
head -c 6000000 /dev/zero >"$www/f.bin"
mkdir -p "$www/small" && echo hello >"$www/small/s.txt"
cat >"$TMP/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $TMP/ngtmp; proxy_temp_path $TMP/ngtmp;
	fastcgi_temp_path $TMP/ngtmp; uwsgi_temp_path $TMP/ngtmp; scgi_temp_path $TMP/ngtmp;
	limit_req_zone \$binary_remote_addr zone=paced:1m rate=50r/s;
	server {
		listen 127.0.0.1:$port; root $www;
		location / { limit_rate 4m; }
		location /small/ { limit_req zone=paced burst=1000; }
	}
}
EOF
in_cg "$ng" nginx -c "$TMP/nginx.conf" -e "$TMP/nginx.err" &
PIDS+=($!)
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
# the worker runs as root: this test's directory is private to root

rec_start "$TMP/r" -i 1 --job nginx="$ng" --job curl="$cu" --job asyncio="$ai" \
	--job efd="$ef" --job server="$srv" --job curlsmall="$cs" --job unixA="$ua" \
	--job unixB="$ub" --job aselect="$as" --job apoll="$ap" || exit 1
# 1. three downloads of 6 MB at 4 MB/s: about 1.5 s each
for i in 1 2 3; do
	in_cg "$cu" curl -sf -o /dev/null -w '%{time_connect} %{time_total}\n' \
		"http://127.0.0.1:$port/f.bin" >>"$TMP/curl.times"
done
# 1b. 60 small requests on one connection, each held back by nginx's limit_req to 50/s
urls=() outs=()
for i in $(seq 60); do urls+=("http://127.0.0.1:$port/small/s.txt"); outs+=(-o /dev/null); done
in_cg "$cs" curl -sf "${outs[@]}" -w '%{time_pretransfer} %{time_starttransfer}\n' "${urls[@]}" \
	>"$TMP/small.times"
# 2. asyncio: 4 x 25 requests, each answered after 20 ms, one at a time
in_cg "$srv" "$CTWORK" server $((port + 1)) 20 100 >"$TMP/srv1" &
PIDS+=($!)
for i in $(seq 50); do grep -q listening "$TMP/srv1" && break; sleep 0.1; done
# 2b. the same loop blocking in select() and in poll() (more than one fd: its connections and
# its own wake-up socket), at the same time, each on a server of its own
for k in 4 5; do
	in_cg "$srv" "$CTWORK" server $((port + k)) 20 100 >"$TMP/srv$k" &
	PIDS+=($!)
	for i in $(seq 50); do grep -q listening "$TMP/srv$k" && break; sleep 0.1; done
done
in_cg "$as" python3 "$TOP/tests/workload/aioclient.py" 127.0.0.1 $((port + 4)) 4 25 select >"$TMP/aselect" &
pas=$!
in_cg "$ap" python3 "$TOP/tests/workload/aioclient.py" 127.0.0.1 $((port + 5)) 4 25 poll >"$TMP/apoll" &
pap=$!
in_cg "$ai" python3 "$TOP/tests/workload/aioclient.py" 127.0.0.1 $((port + 1)) 4 25 >"$TMP/aio"
wait $pas $pap
# 3. eventfd + socket: 40 requests answered after 30 ms
in_cg "$srv" "$CTWORK" server $((port + 2)) 30 40 >"$TMP/srv2" &
PIDS+=($!)
for i in $(seq 50); do grep -q listening "$TMP/srv2" && break; sleep 0.1; done
in_cg "$ef" "$CTWORK" client $((port + 2)) 40 efd >"$TMP/efd"
# 5. two unix-socket servers (a path, an abstract name), one client each, in poll beside an
# eventfd: 20 requests answered after 25 ms
for u in "unix:$TMP/a.sock" "unix:@contrace-test-$$-b"; do
	in_cg "$srv" "$CTWORK" server "$u" 25 20 >"$TMP/usrv.${u: -1}" &
	PIDS+=($!)
	for i in $(seq 50); do grep -q listening "$TMP/usrv.${u: -1}" && break; sleep 0.1; done
done
in_cg "$ua" "$CTWORK" client "unix:$TMP/a.sock" 20 efd >"$TMP/ua" &
pa=$!
in_cg "$ub" "$CTWORK" client "unix:@contrace-test-$$-b" 20 >/dev/null
wait $pa
sleep 1.2
check "recorder stops cleanly" rec_stop
w=$TMP/r/windows.jsonl
e=127.0.0.1:$port

# curl's own clock: from connected to done, summed over the downloads. Its socket wait is
# that less its time on CPU and queued for one (a few %): the bound is 5 %, as the issue asks.
check "curl: three downloads of 6 MB" test "$(wc -l <"$TMP/curl.times")" -eq 3
curl_wait=$(awk '{ s += ($2 - $1) * 1e9 } END { printf "%.0f", s }' "$TMP/curl.times")
within "curl: socket wait on nginx's $e vs curl's time_total - time_connect" \
	"$(ep "$w" curl "$e" ns)" "$curl_wait" 5
check "curl: its waits in poll ended by the socket are not left as poll (< 5 %)" \
	awk -v p="$(jsum "$w" curl offcpu.poll.ns)" -v c="$curl_wait" 'BEGIN { exit !(p < c * 0.05) }'
check "curl: no network RTT for a peer on loopback (it would be nginx's pacing through delayed ACKs)" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"curl\") | .net.endpoints[] | select(.endpoint == \"$e\") | .srtt_us] | length > 0 and all(. == null)"
# A download is one request, however many pieces its answer comes in: on a TCP connection,
# the waits with nothing written between them are one request.
cw=$(ep "$w" curl "$e" count)
check "curl: three requests on $e, one per download, in its $cw waits" \
	test "$(ep "$w" curl "$e" requests)" -eq 3 -a "$cw" -gt 30
check "curl: 60 small requests" test "$(wc -l <"$TMP/small.times")" -eq 60
# An answer already there when curl polls needs no wait: at most one request per answer.
between "curl, 60 small requests: one request per wait on $e" "$(ep "$w" curlsmall "$e" requests)" \
	50 "$(ep "$w" curlsmall "$e" count)"
small_wait=$(awk '{ s += ($2 - $1) * 1e9 } END { printf "%.0f", s }' "$TMP/small.times")
within "curl, 60 small requests: socket wait on $e vs curl's time_starttransfer - time_pretransfer" \
	"$(ep "$w" curlsmall "$e" ns)" "$small_wait" 5
check "nginx: its endpoint $e shows as local" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"nginx\") | .net.endpoints[] | select(.endpoint == \"$e\" and .side == \"local\")] | length > 0"
check "nginx: its waits for requests are serve, never socket wait" \
	test "$(jsum "$w" nginx offcpu.serve.count)" -ge 3 -a "$(jsum "$w" nginx offcpu.socket.ns)" -eq 0

# A poller's own clock around each poll also holds the moments after the wakeup that it was
# queued for a CPU or ran inside the call, which contrace counts as run-queue delay and on-CPU
# time, not as the wait: its socket wait lies between that clock less the thread's whole
# run-queue delay and on-CPU time (the kernel's schedstat), and that clock (1 % under it for
# the clocks' boundaries: where each is read). A poll that returned both the socket and the
# eventfd ready may have been ended by either (the other became ready before poll looked
# again): up to all of that time may be on the other side (BOTH).
# by_own_clock NAME MEASURED CLOCK RUN_DELAY ONCPU [BOTH]
by_own_clock() {
	between "$1" "$2" "$(awk -v c="$3" -v d="$4" -v o="$5" 'BEGIN { printf "%.0f", (c - d - o) * 0.99 }')" "$(($3 + ${6:-0}))"
}
aio=$(tail -1 "$TMP/aio")
by_own_clock "asyncio (4 connections, one thread): socket wait on 127.0.0.1:$((port + 1)) vs its loop's own clock" \
	"$(ep "$w" asyncio "127.0.0.1:$((port + 1))" ns)" "$(field "$aio" sock_wait_ns)" \
	"$(field "$aio" run_delay_ns)" "$(field "$aio" oncpu_ns)"
check "asyncio: 100 requests made" test "$(field "$aio" requests)" -eq 100
for k in 4:select 5:poll; do
	out=$(tail -1 "$TMP/a${k#*:}")
	by_own_clock "asyncio in ${k#*:}() (4 connections and its wake-up socket): socket wait on 127.0.0.1:$((port + ${k%:*})) vs its loop's own clock" \
		"$(ep "$w" "a${k#*:}" "127.0.0.1:$((port + ${k%:*}))" ns)" "$(field "$out" sock_wait_ns)" \
		"$(field "$out" run_delay_ns)" "$(field "$out" oncpu_ns)"
done

efd_out=$(tail -1 "$TMP/efd")
by_own_clock "C client polling an eventfd and its socket: socket wait vs its polls the socket ended" \
	"$(ep "$w" efd "127.0.0.1:$((port + 2))" ns)" "$(field "$efd_out" sock_poll_ns)" \
	"$(field "$efd_out" run_delay_ns)" "$(field "$efd_out" oncpu_ns)" "$(field "$efd_out" both_poll_ns)"
by_own_clock "the same: poll wait vs its polls only the eventfd ended" \
	"$(jsum "$w" efd offcpu.poll.ns)" "$(field "$efd_out" efd_poll_ns)" \
	"$(field "$efd_out" run_delay_ns)" "$(field "$efd_out" oncpu_ns)" "$(field "$efd_out" both_poll_ns)"

# Unix sockets: named by the server's path or abstract name, so two servers are two endpoints.
ua_ep="unix:$TMP/a.sock" ub_ep="unix:@contrace-test-$$-b"
ua_out=$(tail -1 "$TMP/ua")
by_own_clock "unixA (poll beside an eventfd): socket wait on $ua_ep vs its polls the socket ended" \
	"$(ep "$w" unixA "$ua_ep" ns)" "$(field "$ua_out" sock_poll_ns)" \
	"$(field "$ua_out" run_delay_ns)" "$(field "$ua_out" oncpu_ns)" "$(field "$ua_out" both_poll_ns)"
# unixB blocks in recv: its 20 requests take 20 x 25 ms by the server's clock, plus the
# moments the server spends between them (scheduling and the 1-byte exchange, < 5 %).
within "unixB (recv): socket wait on $ub_ep vs 20 x the server's 25 ms" \
	"$(ep "$w" unixB "$ub_ep" ns)" 500000000 5
check "unixA and unixB share no endpoint" \
	jqt "$w" '[.[] | select(.type == "window") | .jobs[] | select(.name == "unixA" or .name == "unixB") | .net.endpoints[] | .endpoint] | unique | length == 2'
check "the server job shows both as local endpoints" \
	jqt "$w" "[.[] | select(.type == \"window\") | .jobs[] | select(.name == \"server\") | .net.endpoints[] | select(.side == \"local\") | .endpoint] | (index(\"$ua_ep\") != null) and (index(\"$ub_ep\") != null)"

# 4. Retransmits by a server on the sockets it accepted, recorded without --socket-bytes:
# nftables drops 20 % of its answers (data segments). The server's
# namespace holds only its own sockets, so its RetransSegs is the ground truth. Answers come
# 100 ms after each request, so the request's ACK has gone out alone before (delayed ACK,
# 40 ms): a lost answer is the server's to resend, never the client's request.
if ! command -v nft >/dev/null || ! ip netns add rnc$$; then
	not_ok "network namespaces and nftables are needed for the server retransmit test"
	exit 0
fi
on_exit ip netns del rnc$$
ip netns add rns$$ && on_exit ip netns del rns$$
ip link add rc$$ type veth peer name rs$$ &&
	ip link set rc$$ netns rnc$$ && ip link set rs$$ netns rns$$ &&
	ip -n rnc$$ addr add 10.232.0.1/24 dev rc$$ && ip -n rns$$ addr add 10.232.0.2/24 dev rs$$ &&
	ip -n rnc$$ link set rc$$ up && ip -n rns$$ link set rs$$ up &&
	ip -n rnc$$ link set lo up && ip -n rns$$ link set lo up || { not_ok "veth pair"; exit 0; }
lossy=$((port + 3))
# Dropped as they arrive at the client: a drop on the sender's own output is an error its TCP
# retries without counting a retransmit.
ip netns exec rnc$$ nft -f - <<NFT || { not_ok "nftables rule"; exit 0; }
table inet contrace_test {
	chain input {
		type filter hook input priority 0;
		tcp sport $lossy ip length > 52 numgen random mod 100 < 20 drop
	}
}
NFT
snmp() { ip netns exec "${1:-rns$$}" awk '/^Tcp:/ { if (h) print $13; h = 1 }' /proc/net/snmp; }
rec_start "$TMP/r2" -i 1 --job server="$srv" --job efd="$ef" || exit 1
before=$(snmp) cbefore=$(snmp rnc$$)
in_cg "$srv" ip netns exec rns$$ "$CTWORK" server "10.232.0.2:$lossy" 100 30 >"$TMP/srv3" &
PIDS+=($!)
for i in $(seq 50); do grep -q listening "$TMP/srv3" && break; sleep 0.1; done
in_cg "$ef" ip netns exec rnc$$ "$CTWORK" client "10.232.0.2:$lossy" 30 >/dev/null
sleep 0.5
after=$(snmp) cafter=$(snmp rnc$$)
check "recorder stops cleanly (server retransmit run)" rec_stop
w2=$TMP/r2/windows.jsonl
rs=$(ep "$w2" server "10.232.0.2:$lossy" retrans)
echo "# server namespace RetransSegs: $((after - before)); contrace, on server's local endpoint: $rs"
check "server: it retransmitted (the lossy answers)" test "$((after - before))" -ge 1
check "server: retransmits on its accepted socket land on its job: $rs = the kernel's $((after - before))" \
	test "$rs" -eq "$((after - before))"
# The client's own retransmits (a lost answer now and then also delays the ACK of its next
# request) are its namespace's count, on its job; none anywhere else.
check "client: its retransmits, on its own job, are its namespace's ($((cafter - cbefore)))" \
	test "$(ep "$w2" efd "10.232.0.2:$lossy" retrans)" -eq "$((cafter - cbefore))"
check "no retransmit on any other job" \
	test "$(jq -s '[.[] | select(.type == "window") | .jobs[] | select(.name != "server" and .name != "efd") | .net.endpoints[]?.retrans] | add // 0' "$w2")" -eq 0
