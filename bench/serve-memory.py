#!/usr/bin/env python3
"""What portscope serve's response cache takes of memory, against what it counts.

    python3 bench/serve-memory.py BUILD/portscope-serve gzip|identity [PAGES]

Starts the server on 127.0.0.1 (a free port), fetches PAGES (default 5,000) distinct pages
(/he/ports/N), with or without Accept-Encoding: gzip, and prints the growth of its resident set
beside the cache's own count (portscope_http_cache_bytes in /metrics; its bound is 96 MiB). The
two should be close: the cache counts the heap its bodies take, not only their lengths. Needs the
IANA CSV under ../shared/data/iana. A measurement, not a test."""
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

binp = sys.argv[1]
enc = sys.argv[2] == "gzip"
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
csv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "iana",
                   "service-names-port-numbers.2026-02.csv")
d = tempfile.mkdtemp(prefix="portscope-bench-memory-")
env = dict(os.environ, HOME=d, XDG_CACHE_HOME=d+"/c", XDG_STATE_HOME=d+"/s")
p = subprocess.Popen([binp, "serve", "--listen", "127.0.0.1:0", "--registry", csv, "--db", d+"/fb.db", "--no-access-log"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
url = re.search(rb"http://127\.0\.0\.1:\d+", p.stdout.readline()).group().decode()


def rss():
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p.pid}/status").read()).group(1))


urllib.request.urlopen(url + "/ports/1").read()
r0 = rss()
for n in range(2, pages + 2):
    req = urllib.request.Request(url + f"/he/ports/{n}", headers={"Accept-Encoding": "gzip"} if enc else {})
    urllib.request.urlopen(req).read()
r1 = rss()
m = urllib.request.urlopen(url + "/metrics").read().decode()
cb = re.search(r"^portscope_http_cache_bytes (\d+)", m, re.M)
print(f"{'gzip' if enc else 'identity'}: RSS +{(r1-r0)/1024:.1f} MB, cache_bytes {int(cb.group(1))/1e6 if cb else -1:.1f} MB")
p.terminate(); p.wait()
subprocess.run(["rm", "-rf", d])
