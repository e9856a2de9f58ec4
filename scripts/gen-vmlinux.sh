#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# Usage: scripts/gen-vmlinux.sh [BTF_FILE] [ARCH]
#   BTF_FILE defaults to /sys/kernel/btf/vmlinux, ARCH to the machine's (x86, arm64, ...).
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
	-e 's/riscv64/riscv/' -e 's/s390x/s390/' -e 's/loongarch64/loongarch/')}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -r "$btf" ] || { echo "gen-vmlinux: cannot read BTF file $btf" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "gen-vmlinux: bpftool not found (apt-get install bpftool)" >&2; exit 1; }
mkdir -p "$top/vmlinux/$arch"
tmp=$(mktemp "$top/vmlinux/$arch/.vmlinux.h.XXXXXX")
trap 'rm -f "$tmp"' EXIT
bpftool btf dump file "$btf" format c >"$tmp"
mv "$tmp" "$top/vmlinux/$arch/vmlinux.h"
trap - EXIT
echo "wrote vmlinux/$arch/vmlinux.h from $btf ($(wc -l <"$top/vmlinux/$arch/vmlinux.h") lines)"
