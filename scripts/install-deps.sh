#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install everything contrace needs to build, test and benchmark, from Debian packages only.
# Idempotent: when every package is already installed it changes nothing and skips apt.
set -euo pipefail
pkgs=(
	make gcc clang llvm pkg-config libclang-rt-14-dev   # build; libFuzzer for tests/fuzz
	libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev
	jq procps sysstat util-linux iproute2 python3   # tests and snapshots (iostat, jq, taskset)
	fio nftables                       # disk and network tests: fio latency, packet loss
	linux-perf                         # make bench: perf bench sched
)
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
