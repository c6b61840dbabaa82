#!/usr/bin/env python3
"""Integration test of `portscope audit` / `portscope listening` in a network namespace of its own.

Starts real listeners (tcp4, tcp6, udp, dual-stack, loopback-only, one address, one interface,
raw, an established pair) from processes named sshd, nc, python3, pd and webd (a symlink to the
ps-audit-listen helper), then runs the real portscope-audit and checks every field and verdict,
the match with ss(8), the baseline (expected and gone), --write-baseline, --changes, the
Prometheus file, exit statuses, bad input, terminal escaping and the unprivileged path.
Needs root (network namespaces); exits 77 otherwise. Traffic stays inside the namespace."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

AUDIT = os.environ.get("PORTSCOPE_AUDIT_BIN")
LISTEN = os.environ.get("PORTSCOPE_AUDIT_LISTEN")
KNOWLEDGE = os.environ.get("PORTSCOPE_AUDIT_KNOWLEDGE")
MAIN = os.environ.get("PORTSCOPE_BIN")
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


if os.geteuid() != 0:
    skip("not root: creating a network namespace needs CAP_SYS_ADMIN")
if not shutil.which("ip"):
    skip("iproute2 (ip) is not installed")
if not AUDIT or not LISTEN or not KNOWLEDGE:
    skip("PORTSCOPE_AUDIT_BIN / PORTSCOPE_AUDIT_LISTEN / PORTSCOPE_AUDIT_KNOWLEDGE not set (run through meson test)")
CSV = iana()
if not CSV:
    skip("the IANA CSV (PORTSCOPE_TEST_IANA_DIR or ../shared/data/iana) is not available")

NS = f"ps-audit-{os.getpid()}"
# The helpers are copied here under the names they play. Not under /tmp: an executable under a
# directory any user can write is where no package puts one, and a copy named sshd there is a
# stray executable, not sshd (checked below). /run is root's.
tmp = tempfile.mkdtemp(prefix="ps-audit-test-", dir="/run")
stray_top = tempfile.mkdtemp(prefix="ps-audit-stray-", dir="/tmp")
os.chmod(tmp, 0o755)
# The unprivileged runs (user 65534) must be able to read the registry and the knowledge file
# wherever the checkout lives (a clone in a `mktemp -d` directory is 0700): every run reads
# copies in the 0755 test directory.
CSV, KNOWLEDGE = (shutil.copy(f, os.path.join(tmp, os.path.basename(f))) for f in (CSV, KNOWLEDGE))
for f in (CSV, KNOWLEDGE):
    os.chmod(f, 0o644)
procs = []
ENV = dict(os.environ, HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
           XDG_DATA_HOME=os.path.join(tmp, "data"), NO_COLOR="1", PORTSCOPE_DB=os.path.join(tmp, "state", "ps.db"))
for k in ("PORTSCOPE_REGISTRY", "PORTSCOPE_KNOWLEDGE"):
    ENV.pop(k, None)
COMMON = ["--registry", CSV, "--knowledge", KNOWLEDGE]


def sh(*args, check_rc=True):
    p = subprocess.run(args, capture_output=True, timeout=30)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.decode(errors='replace').strip()}")
    return p


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(stray_top, ignore_errors=True)


def start(name, *specs, uid=None):
    """Starts the helper as `name` in the namespace; returns the Popen once it says ready."""
    path = os.path.join(tmp, name)
    if not os.path.exists(path):
        shutil.copy(LISTEN, path)  # a copy, not a symlink: comm and argv[0] both say `name`
        os.chmod(path, 0o755)
    # A process that changes its uid becomes non-dumpable and its /proc/PID/fd stays root's: start
    # other users' listeners as that user from the beginning, as a service manager would.
    as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid is not None else []
    return launch(["ip", "netns", "exec", NS, *as_user, path, *specs], f"{name} {specs}")


def launch(args, what):
    """Starts a helper (kept in procs, to be stopped) and waits for its "ready"."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(p)
    line = p.stdout.readline().decode()
    if line.strip() != "ready":
        raise RuntimeError(f"{what}: {p.stderr.read().decode(errors='replace')}")
    return p


def start_systemd(*specs):
    """The helper as the service manager: run from /usr/lib/systemd/systemd (the helper bind-mounted
    there, in a mount namespace of its own), so that comm and /proc/PID/exe are both systemd's."""
    path = os.path.join(tmp, "systemd-manager")
    if not os.path.exists(path):
        shutil.copy(LISTEN, path)
        os.chmod(path, 0o755)
    script = 'mount --bind "$0" /usr/lib/systemd/systemd && exec /usr/lib/systemd/systemd "$@"'
    return launch(["ip", "netns", "exec", NS, "unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                   path, *specs], f"systemd {specs}")


def audit(*args, env=None, user=None, timeout=60, common=True):
    cmd = [AUDIT, *args, *(COMMON if common else [])]
    if user is not None:
        # Inside the namespace, as another user: no --netns (that needs CAP_SYS_ADMIN).
        cmd = ["ip", "netns", "exec", NS, "setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    e = dict(ENV)
    if env:
        e.update(env)
    p = subprocess.run(cmd, capture_output=True, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def audit_json(*args, **kw):
    rc, out, err = audit(*args, **kw)
    try:
        return rc, json.loads(out), err
    except json.JSONDecodeError:
        print(f"not JSON (rc {rc}): {out[:400]} {err[:400]}")
        raise


def find(listeners, proto, port, address=None):
    return [l for l in listeners if l["protocol"] == proto and l["port"] == port
            and (address is None or l["address"] == address)]


def one(listeners, proto, port, address=None):
    got = find(listeners, proto, port, address)
    check(len(got) == 1, f"one {proto}/{port} {address or ''} listener, got {len(got)}")
    return got[0] if got else {}


try:
    sh("ip", "netns", "add", NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    # A veth pair with both ends inside the namespace: d0 is "one interface" with 198.18.0.1.
    sh("ip", "-n", NS, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
    sh("ip", "-n", NS, "link", "set", "d1", "up")
    sh("ip", "-n", NS, "addr", "add", "198.18.0.1/24", "dev", "d0")
    sh("ip", "-n", NS, "link", "set", "d0", "up")

    sshd = start("sshd", "tcp6:[::]:22:v6only", "tcp4:127.0.0.1:22")
    nc = start("nc", "tcp4:198.18.0.1:22", "tcp4:0.0.0.0:31337")
    py = start("python3", "tcp4:0.0.0.0:250", "tcp6:[::]:625:dual", "tcp4:127.0.0.1:40000", "udp4:0.0.0.0:22",
               "udp6:[::]:55000:v6only", "udp4:127.0.0.1:3025", "dev:d0:tcp4:7000", "raw4:1", "conn4:5000")
    pd = start("pd", "tcp4:0.0.0.0:3025", "udp4:0.0.0.0:3025")
    webd = start("webd", "tcp4:0.0.0.0:8080", uid=65534)
    mail = start("mymail", "tcp4:0.0.0.0:24")

    # ---- listening --json: every field ----
    rc, j, err = audit_json("listening", "--json", "--netns", NS, "--all")
    check(rc == 0, f"listening --json exits 0 (got {rc}: {err.strip()})")
    check("registry" in j and j["registry"].get("source") == CSV, "JSON names the registry source")
    check(j.get("privileged") is True, "root is privileged")
    L = j.get("listeners", [])
    for l in L:
        for key in ("protocol", "address", "port", "pid", "process", "cmdline", "user", "unit", "status", "services",
                    "verdict", "severity", "reason"):
            check(key in l, f"listener {l.get('protocol')}/{l.get('port')} has {key}")

    s22 = one(L, "tcp", 22, "::")
    check(s22.get("pid") == sshd.pid, f"tcp6/22 pid is sshd's ({s22.get('pid')} vs {sshd.pid})")
    check(s22.get("process") == "sshd", "tcp6/22 process sshd")
    check((s22.get("owners") or [{}])[0].get("executable", "").endswith("/sshd"),
          f"the owner's executable comes from /proc/PID/exe: {(s22.get('owners') or [{}])[0].get('executable')}")
    check("tcp6:[::]:22:v6only" in (s22.get("cmdline") or ""), "tcp6/22 full command line")
    check(s22.get("user") == "root", "tcp6/22 user root")
    check(s22.get("v6only") is True and s22.get("dual_stack") is False, "tcp6/22 is v6only, not dual-stack")
    check(s22.get("status") == "assigned" and s22.get("services") == ["ssh"], "22/tcp assigned to ssh")
    check(s22.get("verdict") == "expected" and s22.get("severity") == "none", "sshd on 22 expected/none")
    check("sshd serves ssh" in s22.get("reason", ""), f"sshd reason cites the service: {s22.get('reason')}")
    check(s22.get("exposure") == "all", "[::]:22 is exposed on all addresses")
    with open(f"/proc/{sshd.pid}/cgroup") as f:
        cg = f.read()
    check(s22.get("owners", [{}])[0].get("cgroup") in cg, "cgroup comes from /proc/PID/cgroup")

    lo22 = one(L, "tcp", 22, "127.0.0.1")
    check(lo22.get("exposure") == "loopback" and lo22.get("verdict") == "expected", "sshd on 127.0.0.1:22 expected, loopback")

    n22 = one(L, "tcp", 22, "198.18.0.1")
    check(n22.get("process") == "nc" and n22.get("pid") == nc.pid, "nc holds 198.18.0.1:22")
    check(n22.get("verdict") == "mismatch" and n22.get("severity") == "medium", f"nc on 22 mismatch/medium: {n22.get('verdict')}")
    check("nc is not a known server" in n22.get("reason", "") and "sshd" in n22.get("reason", ""),
          f"mismatch reason names the known servers: {n22.get('reason')}")
    check(n22.get("exposure") == "address" and n22.get("interface") == "d0", "198.18.0.1 is one address, on d0")

    u22 = one(L, "udp", 22)
    check(u22.get("verdict") == "mismatch" and u22.get("process") == "python3", "python3 on udp/22 mismatch")

    s250 = one(L, "tcp", 250)
    check(s250.get("verdict") == "suspicious" and s250.get("severity") == "high", "250/tcp suspicious/high")
    check("nothing is registered on 250/tcp" in s250.get("reason", "") and "lost or hiding" in s250.get("reason", ""),
          f"250 reason: {s250.get('reason')}")
    # 24/tcp is assigned "any private mail system": assigned, to no named service — not suspicious.
    s24 = one(L, "tcp", 24)
    check(s24.get("status") == "assigned" and s24.get("verdict") == "unexplained" and s24.get("severity") == "medium"
          and "private use" in s24.get("reason", ""), f"24/tcp (private use) unexplained/medium: {s24.get('reason')}")
    check(s250.get("status") in ("unassigned", "reserved"), f"250 status {s250.get('status')}")

    s625 = one(L, "tcp", 625)
    check(s625.get("dual_stack") is True and s625.get("family") == "ipv6", "625 is dual-stack IPv6")
    check(s625.get("status") == "assigned" and "dec-dlm" in s625.get("services", []), "625 assigned to dec-dlm")
    check(s625.get("verdict") == "unexplained" and s625.get("severity") == "medium", f"625 unexplained/medium: {s625.get('reason')}")

    s40k = one(L, "tcp", 40000)
    check(s40k.get("exposure") == "loopback", "40000 loopback")
    check(s40k.get("severity") == "low" and "loopback only" in s40k.get("reason", ""), f"40000 lowered: {s40k.get('reason')}")

    s31337 = one(L, "tcp", 31337)
    check(s31337.get("verdict") == "suspicious" and s31337.get("severity") == "high", "31337 suspicious/high")
    check("Back Orifice" in s31337.get("reason", "") and (s31337.get("knowledge") or {}).get("kind") == "malware"
          and (s31337.get("knowledge") or {}).get("id") == "back-orifice-elite",
          f"31337 names the knowledge entry: {s31337.get('reason')}")

    t3025 = one(L, "tcp", 3025)
    check(t3025.get("verdict") == "expected" and "netpd" in t3025.get("reason", ""), f"pd on 3025 expected via netpd: {t3025.get('reason')}")
    u3025 = find(L, "udp", 3025)
    check(len(u3025) == 2, "two udp/3025 sockets (pd on all, python3 on loopback)")
    upy = [l for l in u3025 if l.get("process") == "python3"]
    check(upy and upy[0].get("verdict") == "unexplained" and upy[0].get("severity") == "low",
          "python3 on 127.0.0.1:3025/udp unexplained, lowered to low")

    u55k = one(L, "udp", 55000)
    # Unconnected UDP inside ip_local_port_range, held by a process that listens elsewhere too: its
    # own client socket, whatever port it drew.
    check(u55k.get("verdict") == "info" and u55k.get("rule") == "ephemeral-client" and "ephemeral range" in u55k.get("reason", ""),
          f"55000/udp of a serving process: info, ephemeral-client ({u55k.get('rule')}: {u55k.get('reason')})")
    # Asked for alone, the socket gets the same verdict: the process's other listeners still count.
    rc, j55, err = audit_json("listening", "55000/udp", "--json", "--netns", NS)
    only = j55.get("listeners", [])
    check(rc == 0 and len(only) == 1 and only[0].get("rule") == "ephemeral-client",
          f"listening 55000/udp alone: the same verdict as the whole audit: {[(l.get('port'), l.get('rule')) for l in only]}")

    # The range is the audited namespace's, not the auditor's: outside it there, 55000 is no client socket.
    subprocess.run(["ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv4.ip_local_port_range=50000 54000"], check=True)
    try:
        for args in (["listening", "--json", "--netns", NS], ["listening", "55000/udp", "--json", "--netns", NS]):
            rc, jr, err = audit_json(*args)
            x = one(jr.get("listeners", []), "udp", 55000)
            check(x.get("rule") != "ephemeral-client" and "50000-54000" not in x.get("reason", ""),
                  f"{' '.join(args[:2])}: the namespace's ephemeral range (50000-54000) leaves 55000 out: {x.get('rule')}")
            y = [l for l in jr.get("listeners", []) if l.get("rule") == "ephemeral-client"]
            check(all("50000-54000" in l.get("reason", "") for l in y), f"the reasons cite the namespace's range: {y[:1]}")
    finally:
        subprocess.run(["ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv4.ip_local_port_range=32768 60999"], check=True)

    s7000 = one(L, "tcp", 7000)
    check(s7000.get("exposure") == "interface" and s7000.get("interface") == "d0", f"7000 bound to d0: {s7000.get('exposure')}")

    raw = find(L, "raw", 1)
    check(len(raw) == 1 and raw[0].get("process") == "python3" and raw[0].get("ip_protocol") == "icmp", "raw icmp socket found with owner")
    # python3 is no program known to need a raw socket (ping, DHCP clients, routing daemons are).
    v = (raw[0].get("verdict"), raw[0].get("severity"), raw[0].get("rule"), raw[0].get("reason", "")) if raw else ("",) * 4
    check(v[:3] == ("suspicious", "medium", "raw-unexplained") and "held by python3" in v[3] and "which is not known to need one" in v[3],
          f"a raw ICMP socket held by python3 is suspicious/medium: {v}")

    w = one(L, "tcp", 8080)
    check(w.get("user") == "nobody" and w.get("process") == "webd", "webd runs as nobody")

    est = [l for l in L if not l.get("listening")]
    check(len(est) == 2 and all(l["protocol"] == "tcp" and l["pid"] == py.pid for l in est), "--all: the established pair")

    # ---- both owner paths (BPF iterator, /proc walk) agree ----
    def owner_set(listeners):
        return sorted((l["protocol"], l["address"], l["port"], l.get("remote_port", 0),
                       tuple(o["pid"] for o in l["owners"])) for l in listeners)
    rc, jn, err = audit_json("listening", "--json", "--netns", NS, "--all", "--no-bpf")
    check(rc == 0 and jn["owners"]["method"] == "proc", "--no-bpf walks /proc")
    check(owner_set(jn["listeners"]) == owner_set(L), f"/proc walk and {j['owners']['method']} find the same owners")
    print(f"note: owners found by {j['owners']['method']}" +
          (f" (BPF unavailable: {j['owners']['bpf_unavailable']})" if j["owners"].get("bpf_unavailable") else ""))

    # ---- exactly the sockets ss finds ----
    p = sh("ip", "netns", "exec", NS, "ss", "-Htuln")
    ss_set = set()
    for line in p.stdout.decode().splitlines():
        f = line.split()
        addr, port = f[4].rsplit(":", 1)
        ss_set.add((f[0], int(port)))
    ours = set((l["protocol"], l["port"]) for l in L if l["listening"] and l["protocol"] in ("tcp", "udp"))
    check(ss_set == ours, f"same (proto, port) as ss -tuln: ss-only {ss_set - ours}, ours-only {ours - ss_set}")
    nss = len(p.stdout.decode().splitlines())
    check(nss == len([l for l in L if l["listening"] and l["protocol"] in ("tcp", "udp")]), "same number of sockets as ss")

    # ---- listening PORT ----
    rc, out, err = audit("listening", "625", "--netns", NS)
    check(rc == 0 and "625" in out and "python3" in out and "unexplained" in out, f"listening 625 answers: {rc} {out[:300]}")
    check("\x1b" not in out, "no colour when not a terminal")
    rc, j2, err = audit_json("listening", "22/tcp", "--json", "--netns", NS)
    check(rc == 0 and len(j2["listeners"]) == 3 and all(l["port"] == 22 and l["protocol"] == "tcp" for l in j2["listeners"]),
          "listening 22/tcp: the three tcp sockets on 22")
    rc, jn, err = audit_json("listening", "ssh", "--json", "--netns", NS)
    check(rc == 0 and {(l["port"], l["protocol"]) for l in jn["listeners"]} == {(22, "tcp"), (22, "udp")},
          f"listening ssh: the ports the registry assigns ssh ({[(l['port'], l['protocol']) for l in jn['listeners']]})")
    rc, out, err = audit("listening", "no-such-service-xyz", "--netns", NS)
    check(rc == 2 and "no port" in err and err.count("\n") == 1, f"listening an unknown name: exit 2, one line: {err!r}")
    rc, out, err = audit("listening", "626", "--netns", NS)
    check(rc == 1 and "nothing is listening on 626" in out, f"listening 626: exit 1, says nothing: {rc} {out}")
    # A protocol whose sockets portscope cannot see gets no "nothing listens" guess.
    rc, out, err = audit("listening", "626/dccp", "--netns", NS)
    check(rc == 2 and not out and err.count("\n") == 1 and "does not list dccp sockets" in err,
          f"listening 626/dccp: exit 2, cannot tell: {rc} {err!r}")
    rc, out, err = audit("listening", "--jsonl", "--netns", NS)
    lines = [json.loads(x) for x in out.splitlines() if x.strip()]
    check(rc == 0 and len(lines) == len([l for l in L if l["listening"]]), "--jsonl: one line per listener")

    # ---- --netns PATH, and colour only on a terminal ----
    rc, jp, err = audit_json("listening", "625", "--json", "--netns", f"/run/netns/{NS}")
    check(rc == 0 and len(jp["listeners"]) == 1, "--netns accepts a path")
    if shutil.which("script"):
        cmd = " ".join([AUDIT, "listening", "250", "--netns", NS, *COMMON])
        for no_color, want in ((None, True), ("1", False)):
            e = dict(ENV, TERM="xterm")
            e.pop("NO_COLOR", None)
            if no_color:
                e["NO_COLOR"] = no_color
            p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, env=e, timeout=60)
            has = b"\x1b[" in p.stdout
            check(has == want, f"terminal output {'has' if want else 'has no'} colour with NO_COLOR={no_color}")

    # ---- audit: exit statuses, table ----
    rc, out, err = audit("audit", "--netns", NS, "--no-history")
    check(rc == 1, f"audit with suspicious listeners exits 1 (got {rc}: {err.strip()})")
    check("PROTO" in out and "suspicious" in out and "31337" in out, "audit prints a table")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--fail-on", "never")
    check(rc == 0, "--fail-on never exits 0")
    rc, out, err = audit("--netns", NS, "--no-history")
    check(rc == 1 and "PROTO" in out, "no subcommand means audit")

    # ---- baseline ----
    bl = os.path.join(tmp, "baseline.txt")
    with open(bl, "w") as f:
        f.write("# test baseline\n250/tcp python3 the lab's legacy collector (TEST-1)\n"
                "31337/tcp nc CTF training target (TEST-2)\n9999/tcp gone-daemon it used to run here\n")
    rc, j3, err = audit_json("audit", "--json", "--netns", NS, "--no-history", "--baseline", bl)
    check(rc == 0, f"baseline explains the high findings: exit 0 (got {rc}, worst {j3.get('summary', {}).get('worst')})")
    b250 = one(j3["listeners"], "tcp", 250)
    check(b250.get("verdict") == "expected" and "TEST-1" in b250.get("reason", "") and (b250.get("baseline") or {}).get("line") == 2,
          f"250 expected by the baseline: {b250.get('reason')}")
    check([g["entry"] for g in j3.get("gone", [])] == ["9999/tcp"] and j3["gone"][0].get("process") == "gone-daemon",
          f"9999/tcp reported gone: {j3.get('gone')}")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--baseline", bl)
    check("gone: 9999/tcp gone-daemon" in out, "table reports the gone entry")
    # A gone entry is a finding of medium severity for --fail-on: with every listener explained,
    # only it decides.
    everything = os.path.join(tmp, "everything.txt")
    for gone, want in (("9999/tcp gone-daemon it used to run here\n", 1), ("", 0)):
        with open(everything, "w") as f:
            f.write("0-65535/tcp * all (TEST)\n0-65535/udp * all (TEST)\n0-255/raw * all (TEST)\n" + gone)
        rcm, _, errm = audit("audit", "--netns", NS, "--no-history", "--baseline", everything, "--fail-on", "medium")
        rch, _, _ = audit("audit", "--netns", NS, "--no-history", "--baseline", everything)
        check(rcm == want and rch == 0, f"--fail-on medium {'with' if gone else 'without'} a gone entry: {rcm} "
                                        f"(default --fail-on high: {rch}) {errm.strip()}")
    with open(bl, "w") as f:
        f.write("250/tcp python3\n")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--baseline", bl)
    check(rc == 2 and err.count("\n") == 1 and f"{bl}:1:16: missing reason" in err, f"baseline without reason: exit 2, one line: {err!r}")

    # ---- write-baseline: a draft that parses and explains what was explained ----
    draft = os.path.join(tmp, "draft.txt")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--write-baseline", draft)
    check(os.path.exists(draft), "--write-baseline writes the file")
    text = open(draft).read() if os.path.exists(draft) else ""
    check("22/tcp\tsshd\t" in text and "# TODO suspicious, high" in text and "\n# 250/tcp\tpython3" in text,
          "draft: expected entries active, suspicious ones commented out")
    lines = text.splitlines()
    check(any(l.startswith("127.0.0.1:22/tcp\tsshd\t") for l in lines) and any(l.startswith("22/tcp\tsshd\t") for l in lines),
          f"draft: sshd's loopback socket is drafted with its address, its [::] one without: {[l for l in lines if 'sshd' in l]}")
    check(not any(":55000/udp" in l or l.startswith("55000/udp") for l in lines),
          "draft: a server's own client socket (a random port) is left out")
    rc, j4, err = audit_json("audit", "--json", "--netns", NS, "--no-history", "--baseline", draft)
    check(rc == 1 and not j4.get("gone"), f"the draft parses, leaves the suspicious ones, nothing gone ({rc}, {err.strip()})")
    # Lines that would accept more than what was seen stay TODOs: an interpreter's name (any script),
    # a wildcard socket bound to lo (the line cannot say lo), a hidden owner ("*").
    check(not any(l.split("\t")[1:2] == ["python3"] for l in lines if not l.startswith("#")),
          f"draft: no active line names python3: {[l for l in lines if 'python3' in l][:3]}")
    check("# TODO 'python3' runs any script" in text, "draft: the interpreter's lines say why they are TODOs")
    lod = start("lod", "dev:lo:tcp4:7020")
    try:
        rc, out, err = audit("audit", "--netns", NS, "--no-history", "--write-baseline", draft)
        lines2 = open(draft).read().splitlines()
        check(not any("7020/tcp" in l and not l.startswith("#") for l in lines2)
              and any(l.startswith("# TODO bound to the loopback interface") for l in lines2),
              f"draft: a wildcard socket bound to lo is a TODO: {[l for l in lines2 if '7020' in l]}")
    finally:
        lod.send_signal(signal.SIGTERM)
        lod.wait(timeout=5)
    if shutil.which("setpriv"):
        nob = tempfile.mkdtemp(prefix="ps-audit-nobody-")
        os.chmod(nob, 0o777)
        rc, out, err = audit("audit", "--no-history", "--write-baseline", os.path.join(nob, "d.txt"), user=65534,
                             env={"HOME": nob})
        dl = open(os.path.join(nob, "d.txt")).read() if os.path.exists(os.path.join(nob, "d.txt")) else ""
        check(dl and "# Drafted without root" in dl
              and not any(l.split("\t")[1:2] == ["*"] for l in dl.splitlines() if not l.startswith("#")),
              f"an unprivileged draft has no active '*' line and says why ({rc}, {err.strip()!r})")
        shutil.rmtree(nob, ignore_errors=True)
    # A draft over the baseline in use keeps each entry's own reason, and the entries nothing matched.
    with open(draft, "a") as fh:
        fh.write("9999/tcp\tgone-daemon\twas here (OPS-2)\n")
    redraft = os.path.join(tmp, "redraft.txt")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--baseline", draft, "--write-baseline", redraft)
    rtext = open(redraft).read() if os.path.exists(redraft) else ""
    check("in the baseline (" not in rtext and "# 9999/tcp\tgone-daemon\twas here (OPS-2)" in rtext and "# GONE" in rtext,
          f"a re-draft keeps reasons as written and the gone entry, commented: {[l for l in rtext.splitlines() if '9999' in l or 'in the baseline' in l][:3]}")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--baseline", draft, "--jsonl")
    gone = [json.loads(l)["gone"] for l in out.splitlines() if l.startswith('{"gone"')]
    check(len(gone) == 1 and gone[0]["entry"] == "9999/tcp" and gone[0]["process"] == "gone-daemon",
          f"--jsonl: a line for the baseline entry nothing matched, as --json has: {gone}")
    ssh_lines = [l for l in rtext.splitlines() if l.startswith("22/tcp\tsshd\t")]
    check(ssh_lines and ssh_lines[0] == [l for l in lines if l.startswith("22/tcp\tsshd\t")][0],
          f"the sshd line is the same as in the first draft: {ssh_lines}")

    # ---- prometheus ----
    prom_dir = os.path.join(tmp, "textfile")
    os.mkdir(prom_dir)
    prom = os.path.join(prom_dir, "portscope.prom")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--prometheus", prom)
    check(rc == 1 and os.path.exists(prom), "--prometheus writes the file")
    ptext = open(prom).read() if os.path.exists(prom) else ""
    check(os.listdir(prom_dir) == ["portscope.prom"], f"no temporary file left: {os.listdir(prom_dir)}")
    check('portscope_listener{protocol="tcp",address="0.0.0.0",port="31337",process="nc",user="root",unit="",'
          'verdict="suspicious",severity="high"} 3' in ptext, "prometheus sample for 31337")
    check('portscope_audit_findings{severity="high"} 2' in ptext, "prometheus findings per severity")
    check("# TYPE portscope_listener gauge" in ptext and ptext.endswith("\n"), "prometheus text format")
    # A serving process's client socket (55000/udp, ephemeral-client) is one series whatever port it
    # drew: its port label is "ephemeral", so that audits do not mint a series per port.
    eph = [ln for ln in ptext.splitlines() if ln.startswith('portscope_listener{protocol="udp",address="::"')]
    check(any('port="ephemeral",process="python3"' in ln and 'verdict="info",severity="none"} 0' in ln for ln in eph)
          and not any('port="55000"' in ln for ln in eph),
          f"the ephemeral client socket's series has port=\"ephemeral\", not 55000: {eph}")

    # ---- history and --changes ----
    rc, out, err = audit("audit", "--netns", NS)
    check(rc == 1 and os.path.exists(ENV["PORTSCOPE_DB"]), "audit records into PORTSCOPE_DB")
    nc.send_signal(signal.SIGTERM)
    nc.wait(timeout=5)
    newp = start("python3", "tcp4:0.0.0.0:4444")
    rc, j5, err = audit_json("audit", "--json", "--changes", "--netns", NS)
    ch = j5.get("changes") or {}
    app = {(c["protocol"], c["port"], c["process"]) for c in ch.get("appeared", [])}
    van = {(c["protocol"], c["port"], c["process"]) for c in ch.get("vanished", [])}
    check(app == {("tcp", 4444, "python3")}, f"--changes: 4444 appeared: {app}")
    check(van == {("tcp", 22, "nc"), ("tcp", 31337, "nc")}, f"--changes: nc's listeners vanished: {van}")
    check(isinstance(ch.get("since"), int), "--changes says since when")
    rc, out, err = audit("audit", "--changes", "--netns", NS)
    check("0 appeared, 0 vanished" in out, f"second --changes sees no change: {out[:200]}")
    check(rc == 1 and " suspicious, " in out and "registry: " in out,
          f"--changes still says the counts behind its exit status, and the registry: {out[-400:]!r}")
    # The same namespace by another spelling, or from inside it, is the same history.
    rc, out, err = audit("audit", "--changes", "--netns", f"/proc/{newp.pid}/ns/net")
    check(f"last audit of {NS} " in out and "0 appeared, 0 vanished" in out,
          f"--netns /proc/PID/ns/net: the history of {NS} ({out[:160]!r})")
    p = subprocess.run(["ip", "netns", "exec", NS, AUDIT, "audit", "--changes", *COMMON], capture_output=True, env=ENV,
                       timeout=60)
    inside = p.stdout.decode()
    check(f"last audit of {NS} " in inside and "0 appeared, 0 vanished" in inside,
          f"run inside it (ip netns exec): the history of {NS} ({inside[:160]!r})")
    newp.send_signal(signal.SIGTERM)
    newp.wait(timeout=5)
    rc, out, err = audit("audit", "--changes", "--netns", NS)
    check("- tcp  0.0.0.0:4444 python3" in out, f"text --changes lists the vanished listener: {out[:300]}")

    # ---- bad input: one line naming the input, exit 2 ----
    for args, needle in ((["--fail-on", "bogus"], "--fail-on bogus"), (["--baseline", "/nonexistent/b"], "/nonexistent/b"),
                         (["--netns", "ps-no-such-ns"], "ps-no-such-ns"), (["listening", "70000"], "70000"),
                         (["--threads", "0"], "--threads 0"), (["--registry", "/nonexistent/r.csv"], "/nonexistent/r.csv"),
                         (["frobnicate"], "frobnicate"), (["--json", "--jsonl"], "--jsonl")):
        rc, out, err = audit(*args, common="--registry" not in args)
        check(rc == 2 and err.startswith("portscope: ") and err.count("\n") == 1 and needle in err,
              f"{args}: exit 2 with one line naming the input (got {rc}: {err!r})")
    rc, out, err = audit("--help")
    check(rc == 0 and "Examples:" in out and "listening 625" in out, "--help teaches with examples")

    # ---- escaping a hostile process name ----
    evil = start("evil\x1b[2J", "tcp4:127.0.0.1:41000")
    rc, out, err = audit("listening", "41000", "--netns", NS)
    check("\x1b" not in out and "evil\\x1b[2J" in out, f"process name escaped in the table: {out[-300:]!r}")
    rc, j6, err = audit_json("listening", "41000", "--json", "--netns", NS)
    check(j6["listeners"] and j6["listeners"][0]["process"] == "evil\x1b[2J", "JSON keeps the exact name (escaped by JSON)")
    evil.send_signal(signal.SIGTERM)
    evil.wait(timeout=5)

    # ---- unprivileged: other users' processes are hidden, and the output says so ----
    if shutil.which("setpriv"):
        rc, ju, err = audit_json("listening", "--json", "--no-cache", user=65534,
                                 env={"HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "nobody-cache")})
        check(rc == 0, f"unprivileged listening works ({rc}: {err.strip()})")
        check(ju.get("privileged") is False, "unprivileged: privileged false")
        check("not root" in ((ju.get("owners") or {}).get("missing") or ""), "unprivileged: says what is missing")
        check(ju["owners"].get("method") == "proc" and ju["owners"].get("bpf_unavailable"),
              f"unprivileged: BPF refused, /proc walk used, reason kept: {ju['owners'].get('bpf_unavailable')}")
        uL = ju.get("listeners", [])
        h = one(uL, "tcp", 250)
        check(h.get("pid") is None and h.get("user") == "root" and "not root" in (h.get("owner_missing") or ""),
              f"root's socket: no pid, user from the kernel, reason given: {h.get('owner_missing')}")
        mine = one(uL, "tcp", 8080)
        check(mine.get("pid") == webd.pid and mine.get("process") == "webd", "nobody sees its own process")
        check(len(uL) == len([l for l in L if l["listening"]]) - 2, "unprivileged sees the same sockets (minus nc's two)")
        rc, out, err = audit("listening", "--no-cache", user=65534, env={"HOME": tmp})
        check("not root" in out and "CAP_SYS_PTRACE" in out, "unprivileged table explains the missing owners")
        rc, out, err = audit("listening", "--netns", NS, "--no-cache", user=65534)
        check(rc == 2 and "CAP_SYS_ADMIN" in err, f"--netns without privilege: exit 2, says why: {err.strip()}")
    else:
        print("note: setpriv missing, unprivileged path not checked")

    # ---- the verdict engine's rules, each with a real listener ----
    rules = [
        start("python3", "-u", "-m", "http.server", "tcp4:0.0.0.0:8000"),
        start("prometheus-node-exporter", "tcp4:0.0.0.0:9100"),
        start("kube-proxy", "tcp4:0.0.0.0:30080"),
        start("java", "-Xmx64m", "-jar", "/opt/kube/kube-proxy.jar", "tcp4:0.0.0.0:30081"),
        start("nc", "tcp4:0.0.0.0:31000", "tcp4:0.0.0.0:50050", "tcp4:0.0.0.0:31338", "udp4:0.0.0.0:31338"),
        start("sshd", "tcp4:0.0.0.0:53"),
        start("python3", "/opt/app/backdoor.py", "tcp4:0.0.0.0:5100"),
        start("python3", "-m", "flask", "run", "tcp4:0.0.0.0:5101"),
        start_systemd("tcp4:0.0.0.0:111", "tcp4:0.0.0.0:6199"),
        # Any program may call itself systemd: the name alone explains nothing.
        start("systemd", "tcp4:0.0.0.0:3389", "tcp4:0.0.0.0:5900"),
    ]
    # A program that calls itself dnsmasq (argv[0], as exec -a sets it) on 53; and one run through a
    # link beside its executable (comm is the link's name), as /usr/bin/redis-server is a link.
    disguise = os.path.join(tmp, "helper-real")
    shutil.copy(LISTEN, disguise)
    os.chmod(disguise, 0o755)
    rules.append(launch(["ip", "netns", "exec", NS, "bash", "-c", 'exec -a dnsmasq "$0" "$@"', disguise,
                         "udp4:0.0.0.0:53"], "exec -a dnsmasq"))
    linked = os.path.join(tmp, "links")
    os.mkdir(linked)
    shutil.copy(disguise, os.path.join(linked, "real"))
    os.symlink("real", os.path.join(linked, "dnsmasq"))
    rules.append(launch(["ip", "netns", "exec", NS, os.path.join(linked, "dnsmasq"), "udp6:[::]:53:v6only"],
                        "dnsmasq link"))
    # Copies of the helper named sshd, each on 22 of its own loopback address: one under /tmp, one
    # deleted once started, one deleted and replaced by a new file at its path (as a package
    # upgrade does). The last is sshd; the other two bear the name of an executable no package put
    # where it is, and a baseline that names sshd does not explain them either.
    strays = {}
    # And one that any user may rewrite (mode 0777), in a directory only root writes.
    for kind, addr in (("writable", "127.0.0.2"), ("deleted", "127.0.0.3"), ("replaced", "127.0.0.4"),
                       ("mode", "127.0.0.10")):
        d = stray_top if kind == "writable" else os.path.join(tmp, kind)
        os.makedirs(d, exist_ok=True)
        strays[kind] = os.path.join(d, "sshd")
        shutil.copy(LISTEN, strays[kind])
        os.chmod(strays[kind], 0o777 if kind == "mode" else 0o755)
        rules.append(launch(["ip", "netns", "exec", NS, strays[kind], f"tcp4:{addr}:22"], f"sshd ({kind})"))
    # Under /tmp, deleted and something put back at its path: still under /tmp.
    strays["tmp-replaced"] = os.path.join(stray_top, "again", "sshd")
    os.makedirs(os.path.dirname(strays["tmp-replaced"]))
    shutil.copy(LISTEN, strays["tmp-replaced"])
    os.chmod(strays["tmp-replaced"], 0o755)
    rules.append(launch(["ip", "netns", "exec", NS, strays["tmp-replaced"], "tcp4:127.0.0.6:22"], "sshd (tmp-replaced)"))
    # A file whose name ends in " (deleted)" is not deleted: beside a file named sshd, exec -a sshd
    # makes it no sshd.
    fake = os.path.join(tmp, "fake")
    os.makedirs(fake)
    shutil.copy(LISTEN, os.path.join(fake, "sshd (deleted)"))
    shutil.copy(LISTEN, os.path.join(fake, "sshd"))
    rules.append(launch(["ip", "netns", "exec", NS, "bash", "-c", 'exec -a sshd "$0" "$@"',
                         os.path.join(fake, "sshd (deleted)"), "tcp4:127.0.0.7:22"], "sshd (deleted) by name"))
    # dpkg upgrading sshd: the old file kept under another name (.dpkg-tmp) while the new one is
    # renamed over it. The running one's name is unlinked, the file is not: it is sshd.
    dpkg = os.path.join(tmp, "dpkg", "sshd")
    os.makedirs(os.path.dirname(dpkg))
    shutil.copy(LISTEN, dpkg)
    os.chmod(dpkg, 0o755)
    rules.append(launch(["ip", "netns", "exec", NS, dpkg, "tcp4:127.0.0.8:22"], "sshd (dpkg)"))
    os.link(dpkg, dpkg + ".dpkg-tmp")
    shutil.copy(LISTEN, dpkg + ".dpkg-new")
    os.rename(dpkg + ".dpkg-new", dpkg)
    python = os.path.realpath("/usr/bin/python3")
    # A daemon that chroots itself (haproxy, avahi-daemon, bind9 -t do), then upgraded in place:
    # its executable's path is the host's, not the chroot's; deleted and replaced, it is installed.
    jail = os.path.join(tmp, "jail")
    os.makedirs(jail)
    chrooted = os.path.join(tmp, "chrooted", "sshd")
    os.makedirs(os.path.dirname(chrooted))
    shutil.copy(python, chrooted)
    rules.append(launch(["ip", "netns", "exec", NS, chrooted, "-c",
                         "import os, socket, time\ns = socket.socket()\ns.bind(('127.0.0.9', 22))\ns.listen()\n"
                         f"os.chroot({jail!r})\nprint('ready', flush=True)\ntime.sleep(600)\n"], "chrooted sshd"))
    for path in (strays["deleted"], strays["replaced"], strays["tmp-replaced"], chrooted):
        os.unlink(path)
    for path, src in ((strays["replaced"], LISTEN), (strays["tmp-replaced"], LISTEN), (chrooted, python)):
        shutil.copy(src, path)
    stray_base = os.path.join(tmp, "stray.baseline")
    with open(stray_base, "w") as f:
        f.write("22/tcp sshd the bastion\n")
    rc, j, err = audit_json("listening", "--json", "--netns", NS)
    R = j.get("listeners", [])
    rc, jb, err = audit_json("listening", "--json", "--netns", NS, "--baseline", stray_base)
    for kind, addr, want, said in (
            ("writable", "127.0.0.2", ("suspicious", "medium", "stray-executable"),
             f"{strays['writable']} lies under /tmp, which any user can write"),
            ("deleted", "127.0.0.3", ("suspicious", "low", "stray-executable"),
             f"{strays['deleted']} was deleted and nothing took its place"),
            ("replaced", "127.0.0.4", ("expected", "none", "known-server"), "sshd"),
            ("mode", "127.0.0.10", ("suspicious", "low", "stray-executable"),
             f"{strays['mode']} can be rewritten by any user"),
            ("tmp-replaced", "127.0.0.6", ("suspicious", "medium", "stray-executable"), "lies under /tmp"),
            ("named deleted", "127.0.0.7", ("suspicious", "medium", "disguised"), "sshd (deleted)"),
            ("dpkg", "127.0.0.8", ("expected", "none", "known-server"), "sshd"),
            ("chrooted", "127.0.0.9", ("expected", "none", "known-server"), "sshd")):
        x = one(R, "tcp", 22, addr)
        v = x.get("verdict"), x.get("severity"), x.get("rule"), x.get("reason", "")
        check(v[:3] == want and said in v[3], f"sshd {kind}: {want[:3]} saying {said!r}: {v}")
        x = one(jb.get("listeners", []), "tcp", 22, addr)
        check((x.get("rule") == "baseline") == (kind in ("replaced", "chrooted", "dpkg")),
              f"sshd {kind}: a baseline line naming sshd explains only the installed ones: {x.get('rule')}")

    def rule(port, proto="tcp"):
        x = one(R, proto, port)
        return x.get("verdict"), x.get("severity"), x.get("rule"), x.get("reason", "")

    v = rule(8000)
    check(v[:3] == ("expected", "none", "known-use") and "http.server" in v[3],
          f"python3 -m http.server is known by its module: {v}")
    v = rule(5100)
    check(v[:3] == ("unexplained", "low", "runtime-use") and "python3 backdoor.py" in v[3]
          and "Test Flask dev server" in v[3],
          f"an entry that names python3 does not explain any script python3 runs: {v}")
    v = rule(5101)
    check(v[:3] == ("expected", "none", "known-use") and v[3].startswith("flask on 5101/tcp"),
          f"python3 -m flask is known by its module: {v}")
    v = rule(111)
    check(v[:3] == ("info", "none", "socket-activation") and "sunrpc" in v[3],
          f"systemd alone on an assigned port holds a socket unit's socket: {v}")
    v = rule(6199)
    check(v[0] != "info" and v[2] != "socket-activation", f"socket activation explains assigned ports only: {v}")
    for port in (3389, 5900):
        v = rule(port)
        check(v[2] != "socket-activation" and v[1] != "none",
              f"a program named systemd that is not systemd's executable holds no socket unit's socket ({port}): {v}")
    v = rule(9100)
    check(v[:3] == ("expected", "none", "known-use") and "prometheus-node-exporter" in v[3],
          f"prometheus-node-exporter (comm prometheus-node) is known by argv[0]: {v}")
    v = rule(30080)
    check(v[:3] == ("expected", "none", "known-use"), f"a wide range explains the process it names: {v}")
    v = rule(30081)
    check(v[:3] == ("expected", "none", "known-use") and "kube-proxy" in v[3], f"java -jar kube-proxy.jar is kube-proxy: {v}")
    v = rule(31000)
    check(v[0] == "unexplained" and "nodeport" not in v[3], f"a wide range is never cited against a stranger: {v}")
    v = rule(50050)
    check(v[:3] == ("suspicious", "high", "threat-port") and "Test C2 server" in v[3] and "command-and-control" in v[3],
          f"a stranger on an exact C2 port is suspicious/high, even in the dynamic range: {v}")
    v = rule(31338)
    check(v[2] != "threat-port" and v[0] != "suspicious", f"a UDP-only malware entry says nothing of TCP: {v}")
    v = rule(31338, "udp")
    check(v[:3] == ("suspicious", "high", "threat-port"), f"the same port over UDP is suspicious: {v}")
    v = rule(53)
    check(v[:3] == ("mismatch", "medium", "mismatch") and "it is a server of ssh" in v[3],
          f"sshd on domain: mismatch, and the reason says what it does serve: {v}")
    x = one(R, "udp", 53, "0.0.0.0")
    v = x.get("verdict"), x.get("severity"), x.get("rule"), x.get("reason", "")
    check(v[:3] == ("suspicious", "high", "disguised") and "calls itself dnsmasq" in v[3] and disguise in v[3],
          f"a program whose argv[0] alone says dnsmasq is disguised, not dnsmasq: {v}")
    x = one(R, "udp", 53, "::")
    check(x.get("process") == "dnsmasq" and (x.get("verdict"), x.get("rule")) == ("expected", "known-server"),
          f"a name that is a link to the executable beside it is the program's own: {x.get('rule')} {x.get('reason')}")
    for p in rules:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)

    # ---- packet sockets (AF_PACKET) and who holds them ----
    # dhclient's name on the DHCP port of an interface, a program nothing explains with a BPF filter
    # on every frame (what BPFDoor does), a copy of dhclient under /tmp, and the real tcpdump.
    # And sockets that receive nothing: protocol 0 (send only), an IPv4 IPPROTO_RAW socket (send
    # only), and one bound to an interface that is then removed.
    sh("ip", "-n", NS, "link", "add", "gone0", "type", "veth", "peer", "name", "gone1")
    sh("ip", "-n", NS, "link", "set", "gone0", "up")
    holders = [start("dhclient", "packet:2048:d0"), start("bdoor", "packetf:3"),
               start("sender", "packet:0", "raw4:255", "packet:2048:gone0")]
    sh("ip", "-n", NS, "link", "del", "gone0")
    stray_dhclient = os.path.join(stray_top, "dhclient")
    shutil.copy(LISTEN, stray_dhclient)
    os.chmod(stray_dhclient, 0o755)
    holders.append(launch(["ip", "netns", "exec", NS, stray_dhclient, "packet:2054"], "dhclient (under /tmp)"))
    tcpdump = shutil.which("tcpdump")
    if tcpdump:
        td = subprocess.Popen(["ip", "netns", "exec", NS, tcpdump, "-n", "-i", "d1", "-w", "/dev/null", "udp port 9"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(td)
        holders.append(td)
    P = []
    for _ in range(50):  # tcpdump says nothing when it is ready: wait until its socket is seen
        rc, jp, err = audit_json("listening", "--json", "--netns", NS)
        P = [l for l in jp.get("listeners", []) if l["protocol"] == "packet"]
        # libpcap opens its socket with protocol 0 first, then binds it and attaches the filter.
        if not tcpdump or any(l.get("process") == "tcpdump" and l["port"] == 3 and l.get("bpf_filter") for l in P):
            break
        time.sleep(0.1)

    def packet_of(process, port):
        got = [l for l in P if l.get("process") == process and l["port"] == port]
        check(len(got) == 1, f"one packet socket {port} of {process}, got {len(got)}: {[(l.get('process'), l['port']) for l in P]}")
        return got[0] if got else {}

    def verdict(l):
        return l.get("verdict"), l.get("severity"), l.get("rule"), l.get("reason", "")

    x = packet_of("dhclient", 2048)
    check((x.get("family"), x.get("address"), x.get("interface"), x.get("exposure"), x.get("ethertype"),
           x.get("packet_type"), x.get("bpf_filter"), x.get("status"), x.get("receiving")) ==
          ("packet", "*", "d0", "interface", "ip", "raw", False, None, True), f"dhclient's packet socket on d0, every field: {x}")
    check(verdict(x)[:3] == ("expected", "none", "raw") and "one of the DHCP clients and servers" in verdict(x)[3]
          and "EtherType 0x0800 (ip) on d0" in verdict(x)[3], f"dhclient holding a packet socket is expected: {verdict(x)}")
    x = packet_of("bdoor", 3)
    check((x.get("ethertype"), x.get("bpf_filter"), x.get("exposure"), x.get("interface")) == ("all", True, "all", None),
          f"bdoor's packet socket: every frame, with a filter: {x}")
    check(verdict(x)[:3] == ("suspicious", "high", "raw-unexplained") and "BPFDoor" in verdict(x)[3]
          and "every frame on every interface" in verdict(x)[3], f"a filtered packet socket nothing explains is high: {verdict(x)}")
    x = packet_of("dhclient", 2054)
    check(verdict(x)[:3] == ("suspicious", "high", "stray-executable") and "3/packet" not in verdict(x)[3]
          and "2054/packet" in verdict(x)[3] and "/tmp" in verdict(x)[3],
          f"a copy of dhclient under /tmp is no DHCP client: {verdict(x)}")
    x = packet_of("sender", 0)
    check(x.get("receiving") is False and verdict(x)[:3] == ("info", "low", "raw-unexplained")
          and "no frames (it only sends)" in verdict(x)[3] and "it receives nothing" in verdict(x)[3]
          and "magic packet" not in verdict(x)[3], f"a send-only packet socket waits for nothing: {x.get('receiving')} {verdict(x)}")
    x = packet_of("sender", 2048)
    check((x.get("receiving"), x.get("interface")) == (False, "if#-1") and verdict(x)[:3] == ("info", "low", "raw-unexplained")
          and "its interface is down or gone) on if#-1" in verdict(x)[3], f"a packet socket whose interface was removed: {x}")
    rc, jr, err = audit_json("listening", "raw", "--json", "--netns", NS)
    x = [l for l in jr.get("listeners", []) if l["port"] == 255 and l.get("process") == "sender"]
    check(len(x) == 1 and x[0].get("receiving") is False and verdict(x[0])[:3] == ("info", "low", "raw-unexplained")
          and "IPPROTO_RAW), which only sends" in verdict(x[0])[3], f"IPv4 IPPROTO_RAW only sends: {x}")
    if tcpdump:
        x = packet_of("tcpdump", 3)
        check(verdict(x)[:3] == ("expected", "none", "raw") and x.get("bpf_filter") is True
              and "packet capture" in verdict(x)[3], f"the real tcpdump with a filter is expected: {verdict(x)}")
    else:
        print("skipped: the tcpdump case (tcpdump is not installed: scripts/deps.d/audit.list)")

    # The table shows the interface where an address would be, and the EtherType as the port.
    rc, out, err = audit("listening", "--netns", NS)
    rows = [r.split() for r in out.splitlines() if r.startswith("packet")]
    lines = out.splitlines()
    head = lines[0] if lines else ""
    col = head.find("ADDRESS")
    prows = [r for r in lines if r.startswith("packet")]
    check(col > 0 and prows and all(r[col - 1] == " " and r[col] != " " for r in prows),
          f"packet rows line up with the ADDRESS heading: {lines[:3]}")
    check(["packet", "d0", "2048"] in [r[:3] for r in rows] and ["packet", "*", "3"] in [r[:3] for r in rows],
          f"the table's packet rows: {rows}")
    # A drafted baseline says that its line cannot hold the interface.
    draft = os.path.join(tmp, "packet.draft")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--fail-on", "never", "--write-baseline", draft)
    with open(draft) as f:
        d = f.read()
    check(rc == 0 and "# TODO bound to the interface 'd0'" in d and "2048/packet\tdhclient\t" in d,
          f"the draft's packet lines: {rc} {err} {[l for l in d.splitlines() if 'packet' in l][:4]}")
    # Prometheus labels a packet socket with its interface, as the table does.
    prom = os.path.join(tmp, "packet.prom")
    rc, out, err = audit("audit", "--netns", NS, "--no-history", "--fail-on", "never", "--prometheus", prom)
    with open(prom) as f:
        p = f.read()
    check(rc == 0 and 'protocol="packet",address="d0",port="2048",process="dhclient"' in p
          and 'protocol="packet",address="*",port="3",process="bdoor"' in p,
          f"the Prometheus packet samples: {[l for l in p.splitlines() if 'packet' in l][:3]}")
    # A baseline line explains a packet socket by its EtherType; an address is refused.
    pb = os.path.join(tmp, "packet.baseline")
    with open(pb, "w") as f:
        f.write("3/packet bdoor lab capture (TEST)\n")
    rc, jp, err = audit_json("listening", "--json", "--netns", NS, "--baseline", pb)
    x = [l for l in jp.get("listeners", []) if l["protocol"] == "packet" and l.get("process") == "bdoor"]
    check(x and verdict(x[0])[:3] == ("expected", "none", "baseline"), f"3/packet in the baseline explains bdoor: {x[:1]}")
    with open(pb, "w") as f:
        f.write("0.0.0.0:3/packet bdoor why\n")
    rc, out, err = audit("listening", "--netns", NS, "--baseline", pb)
    check(rc == 2 and "packet.baseline:1:1: a packet socket has no address" in err, f"an address on a packet line is refused: {rc} {err}")
    # Without CAP_NET_ADMIN the kernel hides the filter, and without root the owner: unexplained.
    rc, jp, err = audit_json("listening", "--json", user=65534)
    x = [l for l in jp.get("listeners", []) if l["protocol"] == "packet" and l["port"] == 3 and l.get("pid") is None]
    check(x and all(l.get("bpf_filter") is None and verdict(l)[:3] == ("unexplained", "medium", "raw-unexplained")
                    and "owner unknown" in verdict(l)[3] and "the kernel tells root only" in verdict(l)[3] for l in x),
          f"unprivileged: packet sockets unexplained, the filter unknown: {x[:1]}")
    # `listening packet` and `listening raw`: those sockets alone (they have no port to ask by).
    rc, jp, err = audit_json("listening", "packet", "--json", "--netns", NS)
    got = {l["protocol"] for l in jp.get("listeners", [])}
    check(rc == 0 and got == {"packet"} and len(jp["listeners"]) >= 4, f"listening packet: packet sockets only: {rc} {got}")
    rc, jp, err = audit_json("listening", "raw", "--json", "--netns", NS)
    got = [(l["protocol"], l["port"]) for l in jp.get("listeners", [])]
    check(rc == 0 and ("raw", 1) in got and all(p == "raw" for p, _ in got), f"listening raw: raw sockets only: {rc} {got}")
    for p in holders:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    rc, out, err = audit("listening", "packet", "--netns", NS)
    check(rc == 1 and f"no packet socket in network namespace {NS}" in out, f"listening packet, none left: {rc} {out[:200]}")

    # ---- the main binary dispatches to portscope-audit ----
    if MAIN and os.path.exists(MAIN):
        e = dict(ENV)
        p = subprocess.run([MAIN, "listening", "625", "--json", "--netns", NS, *COMMON], capture_output=True, env=e, timeout=60)
        try:
            jm = json.loads(p.stdout)
            check(p.returncode == 0 and len(jm["listeners"]) == 1 and jm["listeners"][0]["port"] == 625,
                  "portscope listening 625 (through the main binary)")
        except (json.JSONDecodeError, KeyError, IndexError):
            check(False, f"portscope listening 625 through the main binary: {p.returncode} {p.stderr[:300]!r}")
finally:
    cleanup()

print(f"audit netns: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
