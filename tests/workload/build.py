#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A build as a CI agent runs one: a process tree that spins threads, forks, execs, starts a
daemon that double-forks away from it, runs many short-lived processes and a child in a new
PID namespace, sleeps 50 x 20 ms (1.0 s injected), and runs a step with a BUILD_TAG of its own
(its Jenkins node cookie kept, as a step that sets BUILD_TAG does). CTWORK is the path of ctwork; DAEMON_OUT where the daemon writes its figures.
  build.py CTWORK DAEMON_OUT
Prints one JSON line: its own and its waited-for children's CPU time by getrusage (self and
RUSAGE_CHILDREN; the daemon is not among them: it prints its own to DAEMON_OUT), and the time
the sleeper spent off CPU (its wall time less its on-CPU and run-queue time, by schedstat)."""
import json
import os
import resource
import subprocess
import sys
import threading
import time

ctwork, daemon_out = sys.argv[1], sys.argv[2]


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


# two threads of its own
ts = [threading.Thread(target=spin, args=(1.0,)) for _ in range(2)]
for t in ts:
    t.start()
# a forked child that computes
pid = os.fork()
if pid == 0:
    spin(0.5)
    os._exit(0)
# an exec'd program with two threads
p = subprocess.Popen([ctwork, "spin", "2", "0.5"], stdout=subprocess.DEVNULL)
# a daemon: double fork, so that init, not the build, is its parent
d = os.fork()
if d == 0:
    if os.fork() == 0:
        with open(daemon_out, "w") as f:
            os.dup2(f.fileno(), 1)
            os.execv(ctwork, [ctwork, "spin", "1", "0.5"])
    os._exit(0)
os.waitpid(d, 0)
# a child in a new PID namespace
subprocess.run(["unshare", "-p", "-f", ctwork, "spin", "1", "0.3"], stdout=subprocess.DEVNULL,
               check=True)
# injected sleeps: 50 x 20 ms; how long they kept it off CPU by its own clock and schedstat
sl = json.loads(subprocess.run([ctwork, "sleep", "20", "50"], stdout=subprocess.PIPE,
                               check=True).stdout)
sleep_off_ns = sl["wall_ns"] - sl["oncpu_ns"] - sl["run_delay_ns"]
# a step that changes BUILD_TAG but keeps the rest of the environment
env = dict(os.environ, BUILD_TAG=os.environ.get("BUILD_TAG", "none") + "-step")
subprocess.run([ctwork, "spin", "1", "0.3"], stdout=subprocess.DEVNULL, env=env, check=True)
# short-lived processes
for _ in range(300):
    subprocess.run(["/bin/true"], check=True)
for t in ts:
    t.join()
os.waitpid(pid, 0)
p.wait()
s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"self_ns": int((s.ru_utime + s.ru_stime) * 1e9),
                  "children_ns": int((c.ru_utime + c.ru_stime) * 1e9),
                  "sleep_off_ns": sleep_off_ns}))
