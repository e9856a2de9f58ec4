#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A multiplexing client on Python's stdlib asyncio: CONNS connections to ADDR:PORT in one
thread, each sending N one-byte requests, one at a time, and reading the one-byte answer.
  aioclient.py ADDR PORT CONNS N [SELECTOR]
SELECTOR: epoll (the default on Linux), poll or select: the system call its loop blocks in,
on its connections and its own wake-up socket.
By its own clock it prints one JSON line: the time its event loop spent blocked in the
selector in calls that returned a socket ready ("sock_wait_ns") and in calls that returned
nothing ("idle_ns"), the requests made, and the kernel's count of its thread's time on CPU
and queued for one meanwhile (/proc/thread-self/schedstat: "oncpu_ns", "run_delay_ns")."""
import asyncio
import json
import selectors
import sys
import time

addr, port, conns, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = {"epoll": selectors.EpollSelector, "poll": selectors.PollSelector,
        "select": selectors.SelectSelector}[sys.argv[5] if len(sys.argv) > 5 else "epoll"]
clock = {"sock_wait_ns": 0, "idle_ns": 0}


class TimedSelector(base):
    """The loop's selector, timing every blocking select by what ended it."""

    def select(self, timeout=None):
        t0 = time.monotonic_ns()
        ready = super().select(timeout)
        d = time.monotonic_ns() - t0
        clock["sock_wait_ns" if ready else "idle_ns"] += d
        return ready


async def one(i):
    r, w = await asyncio.open_connection(addr, port)
    for _ in range(n):
        w.write(b"x")
        await w.drain()
        if len(await r.readexactly(1)) != 1:
            raise SystemExit("short answer")
    w.close()
    await w.wait_closed()


async def main():
    await asyncio.gather(*(one(i) for i in range(conns)))


def schedstat():
    with open("/proc/thread-self/schedstat") as f:
        on, delay = f.read().split()[:2]
    return int(on), int(delay)


on0, d0 = schedstat()
loop = asyncio.SelectorEventLoop(TimedSelector())
loop.run_until_complete(main())
loop.close()
on1, d1 = schedstat()
print(json.dumps(dict(clock, requests=conns * n, oncpu_ns=on1 - on0, run_delay_ns=d1 - d0)))
