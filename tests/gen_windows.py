#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Write a crafted windows.jsonl for report tests: jobs A and B (and a server "api"), 1 s
windows from START. A runs from the start; B from window B_FROM (if any).
  gen_windows.py OUT SCENARIO START
SCENARIO: contended (A's socket wait per unit doubles and its rate halves once B runs, B's CPU
culprits show up, half of B's time is in intervals whose switch-in was not traced), uncontended (nothing changes when B runs), short (3 windows, a few units), pollrise (once B
runs, A's rate halves and its time goes to poll waits that no socket ended: nothing measured
explains it), mixedrise (contended, but A's socket wait per unit rises 30 ms, more than its
20 ms of wall time, as two threads wait at once, and its poll waits no socket ended rise by
15 ms per unit), flat3 and spare3 (60 windows: A alone, B from window 20, C from window 40; flat3's
server does 50 units/s in all, shared among its clients, spare3's serves each 50 units/s),
and three chains, 40 windows, B from window 20, A's socket wait per unit doubling then:
starved (api, which serves A, waits 5x longer for a CPU per request behind a hog job),
serverdisk (api's requests wait on its disk instead), remote (A's server is on no job here:
10.0.0.9:5432, TCP's RTT flat).
"""
import json
import sys

out, scenario, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
NS = 1000000000
API = "10.0.0.5:2283"     # the endpoint A and B wait on, which api serves
nwin = 3 if scenario == "short" else 60 if scenario in ("flat3", "spare3") else 40
b_from = 2 if scenario == "short" else 20


def endpoint(name, side, ns, n):
    return {"endpoint": name, "side": side, "ns": ns, "count": n, "hist": [],
            "connects": 0, "connect_ns": 0, "connect_fail": 0, "retrans": 0, "srtt_us": 50,
            "tx_bytes": 100 * n, "rx_bytes": 1000 * n}


def job(name, kind, oncpu, runq, sock_ns, sock_n, done, culprits=(), side="remote", gaps=0,
        poll_ns=0, disk_ns=0, ep=API):
    j = {"name": name, "kind": kind, "cgroup": "/sys/fs/cgroup/unified/" + name,
         "cpu": {"oncpu_ns": oncpu, "nvcsw": sock_n, "nivcsw": 1},
         "runq": {"ns": runq, "count": max(sock_n, 1), "max_ns": runq, "hist": []},
         "offcpu": {"disk": {"ns": disk_ns, "count": 1 if disk_ns else 0}, "socket": {"ns": sock_ns, "count": sock_n},
                    "lock": {"ns": 0, "count": 0}, "poll": {"ns": poll_ns, "count": 1}},
         "socket_wait": {"ns": sock_ns, "count": sock_n, "hist": []},
         "culprits": [{"job": c, "runq_ns": ns, "count": 1, "preempts": 0} for c, ns in culprits],
         "net": {"endpoints": [endpoint(ep, side, sock_ns, sock_n)] if sock_n else []},
         "disk": [], "memory": {"reclaim_ns": 0, "reclaims": 0, "majflt": 0, "swapout": 0},
         "kernel": {"cpu.stat": {"usage_usec": oncpu // 1000}},
         # gaps: the share of its thread time in intervals whose switch-in was not traced
         "lost": {"repaired": 10 if gaps else 0, "repaired_ns": int((oncpu + runq + sock_ns) * gaps),
                  "unsplit": 0, "unsplit_ns": 0}}
    if done is not None:
        j["progress"] = {"shape": "relative", "done": done, "total": 100000}
    return j


def capacity(f):
    """flat3, spare3: A, B (from 20) and C (from 40) as clients of one server."""
    done = {"A": 0, "B": 0, "C": 0}
    for w in range(nwin):
        on = [n for n, start in (("A", 0), ("B", 20), ("C", 40)) if w >= start]
        jobs = []
        for i, n in enumerate(on):
            # flat3: 50 units a second shared out (17 + 17 + 16 with three); spare3: 50 each
            u = 50 if scenario == "spare3" else 50 // len(on) + (1 if i < 50 % len(on) else 0)
            done[n] += u
            per = NS // 50 * (len(on) if scenario == "flat3" else 1) * 9 // 10  # socket wait/unit
            jobs.append(job(n, "env", u * 1000000, u * 50000, u * per, u, done[n]))
        jobs.append(job("api", "cgroup", 500000000, 0, 900000000, 100, None, side="local"))
        f.write(json.dumps({"type": "window", "v": 1, "session": "1-1", "seq": w,
                            "start_ns": (start + w) * NS, "end_ns": (start + w + 1) * NS,
                            "dur_s": 1.0, "final": w == nwin - 1,
                            "lost": {"storage_full": 0, "recursion": 0, "endpoints_full": 0,
                                     "disk_full": 0, "repaired": 0, "unsplit": 0},
                            "system": {}, "jobs": jobs}) + "\n")


def chain(f):
    """starved, serverdisk, remote: A (and B from window 20) as clients of one server."""
    a_done = b_done = 0
    ep = "10.0.0.9:5432" if scenario == "remote" else API
    for w in range(nwin):
        b_on = w >= b_from
        u = 25 if b_on else 50
        a_done += u
        per = (40 if b_on else 20) * 1000000
        jobs = [job("A", "cgroup", u * 1000000, u * 50000, u * per, u, a_done, ep=ep)]
        if b_on:
            b_done += 25
            jobs.append(job("B", "cgroup", 25 * 1000000, 25 * 50000, 25 * per, 25, b_done, ep=ep))
        requests = u + (25 if b_on else 0)      # 50 a second either way
        if scenario != "remote":
            # per request: 2 ms of run-queue delay and 1 ms of disk alone; with B,
            # starved: 11.2 ms of run-queue delay (hog 80 %, B 10 %, its own threads 10 %),
            # serverdisk: 8 ms of disk
            rq = (11200000 if b_on and scenario == "starved" else 2000000) * requests
            dk = (8000000 if b_on and scenario == "serverdisk" else 1000000) * requests
            cul = [("hog", rq * 8 // 10), ("B", rq // 10), ("api", rq // 10)] \
                if b_on and scenario == "starved" else [("A", rq // 2), ("api", rq // 2)]
            jobs.append(job("api", "cgroup", 300000000, rq, 900000000, 100, None, cul,
                            side="local", disk_ns=dk))
        if b_on and scenario == "starved":
            jobs.append(job("hog", "cgroup", 1500000000, 100000000, 0, 0, None))
        f.write(json.dumps({"type": "window", "v": 1, "session": "1-1", "seq": w,
                            "start_ns": (start + w) * NS, "end_ns": (start + w + 1) * NS,
                            "dur_s": 1.0, "final": w == nwin - 1,
                            "lost": {"storage_full": 0, "recursion": 0, "endpoints_full": 0,
                                     "disk_full": 0, "repaired": 0, "unsplit": 0},
                            "system": {}, "jobs": jobs}) + "\n")


with open(out, "w") as f:
    if scenario in ("starved", "serverdisk", "remote"):
        f.write(json.dumps({"type": "session", "v": 1, "session": "1-1", "jobs": []}) + "\n")
        chain(f)
        sys.exit(0)
    if scenario in ("flat3", "spare3"):
        f.write(json.dumps({"type": "session", "v": 1, "session": "1-1", "jobs": []}) + "\n")
        capacity(f)
        sys.exit(0)
    f.write(json.dumps({"type": "session", "v": 1, "session": "1-1", "jobs": []}) + "\n")
    a_done = b_done = 0
    for w in range(nwin):
        b_on = w >= b_from
        contended = scenario in ("contended", "short", "mixedrise") and b_on
        a_units = 25 if contended else 50
        if scenario == "short":
            a_units = 3
        a_done += a_units
        per = (40 if contended else 20) * 1000000       # socket wait per unit, ns
        if scenario == "mixedrise" and b_on:
            per = 50 * 1000000      # two threads waiting at once: 30 ms more for 20 ms of wall
        if scenario == "pollrise" and b_on:
            a_units = 25
            a_done += a_units - 50
        jobs = [job("A", "cgroup", a_units * 1000000, a_units * 50000, a_units * per, a_units,
                    a_done, [("api", a_units * 40000)] + ([("B", 10000)] if b_on else []),
                    poll_ns=a_units * (20000000 if scenario == "pollrise" else
                                       15000000 if scenario == "mixedrise" else 0) if b_on else 0)]
        if b_on:
            b_done += 25
            # B's figures rest half on intervals the kernel did not trace whole.
            jobs.append(job("B", "cgroup", 25 * 1000000, 25 * 50000, 25 * per, 25, b_done,
                            gaps=0.5 if scenario == "contended" else 0))
        else:
            jobs.append(job("B", "cgroup", 0, 0, 0, 0, None))
        jobs.append(job("api", "cgroup", (150 if b_on else 100) * 1000000, 0,
                        900000000, 100, None, side="local"))
        jobs.append(job("other", "other", 5000000, 0, 0, 0, None))
        f.write(json.dumps({"type": "window", "v": 1, "session": "1-1", "seq": w,
                            "start_ns": (start + w) * NS, "end_ns": (start + w + 1) * NS,
                            "dur_s": 1.0, "final": w == nwin - 1,
                            "lost": {"storage_full": 0, "recursion": 0, "endpoints_full": 0,
                                     "disk_full": 0, "repaired": 0, "unsplit": 0},
                            "system": {}, "jobs": jobs}) + "\n")
