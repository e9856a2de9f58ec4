#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run CMD and wait for it; print one JSON line with the CPU time of this process and of all it
waited for, by getrusage (RUSAGE_SELF + RUSAGE_CHILDREN): a whole process tree's CPU, as long as
every process in it was reaped by a process of the tree (or by a PID namespace's end).
  rusage.py CMD [ARG...]"""
import json
import resource
import subprocess
import sys

rc = subprocess.run(sys.argv[1:], stdout=sys.stderr).returncode
s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "tree_ns": int((s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime) * 1e9)}))
