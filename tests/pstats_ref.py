#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Python's own reading of a pstats file, printed in `contrace pstats --raw` format.

Usage: pstats_ref.py FILE KEY N   (KEY: cumulative, tottime or calls; N: 0 for all)
"""
import gzip
import marshal
import pstats
import sys
from pstats import func_std_string

path, key, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "rb") as f:
    head = f.read(2)
if head == b"\x1f\x8b":  # pstats cannot read gzip itself: load the dict, as Stats does
    st = pstats.Stats()
    st.stats = marshal.loads(gzip.open(path).read())
    st.get_top_level_stats()
else:
    st = pstats.Stats(path)
st.sort_stats({"cumulative": "cumulative", "tottime": "tottime", "calls": "calls"}[key])
print("total %d %d %s" % (st.total_calls, st.prim_calls, format(st.total_tt, ".17g")))
funcs = st.fcn_list[: top or None]
for func in funcs:
    cc, nc, tt, ct, _ = st.stats[func]
    print("%d %d %s %s %s" % (nc, cc, format(tt, ".17g"), format(ct, ".17g"), func_std_string(func)))
