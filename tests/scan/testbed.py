#!/usr/bin/env python3
"""The scan test bed: two network namespaces joined by a veth pair.

  scanner namespace  198.18.0.1/24  --veth--  198.18.0.2/24  target namespace
                     route 198.19.0.0/16 via 198.18.0.2       local route 198.19.0.0/16 on lo

Static neighbour entries, no default route anywhere: nothing can leave. Every target handed to
the scanner goes through guard(): only 198.18.0.0/15, 127.0.0.0/8, ::1 and "localhost".

As a module: `with TestBed(...) as tb: tb.scan([...targets], [...options])`.
As a command (for bench/scan.sh): testbed.py up DIR [--offload on|off] [--loss PCT] | down DIR.
"""
import ipaddress
import json
import os
import random
import signal
import subprocess
import sys
import time

SAFE = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128")]
HERE = os.path.dirname(os.path.abspath(__file__))


class Unsafe(Exception):
    pass


def guard(target):
    """Raises Unsafe unless every address target can name is in the safe set."""
    if target == "localhost":
        return
    if "-" in target and "/" not in target:
        lo, hi = target.split("-", 1)
        a = ipaddress.ip_address(lo)
        if a.version == 4 and hi.isdigit():
            hi = ".".join(lo.split(".")[:3] + [hi])
        for x in (lo, hi):
            guard(x)
        return
    try:
        net = ipaddress.ip_network(target, strict=False)
    except ValueError:
        raise Unsafe(f"refusing target {target!r}: only 198.18.0.0/15, 127.0.0.0/8, ::1, localhost")
    if not any(net.version == s.version and net.subnet_of(s) for s in SAFE):
        raise Unsafe(f"refusing target {target!r}: outside 198.18.0.0/15, 127.0.0.0/8, ::1")


def run(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def skip_reason():
    """Why a namespace scan test cannot run here (None when it can); finds the scanner binary and
    puts it in $PORTSCOPE_SCAN_BIN for TestBed.scan()."""
    reason = can_run()
    if reason:
        return reason
    binary = os.environ.get("PORTSCOPE_SCAN_BIN") or os.path.join(os.environ.get("PORTSCOPE_BUILD", "build"),
                                                                  "portscope-scan")
    if not os.path.exists(binary):
        return f"{binary} not built"
    os.environ["PORTSCOPE_SCAN_BIN"] = binary
    return None


def can_run():
    """None when the test bed can be built, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "iptables"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], stdout=subprocess.DEVNULL).returncode:
            return f"needs {tool}"
    name = f"ps-scan-probe-{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", name], stderr=subprocess.DEVNULL)
    if r.returncode:
        return "cannot create network namespaces"
    subprocess.run(["ip", "netns", "del", name])
    return None


def open_ports(n=200, seed=5, avoid=(625, 3025)):
    rnd = random.Random(seed)
    out = set()
    while len(out) < n:
        p = rnd.randint(1, 65535)
        if p not in avoid and not 61000 <= p <= 61999:
            out.add(p)
    return sorted(out)


class TestBed:
    def __init__(self, offload=False, loss=0.0, tcp_ports=None, udp_echo=(), udp_silent=(), ssh=625, http=3025,
                 tag=None, icmp_unlimited=True):
        tag = tag or str(os.getpid())
        self.s, self.t = f"ps-scan-s-{tag}", f"ps-scan-t-{tag}"
        self.offload, self.loss = offload, loss
        self.tcp_ports = open_ports() if tcp_ports is None else list(tcp_ports)
        self.udp_echo, self.udp_silent = list(udp_echo), list(udp_silent)
        self.ssh, self.http = ssh, http
        self.icmp_unlimited = icmp_unlimited
        self.pids = []
        self.dir = f"/tmp/ps-scan-tb-{tag}"

    # -- set-up and tear-down -------------------------------------------------------------
    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()

    def ns(self, which, *cmd, check=True):
        return run("ip", "netns", "exec", which, *cmd, check=check)

    def up(self):
        os.makedirs(self.dir, exist_ok=True)
        run("ip", "netns", "add", self.s)
        run("ip", "netns", "add", self.t)
        run("ip", "link", "add", "psscan0", "netns", self.s, "type", "veth", "peer", "name", "psscan1",
            "netns", self.t)
        S, T = self.s, self.t
        for ns, dev in ((S, "psscan0"), (T, "psscan1")):
            # IPv6 only on lo (::1): no link-local chatter on the veth
            self.ns(ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
        for ns, dev, addr in ((S, "psscan0", "198.18.0.1/24"), (T, "psscan1", "198.18.0.2/24")):
            self.ns(ns, "ip", "link", "set", "lo", "up")
            self.ns(ns, "ip", "addr", "add", addr, "dev", dev)
            self.ns(ns, "ip", "link", "set", dev, "up")
            if not self.offload:
                self.ns(ns, "ethtool", "-K", dev, "gro", "off", "gso", "off", "tso", "off", check=False)
            else:
                self.ns(ns, "ethtool", "-K", dev, "gro", "on", "gso", "on", "tso", "on", check=False)
        mac = lambda ns, dev: json.loads(self.ns(ns, "ip", "-j", "link", "show", dev).stdout)[0]["address"]
        self.ns(S, "ip", "neigh", "replace", "198.18.0.2", "lladdr", mac(T, "psscan1"), "dev", "psscan0",
                "nud", "permanent")
        self.ns(T, "ip", "neigh", "replace", "198.18.0.1", "lladdr", mac(S, "psscan0"), "dev", "psscan1",
                "nud", "permanent")
        self.ns(S, "ip", "route", "add", "198.19.0.0/16", "via", "198.18.0.2")
        self.ns(T, "ip", "route", "add", "local", "198.19.0.0/16", "dev", "lo")
        self.ns(T, "ip", "route", "add", "198.18.0.0/15", "via", "198.18.0.1", check=False)
        # Anything addressed outside the test bed is counted (and dropped): must stay 0. Default
        # routes to a veth pair whose both ends stay in this namespace (connected to nothing
        # else, the peer left down so no carrier and no IPv6 chatter; this kernel has no dummy
        # device) make such a packet reach OUTPUT, where PSLEAK
        # counts it; without them it would fail the route lookup before any counter saw it.
        self.ns(S, "ip", "link", "add", "psleak0", "type", "veth", "peer", "name", "psleak1")
        self.ns(S, "ip", "link", "set", "psleak0", "up")
        self.ns(S, "ip", "route", "add", "default", "dev", "psleak0")
        self.ns(S, "ip", "-6", "route", "add", "default", "dev", "psleak0")
        for cmd in ("iptables", "ip6tables"):
            allowed = ["198.18.0.0/15", "127.0.0.0/8"] if cmd == "iptables" else ["::1/128"]
            self.ns(S, cmd, "-N", "PSLEAK")
            for a in allowed:
                self.ns(S, cmd, "-A", "PSLEAK", "-d", a, "-j", "RETURN")
            self.ns(S, cmd, "-A", "PSLEAK", "-j", "DROP")
            self.ns(S, cmd, "-I", "OUTPUT", "1", "-j", "PSLEAK")
        loss, self.loss = self.loss, 0.0
        self.set_loss(loss)
        if self.icmp_unlimited:
            for k, v in (("icmp_ratelimit", "0"), ("icmp_msgs_per_sec", "1000000"), ("icmp_msgs_burst", "1000000")):
                self.ns(T, "sysctl", "-qw", f"net.ipv4.{k}={v}", check=False)
        self.ns(T, "sysctl", "-qw", "net.core.somaxconn=4096", check=False)
        self.ns(T, "sysctl", "-qw", "net.ipv4.tcp_max_syn_backlog=65536", check=False)
        self.start_listener(T, "target")

    def _loss_rules(self, pct):
        p = f"{pct / 100:.4f}"
        return ((self.s, ["INPUT", "-i", "psscan0", "-m", "statistic", "--mode", "random", "--probability", p,
                          "-j", "DROP"]),
                (self.t, ["INPUT", "-i", "psscan1", "-m", "statistic", "--mode", "random", "--probability", p,
                          "-j", "DROP"]))

    def set_loss(self, pct):
        """Drops pct% of the packets arriving on each side of the veth, at random (netem is not
        built into this kernel: iptables' statistic match instead)."""
        if self.loss:
            for ns, rule in self._loss_rules(self.loss):
                self.ns(ns, "iptables", "-D", *rule)
        self.loss = pct
        if pct:
            for ns, rule in self._loss_rules(pct):
                self.ns(ns, "iptables", "-I", rule[0], "1", *rule[1:])

    def start_listener(self, ns, name, tcp6=False, services=True, extra=()):
        ready = os.path.join(self.dir, f"ready-{name}")
        if os.path.exists(ready):
            os.unlink(ready)
        cmd = ["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "listener.py"),
               "--tcp", ",".join(map(str, self.tcp_ports)), "--ready", ready,
               "--udp-echo", ",".join(map(str, self.udp_echo if services else [])),
               "--udp-silent", ",".join(map(str, self.udp_silent if services else []))]
        if self.ssh and services:
            cmd += ["--ssh", str(self.ssh)]
        if self.http and services:
            cmd += ["--http", str(self.http)]
        if tcp6:
            cmd += ["--tcp6"]
        cmd += list(extra)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        self.pids.append(p.pid)
        for _ in range(200):
            if os.path.exists(ready):
                return
            if p.poll() is not None:
                raise RuntimeError("listener failed to start")
            time.sleep(0.05)
        raise RuntimeError("listener did not start")

    def down(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in self.pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.pids = []
        for n in (self.s, self.t):
            subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", self.dir])

    # -- use ----------------------------------------------------------------------------------
    def expected_tcp(self):
        return sorted(set(self.tcp_ports) | {p for p in (self.ssh, self.http) if p})

    def leaked(self):
        """Packets the scanner namespace tried to send outside the test bed. Raises when the
        counting is not in place (the chain, its OUTPUT hook, the default route to the dummy)."""
        n = 0
        for fam, outside in (("-4", "192.0.2.1"), ("-6", "2001:db8::1")):  # lookups: they send nothing
            route = self.ns(self.s, "ip", fam, "route", "get", outside).stdout
            if "psleak0" not in route:
                raise RuntimeError(f"leak counter: outside addresses are not routed through OUTPUT: {route}")
        for cmd in ("iptables", "ip6tables"):
            self.ns(self.s, cmd, "-C", "OUTPUT", "-j", "PSLEAK")  # raises when the hook is gone
            out = self.ns(self.s, cmd, "-L", "PSLEAK", "-v", "-x", "-n").stdout
            for line in out.splitlines():
                f = line.split()
                if len(f) > 2 and f[2] == "DROP":
                    n += int(f[0])
        return n

    def scan(self, targets, options, ns="scanner", binary=None, check_rc=True, timeout=300, env=None):
        for t in targets:
            guard(t)
        binary = binary or os.environ.get("PORTSCOPE_SCAN_BIN")
        if not binary:
            build = os.environ.get("PORTSCOPE_BUILD", "build")
            binary = os.path.join(build, "portscope-scan")
        where = self.s if ns == "scanner" else self.t
        cmd = ["ip", "netns", "exec", where, binary, "scan", *options, "--", *targets]
        e = dict(os.environ)
        e.setdefault("HOME", self.dir)
        e["PORTSCOPE_DB"] = os.path.join(self.dir, "store.db")
        if env:
            e.update(env)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=e)
        if check_rc and p.returncode not in (0, 1):
            raise RuntimeError(f"scan failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
        return p


def open_set(json_text):
    doc = json.loads(json_text)
    return {(h["address"], p["port"], p["protocol"]) for h in doc["hosts"] for p in h["ports"]
            if p["state"] == "open"}


if __name__ == "__main__":
    # testbed.py up TAG [--offload] [--loss PCT] | down TAG — for the benchmark script.
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["up", "down"])
    ap.add_argument("tag")
    ap.add_argument("--offload", action="store_true")
    ap.add_argument("--loss", type=float, default=0)
    a = ap.parse_args()
    tb = TestBed(offload=a.offload, loss=a.loss, tag=a.tag)
    if a.action == "up":
        try:
            tb.up()
        except BaseException:
            tb.down()
            raise
        with open(os.path.join(tb.dir, "pids"), "w") as f:
            f.write(" ".join(map(str, tb.pids)))
        with open(os.path.join(tb.dir, "open-tcp"), "w") as f:
            f.write("\n".join(map(str, tb.expected_tcp())) + "\n")
        # The listener must outlive this process: detach it.
        print(tb.s, tb.t)
    else:
        try:
            with open(os.path.join(tb.dir, "pids")) as f:
                tb.pids = [int(x) for x in f.read().split()]
        except OSError:
            pass
        tb.down()
