#!/usr/bin/env python3
"""Service identification (`portscope scan -sV`) against servers this test runs on 127.0.0.1:
no namespace, no root. Each server listens on a port the kernel chose and is stopped when the
test ends (threads of this process; openssl s_server is killed by its PID).

  - a server that greets only after 3.5 s (an SMTP server's greeting delay) is identified
    from its late banner, within the default --service-wait;
  - TLS (openssl s_server, a key made now, on a port no probe expects TLS on): the probes'
    "ssl" is followed inside TLS: s_server -www is https, without -www it is "ssl" with tunnel
    "ssl" (nmap's ssl/unknown), not unidentified;
  - under a low open-file limit (ulimit -n 12, set with setrlimit before the exec) every one of
    12 SSH servers is identified, fewer at a time, and one line says so; with no room at all
    (ulimit -n 5) one line says the services are not identified;
  - -oG writes the lines nmap -oG writes for the same servers and closed ports (when nmap is
    installed), but for the program's name, dates and times.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def binary():
    b = os.environ.get("PORTSCOPE_SCAN_BIN") or os.path.join(os.environ.get("PORTSCOPE_BUILD", "build"),
                                                             "portscope-scan")
    return b if os.path.exists(b) else None


class Server:
    """A TCP server on 127.0.0.1 (a port the kernel chose): handle(conn) runs in a thread per
    connection. Stopped by stop(): the listening socket and every connection are closed."""

    def __init__(self, handle):
        self.handle, self.conns, self.done = handle, [], threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.done.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handle(c, self.done)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.done.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def late_smtp(c, done, delay=3.5):
    """Says nothing for delay seconds (what the client says meanwhile is read and ignored), then
    greets as Postfix does, then waits for the client to leave."""
    c.settimeout(0.1)
    end = time.monotonic() + delay
    while time.monotonic() < end and not done.is_set():
        try:
            if c.recv(4096) == b"":
                return
        except socket.timeout:
            pass
    c.sendall(b"220 mail.example.test ESMTP Postfix (Debian/GNU)\r\n")
    c.settimeout(10)
    while c.recv(4096):
        pass


def scan(port, options=(), preexec=None, json_out=True):
    cmd = [binary(), "scan", "--engine", "connect", "--no-progress", "-p", str(port), *options,
           "--", "127.0.0.1"]
    if json_out:
        cmd.insert(2, "--json")
    env = dict(os.environ)
    env.setdefault("PORTSCOPE_DB", "/dev/null/none")
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=env,
                       preexec_fn=preexec)
    return p, time.monotonic() - t0


def service_of(p, port):
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None
    for h in doc["hosts"]:
        for x in h["ports"]:
            if x["port"] == port:
                return x.get("service") or {}
    return None


def run_late_banner():
    srv = Server(late_smtp)
    try:
        p, took = scan(srv.port)
        s = service_of(p, srv.port)
        check(p.returncode in (0, 1) and s is not None and s.get("name") == "smtp"
              and "Postfix" in (s.get("product") or "") and took < 6,
              f"a server that greets after 3.5 s is identified from its banner (smtp, Postfix) within the "
              f"port's 5 s "
              f"in {took:.1f} s: {s} (exit {p.returncode}) {p.stderr.decode(errors='replace').strip()}")
    finally:
        srv.stop()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def s_server(tmp, www):
    """openssl s_server on 127.0.0.1 with a throwaway key; returns (process, port)."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=portscope-test"],
                       check=True, capture_output=True)
    for _ in range(5):
        port = free_port()
        # stdin stays open (a pipe): s_server stops at its end
        p = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
                              "-quiet"] + (["-www"] if www else []),
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if p.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return p, port
            except OSError:
                time.sleep(0.1)
        stop(p)
    raise RuntimeError("openssl s_server did not start")


def stop(p):
    try:
        os.kill(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    if p.stdin:
        p.stdin.close()


def run_tls():
    if not shutil.which("openssl"):
        print("skipped (TLS): needs openssl")
        return
    tmp = tempfile.mkdtemp(prefix="ps-scan-loopback-")
    try:
        for www, want in ((True, "https"), (False, "ssl")):
            p, port = s_server(tmp, www)
            try:
                r, took = scan(port)
                s = service_of(r, port) or {}
                ok = s.get("name") == want and s.get("tunnel") == "ssl"
                if www:
                    ok = ok and "s_server" in (s.get("product") or "")
                check(ok, f"s_server{' -www' if www else ''} on {port}: the probes' ssl is followed inside TLS: "
                          f"{want}, tunnel ssl, in {took:.1f} s: { {k: v for k, v in s.items() if k != 'info'} }")
                r, _ = scan(port, json_out=False)
                text = r.stdout.decode(errors="replace")
                check(re.search(rf"^\s*{port}/tcp\s+open\s+{want}\b", text, re.M) is not None,
                      f"... and the text table names it {want}:\n{text}")
            finally:
                stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ssh_banner(c, done):
    c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")


def run_nofile():
    import resource
    servers = [Server(ssh_banner) for _ in range(12)]
    ports = ",".join(str(s.port) for s in servers)
    try:
        for limit in (12, 5):
            def low(n=limit):
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
            p, took = scan(ports, ["--service-wait", "2000"], preexec=low)
            err = p.stderr.decode(errors="replace").strip().splitlines()
            names = []
            try:
                names = [(x.get("service") or {}).get("name") for h in json.loads(p.stdout)["hosts"] for x in h["ports"]]
            except ValueError:
                pass
            one_line = len(err) == 1 and err[0].startswith("portscope: scan: ") and f"ulimit -n {limit}" in err[0]
            if limit == 12:
                check(p.returncode in (0, 1) and names == ["ssh"] * 12 and one_line,
                      f"ulimit -n 12: all 12 SSH servers identified ({names.count('ssh')}), one line on stderr: {err}")
            else:
                check(p.returncode in (0, 1) and len(names) == 12 and one_line and "not identified" in err[0],
                      f"ulimit -n 5: the 12 open ports listed, one line says they are not identified: {err}")
        # A low soft limit under a high hard one is raised first, whatever the engine (the SYN
        # engine did not: 'leaves no room', nothing identified).
        engines = [["--engine", "connect"]] + ([["--engine", "syn"]] if os.geteuid() == 0 else [])
        for engine in engines:
            def soft(n=5):
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, 4096))
            p, took = scan(ports, ["--service-wait", "2000"] + engine, preexec=soft)
            err = p.stderr.decode(errors="replace").strip()
            names = []
            try:
                names = [(x.get("service") or {}).get("name") for h in json.loads(p.stdout)["hosts"] for x in h["ports"]]
            except ValueError:
                pass
            check(p.returncode in (0, 1) and names == ["ssh"] * 12 and not err,
                  f"soft limit 5, hard 4096, {engine[1]}: raised, all 12 identified, nothing said ({names.count('ssh')}, {err!r})")
    finally:
        for s in servers:
            s.stop()


def close_at_once(c, done):
    pass


def greppable_shape(text, name):
    """-oG text with what differs between two runs made one word: the program's name and version,
    the dates, the command line and the time taken."""
    text = re.sub(rf"^# {name} \S+ scan initiated .+ as: .+$", "# PROG scan initiated DATE as: ARGS", text,
                  flags=re.M)
    return re.sub(rf"^# {name} done at .+ -- (.+) scanned in [0-9.]+ seconds$", r"# PROG done at DATE -- \1",
                  text, flags=re.M)


def run_greppable():
    """-oG as nmap writes it for the same listeners: an SSH server, one that closes at once, 30
    closed ports; every line the same but for the program's name, the dates and times."""
    nmap = shutil.which("nmap")
    if not nmap:
        print("skipped (greppable): needs nmap")
        return
    servers = [Server(ssh_banner), Server(close_at_once)]
    closed = set()
    while len(closed) < 30:
        closed.add(free_port())
    ports = ",".join(str(p) for p in sorted({s.port for s in servers} | closed))
    try:
        n = subprocess.run([nmap, "-n", "-Pn", "-sT", "-sV", "--max-retries", "1", "-oG", "-", "-p", ports,
                            "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        p, _ = scan(ports, ["-oG", "-", "--service-wait", "2000"], json_out=False)
        want, got = greppable_shape(n.stdout, "Nmap"), greppable_shape(p.stdout.decode(), "portscope")
        check(n.returncode == 0 and "Ignored State: closed (30)" in want and want == got,
              f"-oG: the lines nmap -oG writes for the same ports (but for names and dates):\n{want}\n{got}")
    finally:
        for s in servers:
            s.stop()


def main():
    if not binary():
        print("skipped: portscope-scan not built")
        return 77
    if not os.path.exists("/usr/share/nmap/nmap-service-probes"):
        print("skipped: needs nmap-common's nmap-service-probes")
        return 77
    run_late_banner()
    run_tls()
    run_nofile()
    run_greppable()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
