#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install everything contrace needs to build, test and benchmark, from Debian packages only.
# Idempotent: when every package is already installed it changes nothing and skips apt.
#   scripts/install-deps.sh           install what is missing (root)
#   scripts/install-deps.sh --check   check that every program the tests and scripts call is
#                                     on PATH; one "ok - "/"not ok - " line per program
set -euo pipefail
pkgs=(
	make gcc clang llvm pkg-config libclang-rt-14-dev   # build; libFuzzer for tests/fuzz
	libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev
	libmicrohttpd-dev                  # record --listen: the /metrics endpoint
	prometheus                         # prom test: promtool checks, a real Prometheus scrapes
	jq procps sysstat util-linux bsdutils iproute2 python3   # tests, snapshots (iostat, jq, script)
	librsvg2-bin                       # tests: rsvg-convert renders the report's charts
	fio nftables                       # disk and network tests: fio latency, packet loss
	curl nginx-light                   # realnet test: real clients and servers in poll/epoll
	kmod                               # mem test: modprobe zram
	git                                # snapshot: the job's branch and commit
	linux-perf                         # make bench: perf bench sched
	bpftrace                           # disk test: a peer's block latency; make bench: runqlat
)
# Every program that tests/, scripts/ or contrace itself runs, and the package it comes from.
# tests/run.sh runs --check first, so a program missing here fails the suite by name.
tools=(
	clang:clang bpftool:bpftool pkg-config:pkg-config
	jq:jq python3:python3 rsvg-convert:librsvg2-bin
	top:procps free:procps vmstat:procps uptime:procps sysctl:procps
	iostat:sysstat df:coreutils timeout:coreutils truncate:coreutils dd:coreutils
	taskset:util-linux losetup:util-linux mkswap:util-linux swapon:util-linux script:bsdutils
	swapoff:util-linux
	ip:iproute2 fio:fio nft:nftables modprobe:kmod git:git gzip:gzip perf:linux-perf
	curl:curl nginx:nginx-light promtool:prometheus prometheus:prometheus bpftrace:bpftrace
)

if [ "${1:-}" = --check ]; then
	bad=0
	for t in "${tools[@]}"; do
		if command -v "${t%%:*}" >/dev/null 2>&1; then
			echo "ok - ${t%%:*} is installed"
		else
			echo "not ok - ${t%%:*} not found: scripts/install-deps.sh installs it from Debian's ${t#*:}"
			bad=1
		fi
	done
	exit $bad
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages already installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]} (run with sudo)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
