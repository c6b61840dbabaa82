#!/usr/bin/env python3
"""Service identification (`portscope scan -sV`) against servers this test runs on 127.0.0.1:
no namespace, no root. Each server listens on a port the kernel chose and is stopped when the
test ends (threads of this process; openssl s_server is killed by its PID).

  - a server that greets only after 3.5 s (an SMTP server's greeting delay) is identified
    from its late banner, within the default --service-wait;
"""
import json
import os
import socket
import sys
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


def scan(port, options=(), preexec=None):
    import subprocess
    cmd = [binary(), "scan", "--engine", "connect", "--json", "--no-progress", "-p", str(port), *options,
           "--", "127.0.0.1"]
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


def main():
    if not binary():
        print("skipped: portscope-scan not built")
        return 77
    if not os.path.exists("/usr/share/nmap/nmap-service-probes"):
        print("skipped: needs nmap-common's nmap-service-probes")
        return 77
    run_late_banner()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
