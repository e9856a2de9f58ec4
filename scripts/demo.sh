#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The README's first command. Installs what contrace needs (Debian packages), builds it, and
# runs the whole experiment of docs/experiment.md on synthetic jobs in about two minutes
# (scripts/experiment.sh): a local API server that serves one request at a time, jobA alone,
# snapshot t0, jobB beside it, snapshot t1, report. Then it prints the report's summary.
#   sudo scripts/demo.sh [DIR]      (default: ./contrace-demo; must not exist yet)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-contrace-demo}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: contrace loads BPF programs and creates cgroups: run it as root (sudo $0)" >&2
	exit 1
fi
if [ -e "$dir" ]; then
	echo "demo: $dir already exists; give another directory: sudo $0 DIR" >&2
	exit 1
fi
"$top/scripts/install-deps.sh"
make -C "$top" -s all
"$top/scripts/experiment.sh" "$dir"
echo
sed -n '/^## Executive summary/,/^## ETA/p' "$dir/analysis/report.md" | sed '$d'
echo "demo: open $dir/analysis/report.md (charts: $dir/analysis/*.svg)"
