#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Memory stalls per job, against the kernel's own counts. Swap is a 256 MiB zram device.
#   job M: a v1 memory cgroup limited to 64 MiB; it touches 96 MiB over and over for 3 s, so
#          it reclaims its own pages, swaps them out and faults them back in.
#   job N: beside it, 16 MiB, no limit: no reclaim, no swapping, no major faults.
# Ground truth: M's major faults from getrusage (ctwork prints them), swap-outs from
# /proc/vmstat pswpout (M is the only one swapping), memory.stat of M's cgroup.
source "$(dirname "$0")/../lib.sh"

memv1=/sys/fs/cgroup/memory
[ -f $memv1/memory.limit_in_bytes ] || { not_ok "no v1 memory controller at $memv1"; exit 0; }
[ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null
if ! [ -e /sys/block/zram0 ] || [ "$(cat /sys/block/zram0/disksize)" != 0 ]; then
	not_ok "zram0 is missing or already in use"
	exit 0
fi
echo 256M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 ||
	{ not_ok "swap on zram0"; exit 0; }
on_exit sh -c 'swapoff /dev/zram0; echo 1 > /sys/block/zram0/reset'
m=$(mkcg memM $memv1) && n=$(mkcg memN) || exit 1
echo 64M >"$m/memory.limit_in_bytes" || exit 1
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

out=$TMP/rec
rec_start "$out" -i 1 --job M="$m" --job N="$n" || exit 1
out0=$(vm pswpout)
in_cg "$m" "$CTWORK" mem 96 3 >"$TMP/m" &
pm=$!
in_cg "$n" "$CTWORK" mem 16 3 >"$TMP/n"
wait $pm
out1=$(vm pswpout)
sleep 0.3
check "recorder stops cleanly" rec_stop
w=$out/windows.jsonl

majflt=$(field "$(cat "$TMP/m")" majflt)
echo "# M: major faults $majflt (getrusage), swap-outs $((out1 - out0)) (/proc/vmstat)"
check "M swapped (the setup works)" test "$majflt" -gt 1000 -a $((out1 - out0)) -gt 1000
within "M: major faults vs getrusage" "$(jsum "$w" M memory.majflt)" "$majflt" 1
within "M: pages written to swap vs /proc/vmstat pswpout" "$(jsum "$w" M memory.swapout)" \
	$((out1 - out0)) 2
within "M: major faults vs its cgroup's memory.stat" "$(jsum "$w" M memory.majflt)" \
	"$(jsum "$w" M 'kernel["memory.stat"].pgmajfault')" 2
# Reclaim stall: M spends a real part of its 3 s reclaiming; no ground truth gives the same
# figure, so the check is that it is there, and below M's own thread time.
between "M: reclaim stall (ns)" "$(jsum "$w" M memory.reclaim_ns)" 10000000 3500000000
check "M: reclaim episodes counted" test "$(jsum "$w" M memory.reclaims)" -gt 0
for k in reclaim_ns reclaims swapout; do
	check "N, beside M: no $k" test "$(jsum "$w" N memory.$k)" -eq 0
done
# N may fault back in the pages of the ctwork binary that M's reclaim evicted (M read them
# first, so they were charged to M): a few, and what the kernel counted for N. getrusage counts
# the process's whole life; the faults before it moved itself into N's cgroup (its shell, in
# no job) are not N's, so N's count lies between getrusage's less those before main() and
# getrusage's.
N=$(cat "$TMP/n")
nmaj=$(field "$N" majflt)
between "N: major faults vs getrusage ($nmaj, $(field "$N" pre_majflt) before main)" \
	"$(jsum "$w" N memory.majflt)" "$((nmaj - $(field "$N" pre_majflt)))" "$nmaj"
check "N: major faults are a sliver of M's" test "$(jsum "$w" N memory.majflt)" -lt $((majflt / 100))
