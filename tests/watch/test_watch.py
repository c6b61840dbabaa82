#!/usr/bin/env python3
"""Integration tests of portscope-watch in network namespaces this test creates.

  scanner 198.18.20.1/24 --veth-- 198.18.20.2/24 target   (watched)
  scanner 198.18.21.1/24 --veth-- 198.18.21.2/24 third    (must never show up)

Only 198.18.0.0/15 is used. Every assertion looks at events of the namespaces made here: other
tests may be scanning at the same time, in namespaces of their own.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

BUILD = os.environ.get("PORTSCOPE_BUILD", "build")
WATCH = os.environ.get("PORTSCOPE_WATCH_BIN", os.path.join(BUILD, "portscope-watch"))
SCAN = os.environ.get("PORTSCOPE_SCAN_BIN", os.path.join(BUILD, "portscope-scan"))
SRC = os.environ.get("PORTSCOPE_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TAG = str(os.getpid())
S, T, X = f"ps-watch-s-{TAG}", f"ps-watch-t-{TAG}", f"ps-watch-x-{TAG}"
G = f"ps-watch-g-{TAG}"  # a namespace that goes away while watched
D = f"ps-watch-d-{TAG}"  # a namespace whose name is deleted while a process still lives in it
T_ADDR, X_ADDR, S_ADDR, SX_ADDR = "198.18.20.2", "198.18.21.2", "198.18.20.1", "198.18.21.1"

failures = []
checks = 0


def check(cond, what, detail=""):
    global checks
    checks += 1
    if cond:
        print(f"ok: {what}")
    else:
        print(f"FAIL: {what} {detail}")
        failures.append(what)


def iana():
    for d in (os.environ.get("PORTSCOPE_TEST_IANA_DIR"), os.path.join(SRC, "..", "shared", "data", "iana")):
        if d:
            p = os.path.join(d, "service-names-port-numbers.2026-02.csv")
            if os.path.exists(p):
                return os.path.abspath(p)
    return None


CSV = iana()


def run(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def skip(reason):
    print(f"skipped: {reason}")
    sys.exit(77)


def netns_inode(name):
    return os.stat(f"/run/netns/{name}").st_ino


def up():
    for n in (S, T, X):
        run("ip", "netns", "add", n)
        run("ip", "-n", n, "link", "set", "lo", "up")
    run("ip", "link", "add", "pswatch0", "netns", S, "type", "veth", "peer", "name", "pswatch1", "netns", T)
    run("ip", "link", "add", "pswatch2", "netns", S, "type", "veth", "peer", "name", "pswatch3", "netns", X)
    for ns, dev, addr in ((S, "pswatch0", S_ADDR), (T, "pswatch1", T_ADDR), (S, "pswatch2", SX_ADDR),
                          (X, "pswatch3", X_ADDR)):
        run("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
        run("ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")
    # the kernel's ICMP rate limit would hide UDP replies, not our probes; keep it out of the way
    for ns in (T, X):
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", check=False)


def down():
    for n in (S, T, X, G, D):
        subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)


class Watch:
    """portscope-watch --jsonl in the background; events collected by a reader thread. With
    jsonl=False it writes lines for people: each is kept as {"event": "line", "line": ...}."""

    def __init__(self, *args, netns=T, env=None, jsonl=True):
        self.jsonl = jsonl
        cmd = ([WATCH] + (["--jsonl"] if jsonl else []) + ["--registry", CSV] + (["--netns", netns] if netns else [])
               + list(args))
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        self.events = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.wait_for(lambda e: e["event"] == "status" or (e["event"] == "line" and " status " in e["line"]), 10,
                      "the status line")

    def _read(self):
        for line in self.p.stdout:
            if not self.jsonl:
                ev = {"event": "line", "line": line}
            else:
                try:
                    ev = json.loads(line)
                except ValueError:
                    ev = {"event": "unparsable", "line": line}
            with self.lock:
                self.events.append(ev)

    def wait_for(self, pred, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for e in self.events:
                    if pred(e):
                        return e
            if self.p.poll() is not None and not self.t.is_alive():
                break
            time.sleep(0.05)
        return None

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(timeout=5)
        self.stderr = self.p.stderr.read()
        self.p.stderr.close()
        return self.p.returncode

    def all(self):
        with self.lock:
            return list(self.events)


def in_ns(ns, code):
    return run("ip", "netns", "exec", ns, sys.executable, "-c", code, check=False)


def tcp_probe(ns, addr, port):
    in_ns(ns, f"""
import socket
s = socket.socket(); s.settimeout(2)
try: s.connect(({addr!r}, {port}))
except OSError: pass
""")


def udp_probe(ns, addr, port):
    in_ns(ns, f"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'portscope-watch-test', ({addr!r}, {port}))
""")


def is_probe(port, proto, netns):
    return lambda e: (e["event"] == "probe" and e.get("port") == port and e.get("protocol") == proto
                      and e.get("netns") == netns)


def test_bpf(tino, xino):
    w = Watch()
    try:
        tcp_probe(S, T_ADDR, 250)
        e = w.wait_for(is_probe(250, "tcp", tino), 10, "probe 250/tcp")
        check(e is not None, "a SYN to 250/tcp from the scanner namespace is a probe event")
        if e:
            check(e["status"] == "reserved", "250/tcp is said to be reserved", e)
            check(e["rule"] == "dark-port", "250/tcp is a dark port", e)
            check(e["source"] == S_ADDR and e["address"] == T_ADDR, "the probe names its source and address", e)
            check(e["probe"] == "syn", "the probe is a SYN", e)
            check(e["verdict"] == "suspicious" and e["severity"] == "high", "a dark-port probe is suspicious/high", e)
            check(e.get("reason", "").startswith("nothing is registered on 250/tcp (reserved); nothing listens; probed from ")
                  and "owner" not in e["reason"] and "hiding" not in e["reason"],
                  "its reason says the port is empty, not that an owner is unknown or a service hiding", e.get("reason"))
        udp_probe(S, T_ADDR, 9999)
        e = w.wait_for(is_probe(9999, "udp", tino), 10, "probe 9999/udp")
        check(e is not None, "a UDP datagram to closed 9999/udp is seen")
        if e:
            check(e["rule"] == "closed-port" and e["status"] == "assigned", "9999/udp: closed port, assigned", e)
            check(e.get("reason", "").startswith("9999/udp is assigned to ") and "; nothing listens; probed from " in e["reason"]
                  and "owner" not in e["reason"], "an assigned port's probe: assigned, nothing listens", e.get("reason"))

        # a listener started and stopped in the watched namespace
        lp = subprocess.Popen(["ip", "netns", "exec", T, sys.executable, "-c", """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 4455)); s.listen()
print('ready', flush=True); sys.stdin.read(); s.close()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lp.stdout.readline()
        new = w.wait_for(lambda e: e["event"] == "listener-new" and e.get("port") == 4455 and e.get("netns") == tino,
                         10, "listener-new")
        check(new is not None, "a listener started in the watched namespace is listener-new")
        if new:
            check(new.get("pid") == lp.pid or new.get("process") == "python3",
                  "listener-new names the process", new)
            check(new.get("pid", 0) > 0, "listener-new carries a pid", new)
            check("verdict" in new and "severity" in new and new.get("reason"), "listener-new carries a verdict", new)
        # while it listens, a SYN to it is no probe
        tcp_probe(S, T_ADDR, 4455)
        lp.stdin.close()
        lp.wait()
        gone = w.wait_for(lambda e: e["event"] == "listener-gone" and e.get("port") == 4455 and e.get("netns") == tino,
                          10, "listener-gone")
        check(gone is not None, "the listener stopped is listener-gone")
        check(not any(e["event"] == "probe" and e.get("port") == 4455 for e in w.all()),
              "a SYN to a port that listens is not a probe")

        # a listener that lives 30 ms, closed before any dump can list it: the kernel's word suffices
        bp = subprocess.run(["ip", "netns", "exec", T, sys.executable, "-c", """
import os, socket, time
s = socket.socket(); s.bind(('0.0.0.0', 4460)); s.listen(); time.sleep(0.03); s.close()
print(os.getpid())
"""], capture_output=True, text=True)
        bpid = int(bp.stdout.strip() or 0)
        bnew = w.wait_for(lambda e: e["event"] == "listener-new" and e.get("port") == 4460 and e.get("netns") == tino,
                          10, "listener-new (brief)")
        check(bnew is not None and bnew.get("pid") == bpid and bnew.get("process") == "python3"
              and bnew.get("verdict") and bnew.get("reason"),
              "a listener that lived 30 ms is listener-new, with its pid, process and verdict", bnew)
        bgone = w.wait_for(lambda e: e["event"] == "listener-gone" and e.get("port") == 4460 and e.get("netns") == tino,
                           10, "listener-gone (brief)")
        check(bgone is not None, "... and listener-gone", bgone)

        # 300 listeners opened and closed at once (more than the 256 kept between two dumps): a
        # brief one cannot hide behind the others; every one is reported. Twice: opened and closed
        # one by one; then a hidden one (21999) opened first and closed after the other 300 opened,
        # with watch stopped meanwhile so that all of it waits in the ring, closes last
        for burst, stop in (("""
import socket
for port in range(21000, 21300):
    s = socket.socket(); s.bind(('0.0.0.0', port)); s.listen(); s.close()
""", False), ("""
import socket
h = socket.socket(); h.bind(('0.0.0.0', 21999)); h.listen()
socks = []
for port in range(21300, 21600):
    s = socket.socket(); s.bind(('0.0.0.0', port)); s.listen(); socks.append(s)
h.close()
for s in socks: s.close()
""", True)):
            lo = 21000 if not stop else 21300
            if stop:
                w.p.send_signal(signal.SIGSTOP)
            try:
                subprocess.run(["ip", "netns", "exec", T, sys.executable, "-c", burst], check=True)
            finally:
                if stop:
                    w.p.send_signal(signal.SIGCONT)
            last = w.wait_for(lambda e: e["event"] == "listener-gone" and e.get("port") == lo + 299
                              and e.get("netns") == tino, 10, f"listener-gone {lo + 299}")
            time.sleep(0.3)
            seen = {e["port"] for e in w.all() if e["event"] == "listener-new" and e.get("netns") == tino
                    and (lo <= e.get("port", 0) < lo + 300 or e.get("port") == 21999)}
            want = 300 + stop
            check(last is not None and len(seen) == want,
                  f"{want} listeners opened and closed at once{' with watch stopped, a hidden one among them' if stop else ''}"
                  f" are all reported ({len(seen)})", sorted(set(range(lo, lo + 300)) | ({21999} if stop else set()) - seen)[:5])

        # a SYN scan from the scanner namespace: one scan event naming its source
        nmap = subprocess.run(["sh", "-c", "command -v nmap"], stdout=subprocess.PIPE, text=True).stdout.strip()
        if nmap:
            run("ip", "netns", "exec", S, nmap, "-n", "-Pn", "-sS", "-p", "1-300", "--max-retries", "0",
                "-T4", T_ADDR, check=False)
            scanner = "nmap"
        else:
            run("ip", "netns", "exec", S, SCAN, "--engine", "syn", "-p", "1-300", T_ADDR, check=False)
            scanner = "portscope scan"
        sc = w.wait_for(lambda e: e["event"] == "scan" and e.get("netns") == tino and not e.get("final"), 10, "scan")
        check(sc is not None, f"a SYN scan ({scanner}) is a scan event")
        if sc:
            check(sc["source"] == S_ADDR, "the scan event names its source", sc)
            check(sc["rule"] == "vertical", "the scan is vertical", sc)
            check(sc["ports"] >= 7 and sc["probes"] >= sc["ports"], "the scan counts ports and probes", sc)
        time.sleep(0.5)
        scans = [e for e in w.all() if e["event"] == "scan" and e.get("netns") == tino and not e.get("final")]
        check(len(scans) == 1, "one scan event, not one per probe", len(scans))

        # the third namespace is probed too: none of it may show up here
        tcp_probe(S, X_ADDR, 251)
        udp_probe(S, X_ADDR, 9998)
        time.sleep(0.5)
    finally:
        rc = w.stop()
    evs = w.all()
    check(rc == 0, "SIGINT stops watch with status 0", (rc, w.stderr))
    check(all(e.get("netns", tino) == tino for e in evs), "nothing from another namespace leaks in",
          [e for e in evs if e.get("netns", tino) != tino][:3])
    # (The scan of the target above covers 251 too, and its first probes may be events of their own:
    # what must not appear is the third namespace's address.)
    check(not any(e.get("address") == X_ADDR or e.get("netns") == xino for e in evs),
          "probes of the third namespace are not reported", [e for e in evs if e.get("port") in (251, 9998)][:3])
    finals = [e for e in evs if e["event"] == "scan" and e.get("final")]
    check(any(f["source"] == S_ADDR for f in finals), "on stopping, a final scan summary per source", finals)
    check(not any(e["event"] == "unparsable" for e in evs), "every line is JSON")


def test_late_reply_range(tino):
    """The late-reply rule uses the watched namespace's ephemeral range, not the host's: a DNS
    answer (from port 53) to a port of the namespace's range is ignored; one to a port outside it
    is a probe, even when the host's range would hold it."""
    old = run("ip", "netns", "exec", T, "sysctl", "-n", "net.ipv4.ip_local_port_range").stdout.split()
    run("ip", "netns", "exec", T, "sysctl", "-qw", "net.ipv4.ip_local_port_range=20000 20999")
    host = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
    outside = int(host[0]) + 7  # in the host's range, outside the namespace's
    try:
        w = Watch()
        try:
            for port in (20500, outside):
                in_ns(S, f"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(({S_ADDR!r}, 53))
u.sendto(b'late answer', ({T_ADDR!r}, {port}))
""")
            e = w.wait_for(is_probe(outside, "udp", tino), 10, "probe outside the namespace's range")
            check(e is not None, f"an answer from 53 to {outside}/udp, outside the namespace's ephemeral range "
                  f"(20000-20999) though inside the host's ({host[0]}-{host[1]}), is a probe")
            time.sleep(0.5)
            late = [x for x in w.all() if x["event"] == "probe" and x.get("port") == 20500 and x.get("netns") == tino]
            check(not late, "an answer from 53 to 20500/udp, in the namespace's ephemeral range, is a late reply", late)
        finally:
            w.stop()
    finally:
        run("ip", "netns", "exec", T, "sysctl", "-qw", f"net.ipv4.ip_local_port_range={old[0]} {old[1]}")


def test_store(tino):
    """--store records what --jsonl would print; its reasons are English whatever language the
    terminal speaks (a store is read by other programs and other people), while the terminal
    keeps the reader's language."""
    import sqlite3
    import tempfile
    french = {"LANG": "C.UTF-8", "LANGUAGE": "fr"}
    r = subprocess.run([WATCH, "--help"], capture_output=True, text=True, env={**os.environ, **french})
    check("Signale" in r.stdout, "the environment speaks French (--help)", r.stdout[:60])
    top = tempfile.mkdtemp(prefix="ps-watch-store-")
    db = os.path.join(top, "fresh", "watch.db")  # a directory that does not exist yet
    w = Watch(f"--store={db}", env=french, jsonl=False)
    lp = None
    try:
        tcp_probe(S, T_ADDR, 254)
        e = w.wait_for(lambda e: "254/tcp syn de " in e["line"], 10, "probe 254/tcp")
        check(e is not None, "a probe of 254/tcp is seen with --store, on a French line", w.all())
        # a listener: judged when found, its reason kept for when it goes
        lp = subprocess.Popen(["ip", "netns", "exec", T, sys.executable, "-c", """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 4457)); s.listen()
print('ready', flush=True); sys.stdin.read(); s.close()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lp.stdout.readline()
        new = w.wait_for(lambda e: "écoute-ouverte" in e["line"] and "4457/tcp sur " in e["line"], 10, "listener-new")
        lp.stdin.close()
        lp.wait()
        gone = w.wait_for(lambda e: "écoute-fermée" in e["line"] and "4457/tcp sur " in e["line"], 10, "listener-gone")
        check(new is not None and gone is not None, "the listener's coming and going are French lines", w.all())
        check(new is not None and "python3 socket" not in new["line"] and "python3 " in new["line"],
              "python3 -c CODE is named python3, not by a word of its code", new)
    finally:
        if lp and lp.poll() is None:
            lp.kill()
            lp.wait()
        rc = w.stop()
    check(rc == 0, "watch --store stops with status 0", (rc, w.stderr))
    if e:
        check(f"rien n'écoute\u00a0; sondé depuis {S_ADDR}" in e["line"] and "nothing listens" not in e["line"],
              "the terminal's reason is French with --store", e["line"])
        check(" — suspect/élevé: " in e["line"] and "suspicious" not in e["line"],
              "the verdict and severity are French words on the terminal, as in audit's table", e["line"])
    rows = []
    if os.path.exists(db):
        con = sqlite3.connect(db)
        rows = con.execute("SELECT event, protocol, port, source, address, rule, verdict, severity, reason, netns"
                           " FROM watch_events WHERE port = 254").fetchall()
        con.close()
    check(len(rows) == 1, "the probe is one row of the store, in a directory it made", rows)
    if rows:
        ev, proto, port, src, addr, rule, verdict, severity, reason, netns = rows[0]
        check((ev, proto, src, addr, rule, verdict, severity, netns)
              == ("probe", "tcp", S_ADDR, T_ADDR, "dark-port", "suspicious", "high", tino),
              "the row holds what the event said", rows[0])
        check(f"nothing listens; probed from {S_ADDR}" in reason and reason.isascii(),
              "its reason is the English one, not the French of the terminal", reason)
    lrows = []
    if os.path.exists(db):
        con = sqlite3.connect(db)
        lrows = con.execute("SELECT event, reason FROM watch_events WHERE port = 4457 ORDER BY id").fetchall()
        con.close()
    check([r[0] for r in lrows] == ["listener-new", "listener-gone"], "the listener's two events are rows", lrows)
    if lrows and new and gone:
        said = [x["line"].split(" — ", 1)[-1].split(": ", 1)[-1].strip() for x in (new, gone)]
        check(all(r[1] and r[1].isascii() and r[1] not in x["line"] for r, x in zip(lrows, (new, gone))),
              "the listener's rows keep English reasons, not the terminal's", (lrows, said))
        check(said[0] == said[1] and not said[0].isascii(), "both lines give the French reason", said)
    subprocess.run(["rm", "-rf", top])


def test_all_netns(tino, xino):
    w = Watch("--all-netns", netns=None)
    try:
        tcp_probe(S, X_ADDR, 252)
        tcp_probe(S, T_ADDR, 253)
        ex = w.wait_for(is_probe(252, "tcp", xino), 10, "probe in third")
        et = w.wait_for(is_probe(253, "tcp", tino), 10, "probe in target")
    finally:
        w.stop()
    check(ex is not None and et is not None, "--all-netns sees probes in every namespace")
    if ex:
        check(ex.get("netns_name") == X, "--all-netns names the namespace", ex)


def ns_listener(ns, addr, port):
    """A python3 TCP listener in namespace ns, once it listens; it ends when killed."""
    lp = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", f"""
import socket, sys
s = socket.socket(); s.bind(({addr!r}, {port})); s.listen()
print('ready', flush=True); sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lp.stdout.readline()
    return lp


def gone_events(w, port, ino):
    return [e for e in w.all() if e["event"] == "listener-gone" and e.get("port") == port and e.get("netns") == ino]


def stop_listener(lp):
    if lp.poll() is None:
        lp.kill()
        lp.wait()


def test_namespace_name_deleted():
    """`ip netns del` removes a name, not a namespace a process still lives in: its listener is
    still there, and must not be reported gone (a listener hidden by deleting a name). When the
    last process leaves, the namespace and its listener go, and that is said once."""
    run("ip", "netns", "add", D)
    run("ip", "-n", D, "link", "set", "lo", "up")
    dino = netns_inode(D)
    lp = ns_listener(D, "0.0.0.0", 4459)
    w = Watch("--all-netns", "--reconcile", "1", netns=None)
    try:
        time.sleep(0.5)
        run("ip", "netns", "del", D)
        time.sleep(3)  # three reconciles
        early = gone_events(w, 4459, dino)
        check(not early, "a namespace whose name was deleted, with a process still in it, keeps its listener", early)
        stop_listener(lp)
        gone = w.wait_for(lambda e: e["event"] == "listener-gone" and e.get("port") == 4459 and e.get("netns") == dino,
                          10, "listener-gone")
        time.sleep(1.5)
    finally:
        stop_listener(lp)
        rc = w.stop()
    n = len(gone_events(w, 4459, dino))
    check(gone is not None and n == 1, "when its last process exits, the listener is gone, once", (n, rc))


def test_namespace_gone():
    """A namespace that goes away (a container stopping: its processes die, then the namespace)
    takes its listeners with it: each announced one is listener-gone, once, even when the
    namespace is gone before watch lists it again."""
    run("ip", "netns", "add", G)
    run("ip", "-n", G, "link", "set", "lo", "up")
    gino = netns_inode(G)
    lp = ns_listener(G, "127.0.0.1", 4458)
    w = Watch("--all-netns", netns=None, env={"LANG": "C.UTF-8", "LANGUAGE": "fr"})
    try:
        # what listened when watch started is not news, but its going is
        time.sleep(0.5)
        stop_listener(lp)
        run("ip", "netns", "del", G)
        gone = w.wait_for(lambda e: e["event"] == "listener-gone" and e.get("port") == 4458 and e.get("netns") == gino,
                          10, "listener-gone")
        time.sleep(1)
    finally:
        stop_listener(lp)
        rc = w.stop()
    n = len(gone_events(w, 4458, gino))
    check(gone is not None and n == 1, "a listener whose namespace went away is listener-gone, once", (n, rc))
    if gone:
        check(gone.get("netns_name") == G, "the gone event names the namespace that went", gone)
        check(gone.get("reason", "").isascii() and "4458/tcp" in gone.get("reason", ""),
              "--jsonl under LANGUAGE=fr: the reason is English", gone.get("reason"))
    check(rc == 0, "watch --all-netns stops with status 0 after a namespace went", (rc, w.stderr))


def test_ipv6_and_stealth(tino):
    """IPv6 TCP and UDP to ::1 inside the watched namespace (loopback sources let in), and a FIN
    probe from a source this watch has not seen: a stealth scan on the first packet."""
    w = Watch("--include-loopback")
    try:
        in_ns(T, """
import socket
s = socket.socket(socket.AF_INET6); s.settimeout(2)
try: s.connect(('::1', 250))
except OSError: pass
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.sendto(b'x', ('::1', 9997))
""")
        e6 = w.wait_for(lambda e: is_probe(250, "tcp", tino)(e) and e["source"] == "::1", 10, "probe [::1]:250")
        u6 = w.wait_for(lambda e: is_probe(9997, "udp", tino)(e) and e["source"] == "::1", 10, "probe [::1]:9997/udp")
        nmap = subprocess.run(["sh", "-c", "command -v nmap"], stdout=subprocess.PIPE, text=True).stdout.strip()
        st = None
        if nmap:
            run("ip", "netns", "exec", S, nmap, "-n", "-Pn", "-sF", "-p", "7001", "--max-retries", "0", T_ADDR,
                check=False)
            st = w.wait_for(lambda e: e["event"] == "scan" and e.get("rule") == "stealth" and e.get("netns") == tino,
                            10, "stealth")
    finally:
        w.stop()
    check(e6 is not None, "IPv6: a SYN to [::1]:250 is a probe")
    check(u6 is not None, "IPv6: a UDP datagram to [::1]:9997 is a probe")
    if nmap:
        check(st is not None and st["source"] == S_ADDR, "a FIN probe (nmap -sF) is a stealth scan at once", st)


def test_filtered(tino):
    """--filtered: a SYN the target's firewall drops is a probe with rule "filtered"."""
    if subprocess.run(["sh", "-c", "command -v iptables"], stdout=subprocess.DEVNULL).returncode:
        print("ok: (--filtered not tested: no iptables)")
        return
    run("ip", "netns", "exec", T, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "7777", "-j", "DROP")
    # The host's own packets that its firewall drops on the way out are no probes of it.
    run("ip", "netns", "exec", T, "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "7779", "-j", "DROP")
    # Every namespace: an outgoing drop has no device, so no namespace, and --netns alone hid it.
    w = Watch("--filtered", "--all-netns", netns=None)
    try:
        in_ns(T, f"""
import socket
s = socket.socket(); s.settimeout(0.5)
try: s.connect(({S_ADDR!r}, 7779))
except OSError: pass
""")
        in_ns(S, f"""
import socket
s = socket.socket(); s.settimeout(0.5)
try: s.connect(({T_ADDR!r}, 7777))
except OSError: pass
""")
        e = w.wait_for(lambda e: is_probe(7777, "tcp", tino)(e) and e.get("rule") == "filtered", 10, "filtered")
        time.sleep(0.5)
        out = [x for x in w.all() if x.get("port") == 7779 and x["event"] in ("probe", "scan")]
    finally:
        w.stop()
        run("ip", "netns", "exec", T, "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "7777", "-j", "DROP",
            check=False)
        run("ip", "netns", "exec", T, "iptables", "-D", "OUTPUT", "-p", "tcp", "--dport", "7779", "-j", "DROP",
            check=False)
    check(e is not None and e["source"] == S_ADDR, "--filtered: a SYN dropped by the firewall is a filtered probe", e)
    check(e is not None and "nothing listens" not in e.get("reason", "") and "firewall dropped" in e.get("reason", ""),
          "--filtered: the reason says the firewall dropped it, not that nothing listens", e and e.get("reason"))
    check(not out, "--filtered: the host's own packets dropped on the way out are no probes", out)


def test_packet(tino):
    w = Watch("--method", "packet")
    try:
        st = w.all()[0]
        check("packet" in st.get("message", ""), "--method packet says which method runs", st)
        tcp_probe(S, T_ADDR, 250)
        e = w.wait_for(is_probe(250, "tcp", tino), 10, "probe 250/tcp (packet)")
        check(e is not None and e["status"] == "reserved", "packet method: a SYN to 250/tcp is a probe, reserved", e)
        udp_probe(S, T_ADDR, 9999)
        e = w.wait_for(is_probe(9999, "udp", tino), 10, "probe 9999/udp (packet)")
        check(e is not None, "packet method: a UDP datagram to a closed port is seen")
        lp = subprocess.Popen(["ip", "netns", "exec", T, sys.executable, "-c", """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 4456)); s.listen()
print('ready', flush=True); sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lp.stdout.readline()
        new = w.wait_for(lambda e: e["event"] == "listener-new" and e.get("port") == 4456, 10, "listener-new")
        check(new is not None, "packet method: listener-new from the sock_diag reconcile")
        tcp_probe(S, T_ADDR, 4456)
        time.sleep(0.5)
        lp.stdin.close()
        lp.wait()
    finally:
        w.stop()
    check(not any(e["event"] == "probe" and e.get("port") == 4456 for e in w.all()),
          "packet method: a SYN to a port that listens is not a probe")


def test_unprivileged():
    r = run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            WATCH, "--jsonl", "--duration", "1", check=False)
    check(r.returncode == 2, "unprivileged: exit status 2", r.returncode)
    check("CAP_BPF" in r.stderr and "CAP_NET_RAW" in r.stderr, "unprivileged: the error names the capabilities",
          r.stderr)
    check(r.stderr.startswith("portscope: ") and r.stderr.count("\n") == 1, "unprivileged: one line", r.stderr)
    r = run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            WATCH, "--method", "packet", "--duration", "1", check=False)
    check(r.returncode == 2 and "CAP_NET_RAW" in r.stderr, "unprivileged --method packet names CAP_NET_RAW", r.stderr)


def test_write_failures():
    """Output that cannot be written is an error at once: exit 2, one line, not a silent 0."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([WATCH, "--registry", CSV, "--netns", T, "--duration", "1"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    check(r.returncode == 2 and "cannot write output" in r.stderr and r.stderr.count("\n") == 1,
          "stdout on a full device: exit 2, one line", (r.returncode, r.stderr))
    r = run(WATCH, "--registry", CSV, "--netns", T, "--metrics", f"/nonexistent-{TAG}/x.prom", "--duration", "30",
            check=False, timeout=20)
    check(r.returncode == 2 and f"--metrics /nonexistent-{TAG}/x.prom" in r.stderr,
          "a metrics file that cannot be written is said at start-up, exit 2 (not after 15 s or at the end)",
          (r.returncode, r.stderr))


def test_store_full(tino):
    """A store that fills up while watching (its file system is full): said once, watching goes
    on (the terminal still gets every event), and the exit status is 2."""
    import tempfile
    top = tempfile.mkdtemp(prefix="ps-watch-full-")
    r = run("mount", "-t", "tmpfs", "-o", "size=512k", "ps-watch-full", top, check=False)
    if r.returncode != 0:
        print(f"skipped: the store-full check cannot mount a tmpfs: {r.stderr.strip()}")
        os.rmdir(top)
        return
    w = None
    try:
        w = Watch(f"--store={os.path.join(top, 'watch.db')}")
        tcp_probe(S, T_ADDR, 241)
        first = w.wait_for(is_probe(241, "tcp", tino), 10, "probe 241/tcp")
        check(first is not None, "a probe is seen while the store has room")
        fd = os.open(os.path.join(top, "fill"), os.O_WRONLY | os.O_CREAT, 0o600)  # fill the file system
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        for port in (242, 243, 244):
            tcp_probe(S, T_ADDR, port)
        last = w.wait_for(is_probe(244, "tcp", tino), 10, "probe 244/tcp")
        check(last is not None and w.p.poll() is None, "with the store full, watching goes on: later probes are seen")
    finally:
        rc = w.stop() if w else None
        run("umount", top, check=False)
        os.rmdir(top)
    if w:
        said = [ln for ln in w.stderr.splitlines() if "could not record an event in the store" in ln]
        check(rc == 2 and len(said) == 1 and said[0].startswith("portscope: watch: "),
              "a store write that fails mid-run is said once, and the exit status is 2", (rc, w.stderr))


def test_usage():
    for args, word in ((["--method", "nope"], "--method"), (["--rule", "vertical-points=x"], "--rule"),
                       (["--ignore", "1.2.3.4/99"], "--ignore"), (["--netns", "ps-watch-none-" + TAG], "--netns"),
                       (["--method", "packet", "--filtered"], "--filtered"),
                       (["--netns", "/etc/passwd"], "not a network namespace")):
        r = run(WATCH, *args, check=False)
        check(r.returncode == 2 and r.stderr.startswith("portscope: ") and word in r.stderr,
              f"bad {word}: one line, exit 2", r.stderr)


def main():
    if not os.path.exists(WATCH):
        skip(f"{WATCH} not built")
    test_usage()
    if os.geteuid() != 0:
        skip("needs root (network namespaces, BPF)")
    if not CSV:
        skip("the IANA CSV (PORTSCOPE_TEST_IANA_DIR or ../shared/data/iana) is not available")
    r = run(WATCH, "--method", "bpf", "--duration", "0", check=False)
    if r.returncode != 0:
        skip(f"BPF capture unavailable: {r.stderr.strip()}")
    try:
        up()
    except subprocess.CalledProcessError as e:
        down()
        skip(f"cannot build the namespaces: {e.stderr.strip()}")
    try:
        tino, xino = netns_inode(T), netns_inode(X)
        test_bpf(tino, xino)
        test_late_reply_range(tino)
        test_store(tino)
        test_all_netns(tino, xino)
        test_namespace_gone()
        test_namespace_name_deleted()
        test_write_failures()
        test_store_full(tino)
        test_ipv6_and_stealth(tino)
        test_filtered(tino)
        test_packet(tino)
        test_unprivileged()
    finally:
        down()
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
