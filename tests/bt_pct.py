#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Percentiles of tests/workload/biolat.bt's output (bpftrace -f json).

Usage: bt_pct.py FILE OP [SUB_BITS]    (OP: read or write; rwbs starting with R or W)
Prints "count p50 p90 p99" in ns, each the middle of its 1 us bin, with the same rank rule as
hist_merge.py (the smallest value with at least p % of the requests at or below it). With
SUB_BITS, the index of the log-linear bucket (2^SUB_BITS per power of two, as in
windows.jsonl's session header) each of those values falls in.
"""
import json
import sys


def bucket(v, sub_bits):
    """Index of the bucket holding @v: below 2^sub_bits one per value, then 2^sub_bits per
    power of two [2^k, 2^(k+1)), each 2^(k-sub_bits) wide."""
    sub = 1 << sub_bits
    if v < sub:
        return v
    k = v.bit_length() - 1
    return (k - sub_bits + 1) * sub + (v >> (k - sub_bits)) - sub


def main():
    path, op = sys.argv[1:3]
    sub_bits = int(sys.argv[3]) if len(sys.argv) > 3 else None
    first = {"read": "R", "write": "W"}[op]
    counts = {}
    for line in open(path):
        if not line.strip():
            continue
        o = json.loads(line)
        if o.get("type") != "map" or "@lat" not in o["data"]:
            continue
        for key, n in o["data"]["@lat"].items():
            rwbs, us = key.rsplit(",", 1)
            if rwbs.startswith(first):
                counts[int(us)] = counts.get(int(us), 0) + n
    total = sum(counts.values())
    out = [str(total)]
    for p in (50, 90, 99):
        rank, seen = max(1, -(-total * p // 100)), 0
        for us in sorted(counts):
            seen += counts[us]
            if seen >= rank:
                v = us * 1000 + 500
                out.append(str(v if sub_bits is None else bucket(v, sub_bits)))
                break
        else:
            out.append("0")
    print(" ".join(out))


main()
