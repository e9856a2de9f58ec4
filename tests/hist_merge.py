#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Merge one job's histograms over every window of a windows.jsonl and print its percentiles.

Usage: hist_merge.py [--index] FILE JOB disk DEVICE OP FIELD    (FIELD: queue or device_time)
       hist_merge.py [--index] FILE JOB net ENDPOINT
Prints "count p50 p90 p99" (ns, the middle of each percentile's bucket; with --index, the
buckets' indices and then the session's sub_bucket_bits). Bucket bounds are computed here from
the scheme the session header states, independently of contrace's C code.
"""
import json
import sys


def lower(b, sub_bits):
    sub = 1 << sub_bits
    if b < sub:
        return b
    k = b // sub + sub_bits - 1
    return (sub + b % sub) << (k - sub_bits)


def width(b, sub_bits):
    sub = 1 << sub_bits
    return 1 if b < sub else 1 << (b // sub - 1)


def main():
    args = sys.argv[1:]
    index = args[0] == "--index"
    if index:
        args = args[1:]
    path, job, kind = args[:3]
    sub_bits, counts = 4, {}
    for line in open(path):
        o = json.loads(line)
        if o.get("type") == "session":
            sub_bits = o["hist"]["sub_bucket_bits"]
            continue
        for j in o.get("jobs", []):
            if j["name"] != job:
                continue
            if kind == "disk":
                dev, op, field = args[3:6]
                hists = [d[field]["hist"] for d in j.get("disk", [])
                         if d["device"] == dev and d["op"] == op]
            else:
                hists = [e["hist"] for e in j.get("net", {}).get("endpoints", [])
                         if e["endpoint"] == args[3]]
            for h in hists:
                for b, n in h:
                    counts[b] = counts.get(b, 0) + n
    total = sum(counts.values())
    out = [str(total)]
    for p in (50, 90, 99):
        rank, seen = max(1, -(-total * p // 100)), 0
        for b in sorted(counts):
            seen += counts[b]
            if seen >= rank:
                out.append(str(b if index else lower(b, sub_bits) + width(b, sub_bits) // 2))
                break
        else:
            out.append("0")
    if index:
        out.append(str(sub_bits))
    print(" ".join(out))


main()
