#!/usr/bin/env python3
"""Every (port, protocol) for tcp and udp 0-65535 gets the status and service names that the
IANA registry gives, computed here independently with Python's csv module (131,072 cases);
and every column of every row that covers a sample of ports is printed exactly."""
import csv
import random
from pstest import check, finish, iana_csv, run_json, skip

path = iana_csv()
if not path:
    skip("the IANA CSV from ../shared/data/iana is absent (PORTSCOPE_TEST_IANA_DIR unset)")

with open(path, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
check(len(header) == 12, "12 columns in the header")

PROTOS = ("tcp", "udp", "sctp", "dccp")
status = {p: ["unassigned"] * 65536 for p in PROTOS}
names = {p: [[] for _ in range(65536)] for p in PROTOS}
rank = {"unassigned": 0, "reserved": 1, "assigned": 2}
covering = {}
for i, r in enumerate(rows):
    name, port, proto, desc = r[0], r[1], r[2], r[3]
    if not port:
        continue
    lo, _, hi = port.partition("-")
    lo = int(lo)
    hi = int(hi) if hi else lo
    if name or desc.lower().startswith("any private"):
        s = "assigned"
    elif desc.lower().startswith("reserved"):
        s = "reserved"
    else:
        s = None
    for p in (PROTOS if proto == "" else (proto,)):
        for n in range(lo, hi + 1):
            covering.setdefault((n, p), []).append(i)
            if s and rank[s] > rank[status[p][n]]:
                status[p][n] = s
            if name:
                names[p][n].append(name)

out = run_json("list", "--json", "--registry", path)
check(out["registry"]["source"] == path, "list names its source")
check(out["registry"]["date"] == "2026-02-25", f"registry date is the newest date: {out['registry']['date']}")
seen = {p: 0 for p in PROTOS}
mismatch = 0
for item in out["ports"]:
    p, n = item["protocol"], item["port"]
    seen[p] += 1
    if item["status"] != status[p][n] or item["services"] != names[p][n]:
        mismatch += 1
        if mismatch <= 10:
            print(f"  {n}/{p}: portscope {item['status']} {item['services']}, registry {status[p][n]} {names[p][n]}")
check(all(seen[p] == 65536 for p in PROTOS), f"every port of every protocol listed: {seen}")
check(mismatch == 0, f"status and names agree for all {sum(seen.values())} (port, protocol) pairs; {mismatch} differ")
tcpudp = sum(1 for p in ("tcp", "udp") for n in range(65536))
print(f"compared {tcpudp} tcp/udp cases and {seen['sctp'] + seen['dccp']} sctp/dccp cases")

# Every column of every covering row, for the seeds' ports and a random sample.
cols = ["name", "port", "protocol", "description", "assignee", "contact", "registered", "modified", "reference",
        "service_code", "unauthorized_use", "notes"]
sample = [0, 2, 22, 24, 100, 250, 625, 3025, 6000, 6063, 31337, 40000, 49151, 49152, 65535]
rng = random.Random(6335)
sample += rng.sample(range(65536), 40)
for port in sample:
    info = run_json("info", "--json-object", str(port), "--registry", path)
    check(info["port"] == port, f"info {port}: port")
    for p in PROTOS:
        po = info["protocols"][p]
        check(po["status"] == status[p][port], f"info {port}/{p}: status {po['status']} vs {status[p][port]}")
        got = [(x["line"], x) for x in po["services"] + po["records"]]
        want = covering.get((port, p), [])
        check(len(got) == len(want), f"info {port}/{p}: {len(got)} rows vs registry {len(want)}")
        for (_, x), i in zip(sorted(got, key=lambda t: t[0]), want):
            r = rows[i]
            for c, v in zip(cols, r):
                if c == "port":  # a number, or first-last for a range (the CSV's text, rebuilt)
                    mine = "" if x["first"] is None else str(x["first"]) if x["first"] == x["last"] else f"{x['first']}-{x['last']}"
                    check(x["port"] == (x["first"] if x["first"] == x["last"] else None), f"info {port}/{p}: port {x['port']!r}")
                else:
                    check(x[c] != "", f"info {port}/{p} row {r[0]!r}: column {c} is null when absent, never \"\"")
                    mine = x[c] if x[c] is not None else ""
                check(mine == v, f"info {port}/{p} row {r[0]!r}: column {c}: {mine!r} vs {v!r}")

# Aliases: dec_dlm is an alias of dec-dlm on 625.
info = run_json("info", "--json-object", "625", "--registry", path)
al = [x for x in info["protocols"]["tcp"]["services"] if x["name"] == "dec_dlm"]
check(al and al[0]["alias_of"] == "dec-dlm", "dec_dlm is shown as an alias of dec-dlm")
# Service names resolve to their ports.
ssh = run_json("info", "--json-object", "ssh", "--registry", path)
check(isinstance(ssh, dict) and ssh["port"] == 22, "info ssh is port 22")
finish()
