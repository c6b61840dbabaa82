#!/usr/bin/env python3
"""Real-daemon evaluation of portscope's verdicts (driven by bench/daemons.sh, which installs
the packages first). Builds a network namespace with stock Debian daemons and deliberately
wrong listeners, audits it, scans it from a second namespace with portscope and nmap, and
prints what a sysadmin wants to know: false alarms on stock daemons, wrong listeners caught,
services named by each scanner, and the times.

Usage: run.py BUILD_DIR [--json] [--strict] [--keep-going]
Network safety: addresses 198.18.0.1-5 only, in two namespaces this script creates; no route
out of them. Everything it starts is killed by PID, the namespaces and temp dir removed, on
success, failure, Ctrl-C and SIGTERM."""
import argparse
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402

NS, SCAN_NS = "psbench-daemons", "psbench-scanner"
VETH_D, VETH_S = catalog.IFACE, "psb-s0"
TMP_PREFIX = "psbench-daemons."
LOCK = "/run/psbench-daemons.lock"
START_WAIT = 30.0  # seconds for every daemon to open its sockets
SETTLE = 2.0  # then this long for the sockets they open after their listeners (squid's DNS)
SEVERITY = {"none": 0, "low": 1, "medium": 2, "high": 3}


def false_alarm(r):
    """On a stock daemon, any verdict but expected or info is a false alarm (audit and scan alike)."""
    return r.get("verdict") not in ("expected", "info")


def flagged(r):
    """A wrong listener is caught when it is suspicious, a mismatch, or unexplained at medium or worse."""
    return (r.get("verdict") in ("suspicious", "mismatch") or
            (r.get("verdict") == "unexplained" and SEVERITY.get(r.get("severity"), 0) >= 2))

started = []  # (Daemon, Popen, log path) in start order
KEEP_LOGS = []  # (from, to): --keep-logs copies the logs there before the temp dir goes


def sh(*argv, check=True, ns=None, **kw):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- namespaces and cleanup

def ns_exists(name):
    return os.path.exists("/run/netns/" + name)


def kill_ns_processes(name):
    """Every process in a namespace this script made is one it started (or a child of one)."""
    if not ns_exists(name):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [int(p) for p in sh("ip", "netns", "pids", name, check=False).stdout.split()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + 5
        while time.time() < deadline:
            if not sh("ip", "netns", "pids", name, check=False).stdout.split():
                return
            time.sleep(0.1)


def teardown():
    for d, p, _ in reversed(started):
        if p.poll() is None:
            try:
                p.terminate()
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for d, p, _ in started:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    started.clear()
    for src, dst in KEEP_LOGS:
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
    KEEP_LOGS.clear()
    for name in (NS, SCAN_NS):
        kill_ns_processes(name)
        if ns_exists(name):
            sh("ip", "netns", "del", name, check=False)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), TMP_PREFIX + "*")):
        shutil.rmtree(d, ignore_errors=True)


def setup_net():
    sh("ip", "netns", "add", NS)
    sh("ip", "netns", "add", SCAN_NS)
    sh("ip", "link", "add", VETH_D, "netns", NS, "type", "veth", "peer", "name", VETH_S,
       "netns", SCAN_NS)
    for ns, dev in ((NS, VETH_D), (SCAN_NS, VETH_S)):
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
    for a in catalog.ADDRESSES:
        sh("ip", "addr", "add", a + "/24", "dev", VETH_D, ns=NS)
    sh("ip", "addr", "add", catalog.SCANNER + "/24", "dev", VETH_S, ns=SCAN_NS)


# ---------------------------------------------------------------- daemons

def wrapper_script(d, dirpath):
    lines = ["set -e", "mount -t tmpfs -o mode=0755 psbench /run", "mkdir -p /run/lock"]
    for path, owner in d.tmpfs:
        lines.append("mount -t tmpfs -o mode=0755 psbench %s && chown %s: %s" % (path, owner, path))
    for path, owner in d.rundirs:
        lines.append("mkdir -p %s && chown %s: %s" % (path, owner, path))
    lines.append("cd %s" % dirpath)
    if d.user:
        lines.append('exec setpriv --reuid=%s --regid=%s --init-groups -- "$@"' % (d.user, d.user))
    else:
        lines.append('exec "$@"')
    return "\n".join(lines)


def start(d, tmp):
    """Prepares and starts one daemon; returns None or the reason it could not start."""
    if not os.path.exists(d.binary):
        return "%s is missing (package %s not installed)" % (d.binary, d.package)
    dirpath = os.path.join(tmp, d.name.replace(" ", "_").replace("/", "_"))
    os.makedirs(dirpath, exist_ok=True)
    try:
        argv = d.prepare(dirpath)
    except (OSError, RuntimeError, KeyError, subprocess.SubprocessError) as e:
        return "preparing it failed: %s" % e
    env = dict(os.environ)
    env.update({k: v.replace("{dir}", dirpath) for k, v in d.env.items()})
    logpath = os.path.join(tmp, "logs", os.path.basename(dirpath) + ".log")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    out = open(logpath, "w")
    p = subprocess.Popen(["ip", "netns", "exec", NS, "sh", "-c", wrapper_script(d, dirpath),
                          "sh"] + argv, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    out.close()
    started.append((d, p, logpath))
    return None


def sockets_open():
    """(proto, address, port) of listening TCP and bound UDP sockets in NS; ("packet", "*",
    ETHERTYPE) and ("raw", "*", IP PROTOCOL) of its packet and raw sockets."""
    found = set()
    for path, proto in (("/proc/net/packet", "packet"), ("/proc/net/raw", "raw")):
        r = sh("cat", path, ns=NS, check=False)
        for line in r.stdout.splitlines()[1:]:
            f = line.split()
            try:
                found.add((proto, "*", int(f[3], 16) if proto == "packet" else int(f[1].split(":")[1], 16)))
            except (IndexError, ValueError):
                pass
    r = sh("ss", "-Hlntu", ns=NS, check=False)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        addr, _, port = f[4].rpartition(":")
        addr = addr.strip("[]").split("%")[0]
        if port.isdigit():
            found.add((f[0], addr, int(port)))
    return found


def missing_ports(d, found):
    miss = []
    for proto, addr, port in d.ports:
        ok = any(p == proto and (port is None or q == port) and (addr is None or a in (addr, "0.0.0.0", "*", "::"))
                 for p, a, q in found)
        if not ok:
            miss.append("%s/%s" % ("any" if port is None else port, proto))
    return miss


def last_line(logpath):
    try:
        with open(logpath, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return "(no log)"
    return (lines[-1][:160] if lines else "(no output)")


def wait_ready(deadline):
    """Waits until every started daemon opened its sockets or exited; returns failures."""
    while True:
        found = sockets_open()
        pending = [(d, p, lp) for d, p, lp in started
                   if p.poll() is None and missing_ports(d, found)]
        if not pending or time.time() > deadline:
            break
        time.sleep(0.3)
    found = sockets_open()
    failures = {}
    for d, p, lp in started:
        miss = missing_ports(d, found)
        if p.poll() is not None and miss:
            failures[d.name] = "exited with status %s: %s" % (p.returncode, last_line(lp))
        elif miss:
            failures[d.name] = "not listening on %s after %.0f s: %s" % (
                ", ".join(miss), START_WAIT, last_line(lp))
    return failures


def ancestry(pid):
    """pid and its ancestors (via /proc/PID/stat)."""
    chain = []
    while pid and pid > 1 and len(chain) < 64:
        chain.append(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return chain


def owner_of(listener, by_pid, by_port):
    """The Daemon a listener belongs to: by the PID we started (or an ancestor), else by the
    port its catalog entry opens (daemons that fork away from the PID we hold)."""
    pids = [o.get("pid") for o in listener.get("owners") or []] or [listener.get("pid")]
    for pid in pids:
        for a in ancestry(pid or 0):
            if a in by_pid:
                return by_pid[a]
    return by_port.get((listener.get("protocol"), listener.get("port")))


# ---------------------------------------------------------------- audit and scans

def timed(argv, ns=None, timeout=600):
    t0 = time.monotonic()
    r = sh(*argv, ns=ns, check=False, timeout=timeout)
    return r, time.monotonic() - t0


def default_registry():
    """The IANA CSV the test suite uses (../shared beside the checkout), so that figures do not
    depend on whether someone ran `portscope update` on this machine; None: portscope's own
    lookup."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = sorted(glob.glob(os.path.join(top, "..", "shared", "data", "iana",
                                          "service-names-port-numbers*.csv")))
    return os.path.normpath(found[-1]) if found else None


def reg_args(registry):
    return ["--registry", registry] if registry else []


def audit(build, registry):
    r, secs = timed([os.path.join(build, "portscope"), "audit", "--netns", NS, "--json",
                     "--no-history", "--fail-on", "never"] + reg_args(registry))
    if r.returncode != 0:
        raise RuntimeError("portscope audit failed (exit %d): %s" % (r.returncode,
                                                                      r.stderr.strip()[:300]))
    return json.loads(r.stdout), secs


def portscope_scan(build, proto, ports, targets, registry):
    engine = ["-sV", "--engine", "syn"] if proto == "tcp" else ["-sU"]
    argv = [os.path.join(build, "portscope"), "scan"] + engine + [
        "-p", ",".join(map(str, ports)), "--json", "--no-progress"] + reg_args(registry) + targets
    r, secs = timed(argv, ns=SCAN_NS)
    if r.returncode not in (0, 1):
        raise RuntimeError("portscope scan failed (exit %d): %s" % (r.returncode,
                                                                     r.stderr.strip()[:300]))
    doc = json.loads(r.stdout)
    res = {}
    for h in doc.get("hosts", []):
        for p in h.get("ports", []):
            if p.get("state") != "open":
                continue
            s = p.get("service") or {}
            res[(h["address"], p["port"])] = {
                "service": s.get("name") or "", "product": s.get("product") or "",
                "version": s.get("version") or "", "verdict": p.get("verdict") or "",
                "severity": p.get("severity") or "", "rule": p.get("rule") or "",
                "explanation": p.get("explanation") or ""}
    return res, secs, " ".join(argv[1:])


def nmap_scan(proto, ports, targets):
    argv = ["nmap", "-sV", "-sS" if proto == "tcp" else "-sU", "-Pn", "-n",
            "-p", ",".join(map(str, ports)), "-oX", "-"] + targets
    r, secs = timed(argv, ns=SCAN_NS)
    if r.returncode != 0:
        raise RuntimeError("nmap failed (exit %d): %s" % (r.returncode, r.stderr.strip()[:300]))
    res = {}
    for h in ET.fromstring(r.stdout).iter("host"):
        addr = h.find("address").get("addr")
        for p in h.iter("port"):
            st = p.find("state")
            if st is None or st.get("state") != "open":
                continue
            s = p.find("service")
            g = (lambda k: (s.get(k) or "") if s is not None else "")
            # method="table": nmap only repeats nmap-services' name for the port number.
            res[(addr, int(p.get("portid")))] = {
                "service": g("name") if g("method") == "probed" else "",
                "guess": g("name") if g("method") != "probed" else "",
                "product": g("product"), "version": g("version")}
    return res, secs, " ".join(argv)


def named(r):
    return bool(r and r["service"] and r["service"] not in ("unknown", "tcpwrapped"))


def describe(r):
    """service product version; '?' when not identified, '[name]' when nmap only repeats the
    port's name from nmap-services."""
    if not r:
        return "-"
    s = " ".join(x for x in (r["service"], r["product"], r["version"]) if x)
    if not s and r.get("guess"):
        return "[%s]" % r["guess"]
    return s or "?"


def compare(build, proto, ports, targets, args):
    """Scans PORTS of TARGETS with portscope and nmap; one row per (address, port) either
    found open, with the daemon behind it."""
    ps_res, ps_s, ps_cmd = portscope_scan(build, proto, ports, targets, args.registry)
    nm_res, nm_s, nm_cmd = ({}, 0.0, "nmap: skipped") if args.no_nmap else \
        nmap_scan(proto, ports, targets)
    rows = []
    for key in sorted(set(ps_res) | set(nm_res), key=lambda k: (k[1], k[0])):
        addr, port = key
        # Daemons on the same port number sit on different addresses: name the right one.
        d = next((c for c in catalog.STOCK + catalog.WRONG
                  if any(p == proto and q == port and (a is None or a == addr)
                         for p, a, q in c.ports)), None)
        rows.append({"address": addr, "port": port, "daemon": d.name if d else None,
                     "wrong": bool(d and d.wrong), "portscope": ps_res.get(key),
                     "nmap": nm_res.get(key)})
    false = [r for r in rows if not r["wrong"] and r["portscope"]
             and false_alarm(r["portscope"])]
    wrong = [r for r in rows if r["wrong"]]
    return {"protocol": proto, "ports": ports, "targets": targets,
            "portscope_s": round(ps_s, 2), "nmap_s": round(nm_s, 2),
            "portscope_cmd": ps_cmd, "nmap_cmd": nm_cmd,
            "open_portscope": len(ps_res), "open_nmap": len(nm_res),
            "named_portscope": sum(1 for r in rows if named(r["portscope"])),
            "named_nmap": sum(1 for r in rows if named(r["nmap"])),
            "false_alarms": false, "wrong": len(wrong),
            "wrong_flagged": sum(1 for r in wrong if r["portscope"] and flagged(r["portscope"])),
            "rows": rows}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="bench/daemons.sh")
    ap.add_argument("build")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--json-file", metavar="FILE", help="also write the JSON summary to FILE")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 on a false alarm, a missed wrong listener, or fewer services "
                         "named than nmap")
    ap.add_argument("--install-seconds", type=float, default=None)
    ap.add_argument("--registry", default=default_registry(),
                    help="IANA CSV for audit and scan (default: ../shared's, as the tests use)")
    ap.add_argument("--only", help="start only these (comma-separated names; for debugging)")
    ap.add_argument("--udp", action="store_true",
                    help="also scan the daemons' UDP ports (portscope -sU, nmap -sU -sV: "
                         "about 3 minutes more)")
    ap.add_argument("--no-nmap", action="store_true", help="skip the nmap scan")
    ap.add_argument("--hold", type=float, default=0, metavar="S",
                    help="keep the namespace up S seconds after the scans (for debugging)")
    ap.add_argument("--keep-logs", metavar="DIR", help="copy the daemons' logs to DIR")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    summary = {"install_s": args.install_seconds}

    t_all = time.monotonic()
    teardown()  # leftovers of an interrupted run: our namespaces, their processes, temp dirs
    setup_net()
    tmp = tempfile.mkdtemp(prefix=TMP_PREFIX)
    if args.keep_logs:
        KEEP_LOGS.append((os.path.join(tmp, "logs"), args.keep_logs))
    os.chmod(tmp, 0o755)  # daemons that drop root read their configuration here

    # Start everything at once; the slow ones (initdb, mariadb-install-db) prepare first.
    t0 = time.monotonic()
    not_started = {}
    chosen = [d for d in catalog.STOCK + catalog.WRONG
              if not args.only or d.name in args.only.split(",")]
    for d in chosen:
        why = start(d, tmp)
        if why:
            not_started[d.name] = why
    not_started.update(wait_ready(time.time() + START_WAIT))
    time.sleep(SETTLE)
    summary["start_s"] = round(time.monotonic() - t0, 1)

    by_pid = {p.pid: d for d, p, _ in started}
    by_port = {}
    for d in catalog.STOCK + catalog.WRONG:
        for proto, _, port in d.ports:
            by_port[(proto, port)] = d

    # Audit.
    doc, audit_s = audit(build, args.registry)
    reg = doc.get("registry") or {}
    summary["registry"] = "%s (%s, newest date %s)" % (reg.get("source"), reg.get("kind"),
                                                       reg.get("date"))
    summary["audit_s"] = round(audit_s, 3)
    if isinstance(doc.get("elapsed_ms"), (int, float)):
        summary["audit_elapsed_ms"] = round(doc["elapsed_ms"], 1)
    stock_rows, wrong_rows, other_rows = [], [], []
    for l in doc.get("listeners", []):
        if not l.get("listening", True):
            continue
        d = owner_of(l, by_pid, by_port)
        row = {"port": l.get("port"), "protocol": l.get("protocol"), "address": l.get("address"),
               "process": l.get("process") or "", "pid": l.get("pid"),
               "daemon": d.name if d else None, "verdict": l.get("verdict"),
               "severity": l.get("severity"), "reason": l.get("reason") or ""}
        (other_rows if d is None else wrong_rows if d.wrong else stock_rows).append(row)
    false_alarms = [r for r in stock_rows if r["verdict"] not in ("expected", "info")]

    def caught(r):
        return (r["verdict"] in ("suspicious", "mismatch") or
                (r["verdict"] == "unexplained" and SEVERITY.get(r["severity"], 0) >= 2))
    wrong_report = []
    for d in chosen:
        if not d.wrong or d.name in not_started:
            continue
        rows = [r for r in wrong_rows if r["daemon"] == d.name]
        wrong_report.append({"listener": d.name, "why_wrong": d.why,
                             "caught": bool(rows) and all(caught(r) for r in rows),
                             "rows": rows})

    # Scans, from the scanner: the TCP ports open on the daemons' addresses (not loopback);
    # with --udp also the UDP ports the catalog's daemons serve (not their client sockets).
    found = sockets_open()
    tcp_ports = sorted({port for proto, a, port in found
                        if proto == "tcp" and not a.startswith("127.") and a != "::1"})
    if not tcp_ports:
        raise RuntimeError("no TCP port open in the namespace: nothing to scan")
    targets = list(catalog.ADDRESSES)
    summary["scan"] = compare(build, "tcp", tcp_ports, targets, args)
    if args.udp:
        udp_ports = sorted({port for d in chosen if d.name not in not_started
                            for proto, _, port in d.ports if proto == "udp"})
        summary["scan_udp"] = compare(build, "udp", udp_ports, targets, args)
    summary.update({
        "namespace": NS, "addresses": list(catalog.ADDRESSES),
        "stock_daemons": len([d for d in chosen if not d.wrong]),
        "stock_started": len([d for d in chosen if not d.wrong and d.name not in not_started]),
        "wrong_listeners": len([d for d in chosen if d.wrong]),
        "not_started": not_started,
        "audit": {"stock_listeners": len(stock_rows), "false_alarms": false_alarms,
                  "stock": stock_rows,
                  "wrong": wrong_report,
                  "wrong_caught": sum(1 for w in wrong_report if w["caught"]),
                  "unattributed": other_rows,
                  "verdicts": doc.get("summary")},
    })
    summary["total_s"] = round(time.monotonic() - t_all, 1)
    if args.hold:
        log("holding the namespace %s for %.0f s" % (NS, args.hold))
        time.sleep(args.hold)
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        print_text(summary)
    scans = [summary[k] for k in ("scan", "scan_udp") if k in summary]
    bad = (false_alarms or any(sc["false_alarms"] for sc in scans) or
           summary["audit"]["wrong_caught"] < len(wrong_report) or
           any(sc["named_portscope"] < sc["named_nmap"] for sc in scans))
    return 1 if (args.strict and bad) else 0


def print_text(s):
    a = s["audit"]
    w = print
    w("Real-daemon evaluation: %d stock daemons started of %d, %d wrong listeners, "
      "namespace %s (%s)" % (s["stock_started"], s["stock_daemons"],
                             len(a["wrong"]), s["namespace"], ", ".join(s["addresses"])))
    w("Registry: %s" % s["registry"])
    if s["not_started"]:
        w("\nNot started (%d):" % len(s["not_started"]))
        for name, why in sorted(s["not_started"].items()):
            w("  %-22s %s" % (name, why))
    w("\nAudit: false alarms on stock daemons: %d of %d listeners (goal 0)"
      % (len(a["false_alarms"]), a["stock_listeners"]))
    for r in sorted(a["false_alarms"], key=lambda r: (r["port"], r["protocol"])):
        w("  %5d/%-4s %-16s %-12s %-7s %s" % (r["port"], r["protocol"], r["process"][:16],
                                               r["verdict"], r["severity"], r["reason"]))
    w("\nAudit: wrong listeners caught: %d of %d (goal all)" % (a["wrong_caught"], len(a["wrong"])))
    for x in a["wrong"]:
        rows = x["rows"] or [{"verdict": "NOT SEEN", "severity": "", "reason": ""}]
        for r in rows:
            w("  %-4s %-22s %-12s %-7s %s" % ("ok" if x["caught"] else "MISS", x["listener"],
                                              r["verdict"], r["severity"], r["reason"]))
    if a["unattributed"]:
        w("\nAudit: listeners not attributed to a started process: %d" % len(a["unattributed"]))
        for r in a["unattributed"]:
            w("  %5d/%-4s %-16s %s" % (r["port"], r["protocol"], r["process"], r["verdict"]))
    for sc in [s[k] for k in ("scan", "scan_udp") if k in s]:
        print_scan(sc)
    times = ", ".join("%s: portscope %.2f s, nmap %.2f s" % (
        sc["protocol"].upper(), sc["portscope_s"], sc["nmap_s"])
        for sc in [s[k] for k in ("scan", "scan_udp") if k in s])
    w("\nTimes: %sdaemons started in %.1f s, audit %.3f s (its own elapsed_ms %s), "
      "scans -sV (%s), whole run %.1f s"
      % ("packages checked/installed %.1f s, " % s["install_s"] if s["install_s"] is not None
         else "", s["start_s"], s["audit_s"], s.get("audit_elapsed_ms"), times, s["total_s"]))
    for sc in [s[k] for k in ("scan", "scan_udp") if k in s]:
        w("  portscope %s\n  %s" % (sc["portscope_cmd"], sc["nmap_cmd"]))


def print_scan(sc):
    w = print
    P = sc["protocol"].upper()
    w("\nScan (%s, %d ports x %d addresses): services named: portscope %d, nmap %d "
      "(goal portscope >= nmap); open: portscope %d, nmap %d"
      % (P, len(sc["ports"]), len(sc["targets"]), sc["named_portscope"], sc["named_nmap"],
         sc["open_portscope"], sc["open_nmap"]))
    w("  %-10s %5s  %-20s %-40s %-40s %s" % ("address", "port", "daemon", "portscope",
                                              "nmap", "portscope verdict"))
    for r in sc["rows"]:
        ps = r["portscope"]
        w("  %-10s %5d  %-20s %-40s %-40s %s" % (
            r["address"].split(".", 2)[2], r["port"], (r["daemon"] or "?")[:20],
            describe(ps)[:40], describe(r["nmap"])[:40], "%s/%s" % (ps["verdict"], ps["severity"]) if ps else "-"))
    w("  (? not identified; [name] nmap's guess from the port number, not counted as named;"
      " - not reported open)")
    w("\nScan (%s): false alarms on stock daemons (a verdict other than expected or info): %d (goal 0)"
      % (P, len(sc["false_alarms"])))
    for r in sc["false_alarms"]:
        w("  %s:%d %-20s %-12s %s" % (r["address"], r["port"], r["daemon"],
                                      r["portscope"]["verdict"], r["portscope"]["explanation"]))
    w("Scan (%s): wrong listeners flagged (suspicious, mismatch, or unexplained at medium or worse): %d of %d"
      % (P, sc["wrong_flagged"], sc["wrong"]))


def on_signal(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


if __name__ == "__main__":
    if os.geteuid() != 0:
        log("bench/daemons.sh: skipped: needs root (network namespaces, daemons)")
        sys.exit(77)
    lockf = open(LOCK, "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("bench/daemons.sh: another run holds %s" % LOCK)
        sys.exit(2)
    # Set SIGINT too: a shell starts background jobs with it ignored, and Python keeps that.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    rc = 2
    try:
        rc = main()
    except KeyboardInterrupt:
        log("bench/daemons.sh: interrupted; cleaning up")
        rc = 130
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
        log("bench/daemons.sh: %s" % e)
        rc = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        teardown()
    sys.exit(rc)
