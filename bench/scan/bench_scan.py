#!/usr/bin/env python3
"""Scanner benchmark: portscope against nmap, masscan (and zmap when installed), side by side on
the namespace test bed (tests/scan/testbed.py), medians of N runs, with recall checked.

Cases: the full TCP range of one host (connect and SYN), the same with 5% loss, and many hosts
(198.19.0.0/16 answered by the target namespace) x the top 100 ports. Needs root. Every target
is checked by testbed.guard(); nothing runs outside the scanner namespace.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "scan"))
import testbed  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SLOW = os.environ.get("BENCH_SLOW", "1") != "0"  # the rows that take minutes (masscan --retries, zmap x 100)
BIN = os.environ.get("PORTSCOPE_SCAN_BIN", os.path.join(os.environ.get("PORTSCOPE_BUILD", "build"),
                                                        "portscope-scan"))
TOP_EXTRA = [21, 22, 23, 25, 53, 80, 110, 143, 443, 445, 993, 995, 3306, 3389, 5900, 8080]


def have(tool):
    return subprocess.run(["sh", "-c", f"command -v {tool}"], stdout=subprocess.DEVNULL).returncode == 0


class Heartbeat:
    """masscan waits for a packet before it exits: one small datagram every 50 ms wakes it."""

    def __init__(self, tb):
        self.tb, self.stop = tb, threading.Event()

    def __enter__(self):
        code = ("import socket,time,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                "while True:\n s.sendto(b'x',('198.18.0.1',9)); time.sleep(0.05)\n")
        self.p = subprocess.Popen(["ip", "netns", "exec", self.tb.t, sys.executable, "-c", code])
        return self

    def __exit__(self, *a):
        self.p.terminate()
        self.p.wait()


def run_to_file(tb, argv, path):
    """Runs argv in the scanner namespace with its output going to a file: a Python reader on a
    pipe costs more than a scanner writing 720 MB of JSON, and would be measured too."""
    with open(path, "wb") as out:
        subprocess.run(["ip", "netns", "exec", tb.s, *argv], stdout=out, stderr=subprocess.DEVNULL, timeout=600)


def read_out(path):
    with open(path, "rb") as f:
        data = f.read().decode(errors="replace")
    os.unlink(path)
    return data


def timed(tb, argv, targets):
    for t in targets:
        testbed.guard(t)
    seq = argv[1] if argv and argv[0] == "SEQUENCE" else [argv]  # several commands, one measurement
    paths = [os.path.join(tb.dir, f"out-{i}") for i in range(len(seq))]
    t0 = time.monotonic()
    for a, path in zip(seq, paths):
        run_to_file(tb, a, path)
    dt = time.monotonic() - t0
    outs = [read_out(p) for p in paths]
    return dt, outs if argv and argv[0] == "SEQUENCE" else outs[0]


def found_portscope(out):
    d = json.loads(out)
    return {(h["address"], p["port"]) for h in d["hosts"] for p in h["ports"] if p["state"] == "open"}


def found_nmap(out):
    got, host = set(), None
    for line in out.splitlines():
        if line.startswith("Nmap scan report for "):
            host = line.split()[-1].strip("()")
        elif "/tcp" in line and " open " in line and host:
            got.add((host, int(line.split("/")[0])))
    return got


def found_masscan(out):
    got = set()
    for line in out.splitlines():
        # Discovered open port 22/tcp on 198.18.0.2
        f = line.split()
        if len(f) >= 6 and f[0] == "Discovered":
            got.add((f[5], int(f[3].split("/")[0])))
    return got


def found_zmap(out, port):
    return {(l.strip(), port) for l in out.splitlines() if l.strip() and l[0].isdigit()}


TARGET_COUNTERS = ("TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop", "TcpExtSyncookiesSent",
                   "TcpExtEmbryonicRsts", "TcpExtTCPSynRetrans")


def target_counters(tb):
    """The target namespace's TCP counters that say whether its SYN queues kept up."""
    out = tb.ns(tb.t, "nstat", "-asz", check=False).stdout
    vals = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in TARGET_COUNTERS:
            vals[f[0]] = int(f[1])
    return vals


def measure(tb, name, argv, targets, parse, expected, results, heartbeat=False, counters=False, runs=None):
    times, recalls, extras = [], [], []
    before = target_counters(tb) if counters else None
    for _ in range(runs or RUNS):
        if heartbeat:
            with Heartbeat(tb):
                dt, out = timed(tb, argv, targets)
        else:
            dt, out = timed(tb, argv, targets)
        got = parse(out)
        times.append(dt)
        recalls.append(len(got & expected) / len(expected) if expected else 1.0)
        extras.append(len(got - expected))
    med = statistics.median(times)
    results.append((name, med, min(recalls), max(extras)))
    print(f"  {name:48s} {med:7.3f} s  (min {min(times):.3f}, max {max(times):.3f})  "
          f"recall {100 * min(recalls):6.2f}%  false {max(extras)}", flush=True)
    if counters:
        after = target_counters(tb)
        n = len(times)
        print("      target, per run: " + ", ".join(f"{k.replace('TcpExt', '')} {(after.get(k, 0) - before.get(k, 0)) // n}"
                                               for k in TARGET_COUNTERS), flush=True)
    return med


def ratio_lines(results, ours, others):
    d = {n: t for n, t, _, _ in results}
    for o in others:
        if ours in d and o in d:
            print(f"  {ours} vs {o}: {d[o] / d[ours]:.2f}x faster" if d[ours] < d[o] else
                  f"  {ours} vs {o}: {d[ours] / d[o]:.2f}x slower")


def main():
    if os.geteuid() != 0:
        print("skipped: the scan benchmark needs root (network namespaces)")
        return 77
    loss = float(os.environ.get("BENCH_LOSS", "5"))
    tcp = sorted(set(testbed.open_ports()) | set(TOP_EXTRA))
    with testbed.TestBed(tcp_ports=tcp, tag=f"bench{os.getpid()}") as tb:
        exp1 = {("198.18.0.2", p) for p in tb.expected_tcp()}
        tmac = json.loads(tb.ns(tb.t, "ip", "-j", "link", "show", "psscan1").stdout)[0]["address"]
        res = []
        print(f"One host, TCP 1-65535, {len(exp1)} open ports, medians of {RUNS}:")
        measure(tb, "portscope connect", [BIN, "scan", "--engine", "connect", "-p-", "--no-service", "--json",
                                          "198.18.0.2"], ["198.18.0.2"], found_portscope, exp1, res)
        measure(tb, "nmap -sT -T5 -p-", ["nmap", "-sT", "-T5", "-p-", "-n", "-Pn", "198.18.0.2"], ["198.18.0.2"],
                found_nmap, exp1, res)
        measure(tb, "portscope syn", [BIN, "scan", "--engine", "syn", "-p-", "--no-service", "--json", "198.18.0.2"],
                ["198.18.0.2"], found_portscope, exp1, res)
        measure(tb, "nmap -sS -T5 -p-", ["nmap", "-sS", "-T5", "-p-", "-n", "-Pn", "198.18.0.2"], ["198.18.0.2"],
                found_nmap, exp1, res)
        if have("masscan"):
            measure(tb, "masscan --rate 1000000 --wait 1", ["masscan", "-p1-65535", "198.18.0.2", "--rate", "1000000",
                                                            "--wait", "1", "--router-mac", tmac, "--adapter",
                                                            "psscan0", "--adapter-ip", "198.18.0.1"],
                    ["198.18.0.2"], found_masscan, exp1, res, heartbeat=True)
        ratio_lines(res, "portscope connect", ["nmap -sT -T5 -p-"])
        ratio_lines(res, "portscope syn", ["nmap -sS -T5 -p-", "masscan --rate 1000000 --wait 1"])

        print("Many hosts: 198.19.0.0/16 x the top 100 ports (nmap-services order; the same list for every tool):")
        top100 = [int(x) for x in subprocess.run(
            ["sh", "-c", "grep -v '^#' /usr/share/nmap/nmap-services | grep /tcp | sort -t$'\\t' -k3 -g -r | "
                         "head -100 | cut -f2 | cut -d/ -f1"], capture_output=True, text=True,
            executable="/bin/bash").stdout.split()]
        plist = ",".join(map(str, top100))
        open_top = sorted(set(top100) & set(tb.expected_tcp()))
        exp16 = {(f"198.19.{a}.{b}", p) for a in range(256) for b in range(256) for p in open_top}
        print(f"  {len(open_top)} of them open on each of the 65,536 hosts: {len(exp16)} open pairs of 6,553,600")
        res2 = []
        measure(tb, "portscope syn -p TOP100", [BIN, "scan", "--engine", "syn", "-p", plist, "--no-service", "--json",
                                                "198.19.0.0/16"],
                ["198.19.0.0/16"], found_portscope, exp16, res2, counters=True)
        if have("masscan"):
            mass = ["masscan", "-p", plist, "198.19.0.0/16", "--wait", "1", "--router-mac", tmac, "--adapter",
                    "psscan0", "--adapter-ip", "198.18.0.1"]
            measure(tb, "masscan -p TOP100 --rate 1000000", [*mass, "--rate", "1000000"],
                    ["198.19.0.0/16"], found_masscan, exp16, res2, heartbeat=True, counters=True)
            if SLOW:
                # masscan only reaches 100% here when it sends every probe twice.
                measure(tb, "masscan -p TOP100 --rate 1000000 --retries 1", [*mass, "--rate", "1000000",
                                                                             "--retries", "1"],
                        ["198.19.0.0/16"], found_masscan, exp16, res2, heartbeat=True, counters=True)
        if have("zmap"):
            empty = os.path.join(tb.dir, "zmap-blocklist")  # zmap's default one excludes 198.18.0.0/15
            open(empty, "w").close()

            def zmap(port, probes):
                return ["zmap", "-p", str(port), "-i", "psscan0", "-G", tmac, "-S", "198.18.0.1", "-B", "1G", "-c", "1",
                        "-P", str(probes), "-q", "-b", empty, "198.19.0.0/16"]

            def found_zmap_seq(outs):
                return set().union(*(found_zmap(o, p) for o, p in zip(outs, top100)))

            if SLOW:
                # zmap 2.1 scans one port per run: the 100 ports one after the other, two probes each
                # (with one, it misses a few hosts in most runs).
                measure(tb, "zmap -P 2, one run per port (100 runs)", ["SEQUENCE", [zmap(p, 2) for p in top100]],
                        ["198.19.0.0/16"], found_zmap_seq, exp16, res2, counters=True)
            # One open port over the /16.
            p1 = open_top[0]
            e1 = {(f"198.19.{a}.{b}", p1) for a in range(256) for b in range(256)}
            measure(tb, f"portscope syn /16 port {p1}", [BIN, "scan", "--engine", "syn", "-p", str(p1),
                                                         "--no-service", "--json", "198.19.0.0/16"],
                    ["198.19.0.0/16"], found_portscope, e1, res2)
            measure(tb, f"zmap /16 port {p1}", zmap(p1, 1), ["198.19.0.0/16"], lambda o: found_zmap(o, p1), e1, res2)
            measure(tb, f"zmap -P 2 /16 port {p1}", zmap(p1, 2), ["198.19.0.0/16"], lambda o: found_zmap(o, p1), e1,
                    res2)
            ratio_lines(res2, f"portscope syn /16 port {p1}", [f"zmap /16 port {p1}", f"zmap -P 2 /16 port {p1}"])
        ratio_lines(res2, "portscope syn -p TOP100", ["masscan -p TOP100 --rate 1000000",
                                                      "masscan -p TOP100 --rate 1000000 --retries 1",
                                                      "zmap -P 2, one run per port (100 runs)"])
    if loss:
        with testbed.TestBed(loss=loss, tag=f"bloss{os.getpid()}") as tb:
            exp1 = {("198.18.0.2", p) for p in tb.expected_tcp()}
            res3 = []
            print(f"One host, TCP 1-65535, {loss:g}% loss each way (iptables statistic; netem is not built in):")
            measure(tb, "portscope syn (loss)", [BIN, "scan", "--engine", "syn", "-p-", "--no-service", "--json",
                                                 "198.18.0.2"], ["198.18.0.2"], found_portscope, exp1, res3)
            measure(tb, "portscope connect (loss)", [BIN, "scan", "--engine", "connect", "-p-", "--no-service", "--json",
                                                     "198.18.0.2"], ["198.18.0.2"], found_portscope, exp1, res3)
            measure(tb, "nmap -sS -T5 -p- (loss)", ["nmap", "-sS", "-T5", "-p-", "-n", "-Pn", "198.18.0.2"],
                    ["198.18.0.2"], found_nmap, exp1, res3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
