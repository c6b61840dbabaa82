#!/usr/bin/env python3
"""Integration test of what `portscope listening` says of a socket's owner, with real processes on
127.0.0.1 of this machine (no root needed: a user sees its own processes):

- a connection the kernel completed that its program has not accept()ed yet (--all): listed, with
  the pid of the listener whose queue holds it, and marked as not yet accepted;
- a command line over 64 KiB: cut, and the JSON says so (cmdline_truncated);
- `python3 -m http.server`: identified_as names what the reason names (http.server), whether a
  knowledge entry matched it or not.

Every process started here is stopped by its pid; traffic stays on 127.0.0.1."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

AUDIT = os.environ.get("PORTSCOPE_AUDIT_BIN")
SRC = os.environ.get("PORTSCOPE_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def skip(reason):
    print(f"skipped: {reason}")
    sys.exit(77)


def iana():
    for d in (os.environ.get("PORTSCOPE_TEST_IANA_DIR"), os.path.join(SRC, "..", "shared", "data", "iana")):
        if d:
            p = os.path.join(d, "service-names-port-numbers.2026-02.csv")
            if os.path.exists(p):
                return os.path.abspath(p)
    return None


if not AUDIT:
    skip("PORTSCOPE_AUDIT_BIN is not set (run through meson test)")
CSV = iana()
if not CSV:
    skip("the IANA CSV (PORTSCOPE_TEST_IANA_DIR or ../shared/data/iana) is not available")

tmp = tempfile.mkdtemp(prefix="ps-audit-owners-")
ENV = dict(os.environ, HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
           XDG_DATA_HOME=os.path.join(tmp, "data"), NO_COLOR="1", LANG="C.UTF-8")
for k in ("PORTSCOPE_REGISTRY", "PORTSCOPE_KNOWLEDGE", "PORTSCOPE_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    ENV.pop(k, None)
procs = []


def audit(*args):
    p = subprocess.run([AUDIT, *args, "--registry", CSV], capture_output=True, env=ENV, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def audit_json(*args):
    rc, out, err = audit(*args, "--json")
    try:
        return rc, json.loads(out), err
    except json.JSONDecodeError:
        print(f"not JSON (rc {rc}): {out[:400]} {err[:400]}")
        raise


def launch(args):
    """Starts a process that prints one line (a port, or "ready") once it is set up; returns it and the line."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(p)
    line = p.stdout.readline().decode().strip()
    if not line:
        raise RuntimeError(f"{args[:3]}: {p.stderr.read().decode(errors='replace')[:400]}")
    return p, line


def stop(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()


def free_port():
    """A free port below the dynamic range (there, the reason names no process)."""
    for port in random.sample(range(20000, 30000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 20000-29999")


def wait_listening(port, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


# A listener that never calls accept(), and a client (another process) whose connection waits in its queue.
LISTENER = ("import socket, sys, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)\n"
            "print(s.getsockname()[1], flush=True)\n"
            "time.sleep(120)\n")
CLIENT = ("import socket, sys, time\n"
          "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
          "print(c.getsockname()[1], flush=True)\n"
          "time.sleep(120)\n")

try:
    # ---- a connection not yet accepted ----
    lst, port = launch([sys.executable, "-c", LISTENER])
    cli, cport = launch([sys.executable, "-c", CLIENT, port])
    port, cport = int(port), int(cport)
    for extra in ([], ["--no-bpf"]):
        rc, j, err = audit_json("listening", str(port), "--all", *extra)
        L = [x for x in j.get("listeners", []) if x["protocol"] == "tcp" and x["port"] == port]
        what = f"listening {port} --all {' '.join(extra)}".strip()
        listener = [x for x in L if x["listening"]]
        queued = [x for x in L if not x["listening"]]
        check(rc == 0 and len(listener) == 1 and listener[0]["pid"] == lst.pid,
              f"{what}: the listener, owned by its process ({rc}, {err.strip()!r}, {L})")
        check(len(queued) == 1, f"{what}: the connection in its accept queue is listed: {L}")
        if queued:
            q = queued[0]
            check(q["remote_port"] == cport and q["address"] == "127.0.0.1" and q["remote_address"] == "127.0.0.1",
                  f"{what}: the queued connection is the client's ({q['remote_port']} vs {cport})")
            check(q["pid"] == lst.pid and q["process"] == listener[0]["process"] and [o["pid"] for o in q["owners"]] == [lst.pid],
                  f"{what}: attributed to the listener's process {lst.pid}, not the client {cli.pid}: {q['pid']} {q['owners']}")
            check(q.get("in_accept_queue") is True and q["inode"] == 0 and q.get("owner_missing") is None,
                  f"{what}: marked as not yet accepted: {q.get('in_accept_queue')} inode {q['inode']}")
            check(q["verdict"] == "info" and q["severity"] == "none" and "not yet accepted" in q["reason"]
                  and f"127.0.0.1:{cport}" in q["reason"], f"{what}: the reason says so: {q['reason']}")
        # The client's own end is an ordinary connection.
        rc, jc, err = audit_json("listening", str(cport), "--all", *extra)
        mine = [x for x in jc.get("listeners", []) if x["port"] == cport and not x["listening"]]
        check(len(mine) == 1 and mine[0]["pid"] == cli.pid and mine[0].get("in_accept_queue") is False
              and mine[0]["inode"] != 0, f"{what}: the client's end is the client's, accepted: {mine}")
    rc, out, err = audit("listening", str(port), "--all")
    rows = [ln for ln in out.splitlines() if f"->127.0.0.1" in ln]
    check(rc == 0 and len(rows) == 1 and str(lst.pid) in rows[0] and "not yet accepted" in rows[0],
          f"the table shows the queued connection with the listener's pid, not yet accepted: {out[:600]!r}")
    rc, j, err = audit_json("listening", str(port))
    check(rc == 0 and [x["listening"] for x in j["listeners"] if x["port"] == port] == [True],
          "without --all, only the listener")
    rc, j, err = audit_json("audit", "--all", "--no-history", "--fail-on", "never")
    check(rc == 0 and any(x["port"] == port and x.get("in_accept_queue") for x in j.get("listeners", [])),
          f"audit --all lists it too ({rc}, {err.strip()!r})")
    stop(cli)
    stop(lst)

    # ---- an SO_REUSEPORT group: whose queue holds a connection is not known ----
    REUSE = ("import socket, sys, time\n"
             "open('/proc/self/comm', 'w').write(sys.argv[2])\n"
             "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
             "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(64)\n"
             "print('ready', flush=True)\n"
             "time.sleep(120)\n")
    for names, known in ((("rp-one", "rp-two"), False), (("rp-same", "rp-same"), True)):
        rport = free_port()
        group = [launch([sys.executable, "-c", REUSE, str(rport), n])[0] for n in names]
        conns = [socket.create_connection(("127.0.0.1", rport)) for _ in range(12)]
        rc, j, err = audit_json("listening", str(rport), "--all")
        queued = [x for x in j.get("listeners", []) if x["port"] == rport and x.get("in_accept_queue")]
        pids = {x.get("pid") for x in queued}
        if known:
            ok = len(queued) == 12 and pids <= {p.pid for p in group} and None not in pids
        else:
            ok = len(queued) == 12 and all(not x.get("owners") and x.get("pid") is None for x in queued)
        check(rc == 0 and ok and all("not yet accepted" in x.get("reason", "") for x in queued),
              f"12 connections queued in an SO_REUSEPORT group of {' and '.join(names)}: "
              f"{'attributed to that program' if known else 'no program named, as either could hold them'}: "
              f"{[(x.get('pid'), x.get('process'), x.get('verdict')) for x in queued][:3]}")
        for c in conns:
            c.close()
        for p in group:
            stop(p)

    # ---- one program's SO_REUSEPORT group is one row, with its count of sockets ----
    # N tcp and M udp sockets on one address and port, all held by one process (nginx's reuseport,
    # a server with a socket per thread), as `sockets: N`; another program's socket in the group
    # stays a row of its own.
    GROUP = ("import socket, sys, time\n"
             "open('/proc/self/comm', 'w').write(sys.argv[2])\n"
             "port, ntcp, nudp = int(sys.argv[1]), int(sys.argv[3]), int(sys.argv[4])\n"
             "keep = []\n"
             "for kind, n in ((socket.SOCK_STREAM, ntcp), (socket.SOCK_DGRAM, nudp)):\n"
             "    for _ in range(n):\n"
             "        s = socket.socket(socket.AF_INET, kind)\n"
             "        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
             "        s.bind(('127.0.0.1', port))\n"
             "        if kind == socket.SOCK_STREAM: s.listen(8)\n"
             "        keep.append(s)\n"
             "print('ready', flush=True)\n"
             "time.sleep(120)\n")
    gport = free_port()
    one, _ = launch([sys.executable, "-c", GROUP, str(gport), "rp-group", "4", "3"])

    def rows_of(listeners):
        return sorted((x["protocol"], x["pid"], x.get("sockets")) for x in listeners if x["port"] == gport)

    want = [("tcp", one.pid, 4), ("udp", one.pid, 3)]
    for extra in ([], ["--no-bpf"]):
        what = f"listening {gport} {' '.join(extra)}".strip()
        rc, j, err = audit_json("listening", str(gport), *extra)
        check(rc == 0 and rows_of(j.get("listeners", [])) == want,
              f"{what} --json: 4 tcp and 3 udp sockets of one process are one row each, sockets 4 and 3: "
              f"{rows_of(j.get('listeners', []))}")
    # Each row names every socket of its group by inode: the process's own sockets, none twice.
    held = set()
    for fd in os.listdir(f"/proc/{one.pid}/fd"):
        try:
            link = os.readlink(f"/proc/{one.pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            held.add(int(link[8:-1]))
    rc, j, err = audit_json("listening", str(gport))
    groups = {x["protocol"]: x.get("inodes", []) for x in j.get("listeners", []) if x["port"] == gport}
    check(rc == 0 and len(groups.get("tcp", [])) == 4 and len(groups.get("udp", [])) == 3
          and len(set(groups["tcp"]) | set(groups["udp"])) == 7 and set(groups["tcp"]) | set(groups["udp"]) <= held
          and all(x["inodes"][0] == x["inode"] for x in j["listeners"] if x["port"] == gport),
          f"listening --json: each group's inodes, 4 and 3, are the process's sockets: {groups} ({sorted(held)})")
    rc, out, err = audit("listening", str(gport), "--jsonl")
    lines = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    check(rc == 0 and rows_of(x for x in lines if "port" in x) == want,
          f"listening --jsonl: the same rows: {rows_of(x for x in lines if 'port' in x)}")
    rc, out, err = audit("listening", str(gport))
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(("tcp ", "udp "))]
    check(rc == 0 and sorted((r[0], r[2], r[3]) for r in rows) == [("tcp", f"{gport}x4", str(one.pid)),
                                                                    ("udp", f"{gport}x3", str(one.pid))],
          f"the table: one row a protocol, the port with its count of sockets: {out[:600]!r}")
    rc, j, err = audit_json("audit", "--no-history", "--fail-on", "never")
    check(rc == 0 and rows_of(j.get("listeners", [])) == want and j["summary"]["unexplained"] >= 2,
          f"audit --json: the same rows ({rc}, {rows_of(j.get('listeners', []))})")
    # A second program joins the group: its socket is a row of its own (a finding), not a count.
    other, _ = launch([sys.executable, "-c", GROUP, str(gport), "rp-other", "1", "0"])
    rc, j, err = audit_json("listening", str(gport))
    got = rows_of(j.get("listeners", []))
    check(rc == 0 and got == sorted(want + [("tcp", other.pid, 1)]),
          f"another program in the group keeps its own row: {got}")
    names = {x["pid"]: x["process"] for x in j.get("listeners", []) if x["port"] == gport}
    check(names.get(one.pid) == "rp-group" and names.get(other.pid) == "rp-other",
          f"each row names its program: {names}")
    stop(other)
    stop(one)
    # A connection keeps its own row: only listeners are counted together.
    one, _ = launch([sys.executable, "-c", GROUP, str(gport), "rp-group", "2", "0"])
    conns = [socket.create_connection(("127.0.0.1", gport)) for _ in range(2)]
    rc, j, err = audit_json("listening", str(gport), "--all")
    queued = [x for x in j.get("listeners", []) if x["port"] == gport and not x["listening"]]
    check(rc == 0 and len(queued) == 2 and all(x.get("sockets") == 1 for x in queued)
          and rows_of(x for x in j["listeners"] if x["listening"]) == [("tcp", one.pid, 2)],
          f"--all: two queued connections are two rows beside the one listener row: {rows_of(j.get('listeners', []))}")
    for c in conns:
        c.close()
    stop(one)

    # ---- a command line over 64 KiB ----
    long_arg = "x" * 70000  # one argument may hold up to 128 KiB
    big, bport = launch([sys.executable, "-c", LISTENER, long_arg])
    rc, j, err = audit_json("listening", bport)
    b = [x for x in j.get("listeners", []) if x["port"] == int(bport)]
    check(rc == 0 and len(b) == 1, f"the listener of the long command line is found ({rc}, {err.strip()!r})")
    if b:
        b = b[0]
        check(b.get("cmdline_truncated") is True and len(b["cmdline"].encode()) == 65536
              and b["cmdline"].endswith("x" * 100), f"cmdline cut at 64 KiB, and said so: {len(b['cmdline'])} "
                                                    f"{b.get('cmdline_truncated')}")
        check(b["owners"][0].get("cmdline_truncated") is True, "the owner's cmdline_truncated too")
    stop(big)
    small, sport = launch([sys.executable, "-c", LISTENER, "y" * 1000])
    rc, j, err = audit_json("listening", sport)
    s = [x for x in j.get("listeners", []) if x["port"] == int(sport)]
    check(s and s[0].get("cmdline_truncated") is False and s[0]["cmdline"].endswith("y" * 1000)
          and s[0]["owners"][0].get("cmdline_truncated") is False, "a command line that fits is whole, not truncated")
    stop(small)
    # Exactly 64 KiB kept, its last argument's NUL the byte after: whole. One argument more: cut.
    base = len(sys.executable.encode()) + 1 + len(b"-c") + 1 + len(LISTENER.encode()) + 1 + 1
    for extra, cut in (([], False), (["w"], True)):
        argv = [sys.executable, "-c", LISTENER, "z" * (65537 - base)] + extra
        edge, eport = launch(argv)
        rc, j, err = audit_json("listening", eport)
        e = [x for x in j.get("listeners", []) if x["port"] == int(eport)]
        check(e and e[0].get("cmdline_truncated") is cut and len(e[0]["cmdline"].encode()) == 65536,
              f"a command line of 65,536 bytes and its final NUL{' and one argument more' if extra else ''}: "
              f"truncated {cut} ({e[0].get('cmdline_truncated') if e else None}, {len(e[0]['cmdline']) if e else 0})")
        stop(edge)

    # ---- python3 -m http.server: identified_as names what the reason names ----
    python3 = shutil.which("python3") or sys.executable
    www = os.path.join(tmp, "www")
    os.mkdir(www)
    http = None
    for attempt in range(5):
        hport = free_port()
        http = subprocess.Popen([python3, "-m", "http.server", str(hport), "--bind", "127.0.0.1", "--directory", www],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(http)
        if wait_listening(hport) and http.poll() is None:
            break
        stop(http)
        http = None
    check(http is not None, "python3 -m http.server started on a free port of 127.0.0.1")
    if http:
        rc, j, err = audit_json("listening", str(hport))
        h = [x for x in j.get("listeners", []) if x["port"] == hport and x["pid"] == http.pid]
        check(rc == 0 and len(h) == 1, f"http.server found on {hport} ({rc}, {err.strip()!r})")
        if h:
            h = h[0]
            check("http.server" in h["reason"] and h.get("identified_as") == "http.server",
                  f"no knowledge explains it, the reason names it, and so does identified_as: "
                  f"{h.get('identified_as')!r} ({h['rule']}: {h['reason']})")
        # A knowledge entry for the port that names the module: the reason cites it as identified.
        kn = os.path.join(tmp, "knowledge.txt")
        with open(kn, "w") as f:
            f.write(f"entry: test-http-server\nname: Test http.server\nkind: development\nports: {hport}/tcp\n"
                    "summary: python3 -m http.server (test fixture).\nprocess: http.server\nsource: test fixture\n")
        rc, j, err = audit_json("listening", str(hport), "--knowledge", kn)
        h = [x for x in j.get("listeners", []) if x["port"] == hport and x["pid"] == http.pid]
        check(rc == 0 and h and h[0]["rule"] == "known-use" and h[0]["reason"].startswith(f"http.server on {hport}/tcp")
              and h[0].get("identified_as") == "http.server",
              f"matched by the knowledge entry: identified_as is the name matched: {h[:1]} {err.strip()!r}")
        stop(http)
    # A process that is no interpreter keeps identified_as null when nothing matched it.
    plain, pport = launch([sys.executable, "-c", LISTENER])
    rc, j, err = audit_json("listening", pport)
    p = [x for x in j.get("listeners", []) if x["port"] == int(pport)]
    check(p and p[0].get("identified_as") is None, f"python3 -c CODE runs no named program: identified_as null: {p[:1]}")
    stop(plain)
finally:
    for p in procs:
        stop(p)
    shutil.rmtree(tmp, ignore_errors=True)

print(f"audit owners: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
