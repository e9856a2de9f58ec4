#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A demo job shaped like the real one: fetch items from the API one by one, do a little CPU
work on each, print [PERF] progress lines, run under cProfile.

The profile is written every few seconds (the real job's appears only at exit) so that a
snapshot can keep it. --shape picks which of the real job's two [PERF] line shapes to print.
With --concurrency C > 1 it multiplexes C connections in one thread (asyncio), as many real
clients do: it then waits in epoll, not in recv.
Usage: job.py --port P --total N --profile FILE [--shape relative|counter] [--every K]
              [--concurrency C]
"""
import argparse
import asyncio
import cProfile
import hashlib
import http.client
import os
import signal
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--total", type=int, default=100000)
ap.add_argument("--profile", required=True)
ap.add_argument("--shape", default="relative")
ap.add_argument("--every", type=int, default=25)
ap.add_argument("--dump-every", type=float, default=5.0)
ap.add_argument("--concurrency", type=int, default=1)
args = ap.parse_args()
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


def fmt(s):
    return "%.1f min" % (s / 60) if s < 3600 else "%.1f h" % (s / 3600)


def short(s):
    return "%.0fs" % s if s < 60 else ("%.1fmin" % (s / 60) if s < 3600 else "%.1fh" % (s / 3600))


def perf(done, start):
    elapsed = time.time() - start
    avg = elapsed / done
    remaining = (args.total - done) * avg
    if args.shape == "counter":
        print("[PERF] Processed:%d/%d(abs_total) [%.2f%%] Remaining:%s/%s(Elapsed)/%s(est_total_all)"
              " Average: %.3fs" % (done, args.total, 100.0 * done / args.total, short(remaining),
                                   short(elapsed), short(elapsed + remaining), avg), flush=True)
    elif done < 100:
        print("[PERF] Processed %d elements. Avg per element: %.3f s. Elapsed: %.1f s"
              % (done, avg, elapsed), flush=True)
    else:
        print("[PERF] %d/%d (%.1f%% relative) processed. Avg: %.3f s. Elapsed: %s. "
              "Est. remaining: %s/%s" % (done, args.total, 100.0 * done / args.total, avg,
                                         fmt(elapsed), fmt(remaining), fmt(elapsed + remaining)),
              flush=True)


def dump(prof):
    tmp = args.profile + ".tmp"
    prof.dump_stats(tmp)
    os.replace(tmp, args.profile)
    prof.enable()


def work(body):
    d = body
    for _ in range(150):
        d = hashlib.sha1(d).digest()
    return d


class Progress:
    """Items done, their [PERF] lines, and the profile written every few seconds."""

    def __init__(self, prof, start):
        self.prof, self.start, self.done, self.last_dump = prof, start, 0, start

    def one(self, body):
        work(body)
        self.done += 1
        if self.done % args.every == 0:
            perf(self.done, self.start)
        if time.time() - self.last_dump >= args.dump_every:
            dump(self.prof)
            self.last_dump = time.time()


def fetch(prof, start):
    """One request at a time on one connection, blocking in recv."""
    p = Progress(prof, start)
    conn = http.client.HTTPConnection("127.0.0.1", args.port)
    while not stop and p.done < args.total:
        conn.request("GET", "/item/%d" % p.done)
        p.one(conn.getresponse().read())
    return p.done


async def fetch_multiplexed(prof, start):
    """args.concurrency connections in one thread, each one request at a time."""
    p = Progress(prof, start)
    issued = 0

    async def connection():
        nonlocal issued
        r, w = await asyncio.open_connection("127.0.0.1", args.port)
        while not stop and issued < args.total:
            n = issued
            issued += 1
            w.write(b"GET /item/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % n)
            head = await r.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            p.one(await r.readexactly(length))
        w.close()

    await asyncio.gather(*(connection() for _ in range(args.concurrency)))
    return p.done


def main():
    print("job start %s" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print("branch: demo")
    print("commit: 0123456789abcdef0123456789abcdef01234567")
    print("contacting API at http://127.0.0.1:%d/ as demo-user@example.com" % args.port, flush=True)
    prof = cProfile.Profile()
    prof.enable()
    start = time.time()
    if args.concurrency > 1:
        done = asyncio.run(fetch_multiplexed(prof, start))
    else:
        done = fetch(prof, start)
    prof.disable()
    dump(prof)
    print("[PERF] Total time: %.2f s. Average per asset: %.3f s"
          % (time.time() - start, (time.time() - start) / max(done, 1)), flush=True)


main()
