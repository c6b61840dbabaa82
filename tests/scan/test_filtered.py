#!/usr/bin/env python3
"""Filtered TCP ports: ports whose packets a firewall drops (an iptables DROP rule inside the
target namespace of the test bed, tests/scan/testbed.py) are reported "filtered" as nmap reports
them, by the connect and SYN engines, in text, JSON, XML and grepable output: one by one up to
25 a host, beyond that as a count ("1000 filtered", XML extraports, grepable "Ignored State").
Ports a REJECT rule answers with an ICMP error are filtered with nmap's reason for its code.
Needs root and iptables; prints "skipped: ..." and exits 77 without.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testbed  # noqa: E402

FAILURES = []
OPEN, DROPPED, CLOSED = 40010, 40011, 40013
MANY = (41000, 41999)  # dropped too: 1000 ports


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def host(doc):
    return doc["hosts"][0] if doc["hosts"] else {}


def run_engine(tb, engine):
    base = ["--engine", engine, "--no-service", "--timeout", "300", "--max-retries", "1"]
    ports = f"{OPEN},{DROPPED},{CLOSED}"
    p = tb.scan(["198.18.0.2"], base + ["--json", "-p", ports])
    h = host(json.loads(p.stdout))
    by = {x["port"]: x for x in h.get("ports", [])}
    d = by.get(DROPPED, {})
    check(by.get(OPEN, {}).get("state") == "open" and d.get("state") == "filtered" and
          d.get("reason") == "no-response" and CLOSED not in by and h.get("closed") == 1 and h.get("filtered") == 0,
          f"{engine}: JSON lists the dropped port filtered (no-response), beside the open one; closed counted: "
          f"{sorted(by)} closed={h.get('closed')} filtered={h.get('filtered')} {d}")
    p = tb.scan(["198.18.0.2"], base + ["-p", ports])
    text = p.stdout.decode()
    check(re.search(rf"^\s*{DROPPED}/tcp\s+filtered\b", text, re.M) is not None and "1 open, 1 closed, 1 filtered" in text,
          f"{engine}: the text table has the line '{DROPPED}/tcp filtered', and its host line counts it:\n{text}")
    p = tb.scan(["198.18.0.2"], base + ["-p", str(DROPPED), "--json"])
    h = host(json.loads(p.stdout))
    check([(x["port"], x["state"]) for x in h.get("ports", [])] == [(DROPPED, "filtered")],
          f"{engine}: a scan of the dropped port alone lists it filtered (it said 0 open ports on 0 hosts): {h}")
    p = tb.scan(["198.18.0.2"], base + ["-p", str(DROPPED)])
    text = p.stdout.decode()
    check(re.search(rf"^\s*{DROPPED}/tcp\s+filtered\b", text, re.M) is not None,
          f"{engine}: ... and so does its text:\n{text}")

    many = f"{OPEN},{MANY[0]}-{MANY[1]}"
    n = MANY[1] - MANY[0] + 1
    p = tb.scan(["198.18.0.2"], base + ["--json", "-p", many])
    h = host(json.loads(p.stdout))
    check([x["port"] for x in h.get("ports", [])] == [OPEN] and h.get("filtered") == n,
          f"{engine}: {n} dropped ports are a count (filtered={h.get('filtered')}), not {len(h.get('ports', []))} "
          f"listed ports")
    p = tb.scan(["198.18.0.2"], base + ["-p", many])
    text = p.stdout.decode()
    check(f"{n} filtered" in text and len(text.splitlines()) < 12 and "filtered  " not in text,
          f"{engine}: the text says '{n} filtered' on the host's line, no line per port:\n{text}")
    xml = os.path.join(tb.dir, f"out-{engine}.xml")
    gnmap = os.path.join(tb.dir, f"out-{engine}.gnmap")
    tb.scan(["198.18.0.2"], base + ["-p", many, "-oX", xml, "-oG", gnmap])
    with open(xml) as f:
        x = f.read()
    check(f'<extraports state="filtered" count="{n}">' in x, f"{engine}: XML extraports filtered count {n}")
    with open(gnmap) as f:
        g = f.read()
    check(f"Ignored State: filtered ({n})" in g and f"{OPEN}/open/tcp" in g,
          f"{engine}: grepable 'Ignored State: filtered ({n})':\n{g}")
    tb.scan(["198.18.0.2"], base + ["-p", f"{OPEN},{DROPPED}", "-oX", xml, "-oG", gnmap])
    with open(xml) as f:
        x = f.read()
    check(f'portid="{DROPPED}"><state state="filtered" reason="no-response"' in x,
          f"{engine}: XML lists the one dropped port filtered")
    with open(gnmap) as f:
        g = f.read()
    check(f"{DROPPED}/filtered/tcp" in g, f"{engine}: grepable lists {DROPPED}/filtered/tcp:\n{g}")


# Ports a REJECT rule answers with an ICMP error: the reason nmap gives for each (every engine
# reads the ICMP code; the connect engine from its socket's error queue).
REJECTED = {40020: ("icmp-host-prohibited", "host-prohibited"),
            40021: ("icmp-net-prohibited", "net-prohibited"),
            40022: ("icmp-admin-prohibited", "admin-prohibited"),
            40023: ("icmp-host-unreachable", "host-unreach"),
            40024: ("icmp-net-unreachable", "net-unreach")}
UDP_REJECTED = 40030


def run_rejected(tb):
    ports = ",".join(str(p) for p in REJECTED)
    for engine in ("syn", "connect"):
        p = tb.scan(["198.18.0.2"], ["--engine", engine, "--no-service", "--timeout", "300", "--max-retries", "1",
                                     "--json", "-p", ports])
        got = {x["port"]: (x["state"], x["reason"]) for x in host(json.loads(p.stdout)).get("ports", [])}
        want = {port: ("filtered", r[1]) for port, r in REJECTED.items()}
        check(got == want, f"{engine}: ports a REJECT rule answers are filtered, with the ICMP code's reason: "
                           f"{got} (want {want})")
    xml = os.path.join(tb.dir, "rejected.xml")
    tb.scan(["198.18.0.2"], ["--engine", "syn", "--no-service", "--timeout", "300", "--max-retries", "1",
                             "-p", "40020", "-oX", xml])
    with open(xml) as f:
        x = f.read()
    check('portid="40020"><state state="filtered" reason="host-prohibited"' in x,
          "syn: XML gives nmap's reason host-prohibited")
    p = tb.scan(["198.18.0.2"], ["--engine", "udp", "--no-service", "--timeout", "300", "--max-retries", "1",
                                 "--json", "-p", str(UDP_REJECTED)], check_rc=False)
    doc = json.loads(p.stdout) if p.stdout else {"hosts": []}
    got = [(x["port"], x["state"], x["reason"]) for x in host(doc).get("ports", [])]
    check(got == [(UDP_REJECTED, "filtered", "host-prohibited")],
          f"udp: a port a REJECT rule answers with host-prohibited is filtered, reason host-prohibited: {got}")


def run_sweep(tb):
    """A sweep of more than 256 addresses: the hosts that never answered (198.18.0.3-254 have no
    neighbour entry) are not one entry each; the host that answered lists its dropped port."""
    p = tb.scan(["198.18.0.0/24", "198.19.0.0/30"], ["--engine", "connect", "--no-service", "--timeout", "300",
                                                     "--max-retries", "1", "--json", "-p", f"{OPEN},{DROPPED}"])
    doc = json.loads(p.stdout)
    hosts = {h["address"]: [(x["port"], x["state"]) for x in h["ports"]] for h in doc["hosts"]}
    # 198.18.0.1, the scanner's own address, answers (closed ports): a host that is up is listed.
    check(hosts.get("198.18.0.2") == [(OPEN, "open"), (DROPPED, "filtered")] and hosts.get("198.18.0.1") == [] and
          all(a in ("198.18.0.1", "198.18.0.2") or a.startswith("198.19.0.") for a in hosts),
          f"a sweep of 260 addresses lists 198.18.0.2 with its filtered port, not the absent hosts: {hosts}")


def run_icmp_spent(tb):
    """UDP against a target whose ICMP errors are limited as Linux limits them by default (one a
    second per source after a burst of 6), just after a scan that spent that budget: the first
    pass then draws no ICMP error at all, and the silent ports are not reported as plain
    open|filtered: the scan notices the limit (one probe again after a second) and says so."""
    for k, v in (("icmp_ratelimit", "1000"), ("icmp_msgs_per_sec", "1000"), ("icmp_msgs_burst", "50")):
        tb.ns(tb.t, "sysctl", "-qw", f"net.ipv4.{k}={v}")
    ports = ["--engine", "udp", "--no-service", "--json", "--all-states", "-p", "30000-30019"]
    tb.scan(["198.18.0.2"], ports + ["--timeout", "100", "--max-retries", "0", "--udp-budget", "0"])
    p = tb.scan(["198.18.0.2"], ports + ["--max-retries", "1", "--udp-budget", "1500"])
    doc = json.loads(p.stdout)
    states = [(x["state"], bool(x.get("unconfirmed"))) for x in host(doc).get("ports", [])]
    silent = [u for st, u in states if st == "open|filtered"]
    check(len(states) == 20 and silent and all(silent) and doc["scan"]["icmp_limited"],
          f"udp after a scan spent the target's ICMP budget: its silent ports are unconfirmed and the limit is "
          f"said (icmp_limited {doc['scan'].get('icmp_limited')}, {len(silent)} silent, states {states[:3]}...)")
    # --max-retries bounds the retries paced for a limited target too: 0 is one probe a port.
    tb.scan(["198.18.0.2"], ports + ["--timeout", "100", "--max-retries", "0", "--udp-budget", "0"])
    time.sleep(1.2)  # one error back in the target's budget: the next pass sees the limit
    doc = json.loads(tb.scan(["198.18.0.2"], ports + ["--max-retries", "0"]).stdout)
    check(doc["scan"]["sent"] == 20 and doc["scan"]["passes"] == 1,
          f"udp --max-retries 0 to a target that limits ICMP: 20 probes, one pass: {doc['scan']['sent']}, "
          f"{doc['scan']['passes']} (icmp_limited {doc['scan'].get('icmp_limited')})")


def run_udp_budget(tb):
    """UDP to ports a firewall drops, with no time for retries (--udp-budget 0): the silent ports
    are unconfirmed because the budget ran out, which the summary says; the target limited no
    ICMP (it sent none)."""
    tb.ns(tb.t, "iptables", "-A", "INPUT", "-p", "udp", "--dport", "30100:30119", "-j", "DROP")
    args = ["--engine", "udp", "--no-service", "--all-states", "-p", "30100-30119", "--udp-budget", "0"]
    doc = json.loads(tb.scan(["198.18.0.2"], args + ["--json"]).stdout)
    states = {(x["state"], bool(x.get("unconfirmed"))) for x in host(doc).get("ports", [])}
    check(states == {("open|filtered", True)} and doc["scan"]["udp_budget_spent"] and not doc["scan"]["icmp_limited"],
          f"udp with --udp-budget 0 to dropped ports: unconfirmed for the budget, no ICMP limit said: {states} "
          f"{ {k: v for k, v in doc['scan'].items() if k in ('icmp_limited', 'udp_budget_spent')} }")
    # --max-retries 0: one probe a port, no probe sent again to ask whether ICMP was limited.
    doc = json.loads(tb.scan(["198.18.0.2"], [a for a in args if a not in ("--udp-budget", "0")] +
                             ["--max-retries", "0", "--json"]).stdout)
    check(doc["scan"]["sent"] == 20 and doc["scan"]["passes"] == 1,
          f"udp --max-retries 0 to dropped ports: 20 probes in one pass: {doc['scan']['sent']}, {doc['scan']['passes']}")
    text = tb.scan(["198.18.0.2"], args).stdout.decode()
    check("--udp-budget ran out" in text and "limits its ICMP" not in text,
          f"udp with --udp-budget 0: the text summary names the budget, not an ICMP limit: {text[-300:]!r}")


def main():
    reason = testbed.skip_reason()
    if reason:
        print(f"skipped: {reason}")
        return 77
    with testbed.TestBed(tcp_ports=[OPEN], ssh=0, http=0, tag=f"flt{os.getpid()}") as tb:
        for rule in (["--dport", str(DROPPED)], ["--dport", f"{MANY[0]}:{MANY[1]}"]):
            tb.ns(tb.t, "iptables", "-A", "INPUT", "-p", "tcp", *rule, "-j", "DROP")
        for port, (icmp, _) in REJECTED.items():
            tb.ns(tb.t, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "REJECT",
                  "--reject-with", icmp)
        tb.ns(tb.t, "iptables", "-A", "INPUT", "-p", "udp", "--dport", str(UDP_REJECTED), "-j", "REJECT",
              "--reject-with", "icmp-host-prohibited")
        for engine in ("connect", "syn"):
            run_engine(tb, engine)
        run_rejected(tb)
        run_sweep(tb)
        run_icmp_spent(tb)
        run_udp_budget(tb)
        check(tb.leaked() == 0, "no packet left the namespaces")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
