#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The demo's "API server": serves GET /item/N like the photo server of the real job.

One request at a time (limited concurrency, like a server with one worker), and each request
costs some CPU (hashing), a small disk write (synced every 10th request) and a fixed
"database" delay. So a second client makes every client wait longer: the contention the
experiment must find.
Usage: api_server.py PORT WORKDIR [SERVICE_MS]
"""
import hashlib
import http.server
import os
import sys
import threading
import time

PORT = int(sys.argv[1])
WORKDIR = sys.argv[2]
SERVICE_S = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.015
ONE_AT_A_TIME = threading.Lock()
served = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
    # delayed ACK add 40 ms to every response.
    disable_nagle_algorithm = True

    def do_GET(self):
        global served
        with ONE_AT_A_TIME:
            served += 1
            digest = b"x" * 64
            for _ in range(2000):
                digest = hashlib.sha256(digest).digest()
            with open(os.path.join(WORKDIR, "api-journal"), "ab") as f:
                f.write(digest * 64)
                if served % 10 == 0:
                    f.flush()
                    os.fdatasync(f.fileno())
            time.sleep(SERVICE_S)
        body = (self.path + " " + digest.hex() + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
