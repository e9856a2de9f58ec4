#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# record --listen: /metrics in the Prometheus text format and OpenMetrics, checked by Debian's
# promtool, scraped every second by a real Prometheus (Debian's), whose PromQL answers are
# compared with a busy thread's own clock and with windows.jsonl. Then a client that sends
# nothing and 50 scrapes at once must not shift the windows, and 200 short-lived jobs must
# leave the series count within its bound.
source "$(dirname "$0")/../lib.sh"

port=$((30000 + $$ % 2000)) pport=$((32000 + $$ % 700))
spin=$(mkcg spin) && sleeper=$(mkcg sleeper) || exit 1
# half-second windows: the counters move twice between scrapes
rec_start "$TMP/r" -i 0.5 --listen "127.0.0.1:$port" --job spin="$spin" --job sleeper="$sleeper" ||
	exit 1
w=$TMP/r/windows.jsonl

cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $TOP/docs/prometheus-rules.yml
scrape_configs:
  - job_name: contrace
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$pport" >"$TMP/prom.log" 2>&1 &
prom=$!
PIDS+=($prom)
for i in $(seq 100); do curl -sf "127.0.0.1:$pport/-/ready" >/dev/null && break; sleep 0.2; done
# ready is not scraping yet: wait for its first scrape of the recorder, so that it sees the
# jobs' counters from 0
for i in $(seq 100); do
	[ "$(curl -s "127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=up{job="contrace"}' |
		jq -r '.data.result[0].value[1] // 0')" = 1 ] && break
	sleep 0.2
done
sleep 1
t0=$(date +%s.%N)
in_cg "$sleeper" "$CTWORK" sleep 20 1000 >/dev/null &
PIDS+=($!)
in_cg "$spin" "$CTWORK" spin 1 20 >"$TMP/spin.json"
t1=$(date +%s.%N)
sleep 3	# a few more windows and scrapes after the job

curl -s "127.0.0.1:$port/metrics" >"$TMP/text"
check "promtool check metrics accepts the text format" sh -c "promtool check metrics <'$TMP/text'"
curl -s -D "$TMP/om.h" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"127.0.0.1:$port/metrics" >"$TMP/om"
check "OpenMetrics when asked: its content type, counters' families without _total, # EOF" \
	sh -c "grep -qi '^content-type: application/openmetrics-text; version=1.0.0' '$TMP/om.h' &&
		grep -q '^# TYPE contrace_job_cpu_seconds counter' '$TMP/om' && test \"\$(tail -1 '$TMP/om')\" = '# EOF'"
check "the job's series carry ci_job, not job (Prometheus's own label)" \
	grep -q '^contrace_job_cpu_seconds_total{ci_job="spin",kind="cgroup"}' "$TMP/text"

# q EXPR TIME: PromQL's value of EXPR at unix TIME
q() { curl -s "127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$2" | jq -r '.data.result[0].value[1] // "none"'; }
check "Prometheus scraped the recorder (up == 1)" test "$(q 'up{job="contrace"}' "$(date +%s)")" = 1
s=$(cat "$TMP/spin.json")
# The thread's own share of a CPU over its life, against PromQL's rate over 15 s ending near
# its end. The counter moves once a window (0.5 s): a 15 s rate is off by up to a window in 29.
mid=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - 1 }')
within "PromQL rate(cpu seconds[15s]) vs the busy thread's own CPU share" \
	"$(q 'rate(contrace_job_cpu_seconds_total{ci_job="spin"}[15s])' "$mid")" \
	"$(jq -n --argjson s "$s" '$s.oncpu_ns / $s.wall_ns')" 10
now=$(date +%s)
# the job ended seconds ago: its last scraped total is all of windows.jsonl's
within "PromQL's last run-queue wait total vs windows.jsonl's sum" \
	"$(q 'max_over_time(contrace_job_runqueue_wait_seconds_sum{ci_job="spin"}[1m])' "$now")" \
	"$(jq -n --argjson v "$(jsum "$w" spin runq.ns)" '$v / 1e9')" 5
# increase() over the whole job, evaluated at the last scrape (no extrapolation past it) and
# reaching back to before the job began (a counter at 0 is not extrapolated below 0)
last=$(curl -s "127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=timestamp(contrace_job_runqueue_wait_seconds_sum{ci_job="sleeper"})' --data-urlencode "time=$now" | jq -r '.data.result[0].value[1]')
span=$(awk -v a="$t0" -v b="$last" 'BEGIN { printf "%d", b - a + 2 }')
within "PromQL increase(run-queue wait seconds[${span}s]) over the sleeper's life (1,000 wakeups) vs windows.jsonl's sum" \
	"$(q "increase(contrace_job_runqueue_wait_seconds_sum{ci_job=\"sleeper\"}[${span}s])" "$last")" \
	"$(jq -n --argjson v "$(jsum "$w" sleeper runq.ns)" '$v / 1e9')" 5
check "the histogram's count is the windows' count of waits" test \
	"$(q 'max_over_time(contrace_job_runqueue_wait_seconds_count{ci_job="spin"}[1m])' "$now")" = \
	"$(jsum "$w" spin runq.count)"

check "promtool check rules accepts docs/prometheus-rules.yml" promtool check rules "$TOP/docs/prometheus-rules.yml"
# a busy thread on a CPU of its own: its thread time is nearly all on CPU, so its run-queue
# share is small and its off-CPU share all but nil
between "the recording rule: spin's run-queue share of its thread time" \
	"$(q 'contrace:job_runqueue_share:rate1m{ci_job="spin"}' "$mid")" 0 0.2
# the sleeper did nothing but sleep 20 ms at a time: nearly all its thread time is sleep
between "the recording rule: the sleeper's sleep share of its thread time" \
	"$(q 'contrace:job_offcpu_share:rate1m{ci_job="sleeper",reason="sleep"}' "$mid")" 0.95 1.0

# A client that connects and sends nothing, and 50 scrapes at once.
exec 3<>"/dev/tcp/127.0.0.1/$port"
before=$(jq -s '[.[] | select(.type == "window")] | length' "$w")
cp=()
for i in $(seq 50); do
	curl -s -m 20 -o "$TMP/scrape.$i" "127.0.0.1:$port/metrics" &
	cp+=($!)
done
wait "${cp[@]}"
ok50=$(for i in $(seq 50); do grep -c '^contrace_windows_total' "$TMP/scrape.$i"; done | grep -c '^1$')
check "50 parallel scrapes all answered ($ok50) while a client sat idle" test "$ok50" -eq 50
sleep 4
exec 3>&-
gaps=$(jq -s "[.[] | select(.type == \"window\")] | .[$before - 1:] | [range(1; length) as \$i | (.[\$i].start_ns - .[\$i - 1].start_ns) / 1e9] | max" "$w")
between "windows kept their 0.5 s interval meanwhile (largest step, s)" "$gaps" 0.45 0.75

check "recorder stops cleanly" rec_stop
kill "$prom"
wait "$prom" 2>/dev/null

# 300 short-lived jobs: children of a --jobs-under parent, each made, then used and removed. All
# exist before any is used, and there are slots for all, so that all 300 are jobs however fast
# this machine runs the loop (made, used and removed in turn, with 64 slots, how many became
# jobs was the number of windows the loop lasted times the slots freed in each).
par=$(mkcg many) || exit 1
rec_start "$TMP/m" -i 1 --max-jobs 512 --listen "127.0.0.1:$((port + 1))" --jobs-under "$par" || exit 1
for i in $(seq 300); do mkdir "$par/b$i" || exit 1; done
sleep 1.5
for i in $(seq 300); do
	in_cg "$par/b$i" /bin/true && rmdir "$par/b$i"
done
sleep 2.5
curl -s "127.0.0.1:$((port + 1))/metrics" >"$TMP/many"
check "recorder stops cleanly after 300 jobs" rec_stop
jobs_shown=$(grep '^contrace_job_cpu_seconds_total{' "$TMP/many" | wc -l)
series=$(grep -vc '^#' "$TMP/many")
# docs/prometheus.md: at most 256 jobs with series (kept 5 minutes after they end), each with
# at most 2 + 1 + 25 (run queue) + 5 x 26 (socket wait and requests) + 3 x 8 (disk) + 10
# (off-CPU) + 64 (culprits) series; 100 of the recorder's own at most
per_job_max=$((2 + 1 + 25 + 130 + 24 + 10 + 64))
unshown=$(awk '/^contrace_jobs_unshown_total/ {print $2}' "$TMP/many")
check "300 short-lived jobs: at most 256 shown ($jobs_shown), the rest counted as unshown ($unshown)" \
	test "$jobs_shown" -le 256 -a "$jobs_shown" -ge 200 -a \( "$jobs_shown" -lt 256 -o "$unshown" -gt 0 \)
check "series within the documented bound ($series <= 256 x $per_job_max + 100)" \
	test "$series" -le $((256 * per_job_max + 100))
check "--listen with a bad address is refused, naming it" \
	sh -c "'$CONTRACE' record -q -d 0.5 -o '$TMP/bad' --listen 999.1.1.1:80 2>&1 | grep -q \"listen '999.1.1.1:80': expected\""
