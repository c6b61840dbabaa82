#!/usr/bin/env python3
"""Servers for the scan test bed, run inside the target namespace.

  listener.py --tcp PORTS --udp-echo PORTS --udp-silent PORTS --ssh PORT --http PORT --ready FILE

TCP ports accept and close; the --ssh port sends an SSH banner, the --http port answers HTTP
requests; UDP echo ports answer every datagram, silent ones never do. Writes FILE when listening.
"""
import argparse
import os
import selectors
import socket
import threading


def ports(s):
    return [int(p) for p in s.split(",") if p] if s else []


def serve_http(c):
    c.setblocking(True)
    c.settimeout(5)
    try:
        data = c.recv(4096)
        if data:
            body = b"<html><body>portscope test</body></html>\n"
            c.send(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
                   b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    except OSError:
        pass
    c.close()


# Servers that say one line and close: an SSH server, and an FTP banner with an escape sequence,
# a bidirectional override, a non-character (U+FFFE) and a NUL in its version.
BANNERS = {
    "ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
    "hostile": b'220 vsFTPd 3\xef\xbf\xbe\x1b[31m<&"\xe2\x80\xae\x00 ready...\r\n',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", default="")
    ap.add_argument("--tcp6", action="store_true", help="listen on :: (dual stack) instead of 0.0.0.0")
    ap.add_argument("--udp-echo", default="")
    ap.add_argument("--udp-silent", default="")
    ap.add_argument("--ssh", type=int, default=0)
    ap.add_argument("--http", type=int, default=0)
    ap.add_argument("--hostile", type=int, default=0, help="an FTP banner with escapes, bidi and non-characters")
    ap.add_argument("--silent-tcp", type=int, default=0, help="accepts and never says anything")
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    sel = selectors.DefaultSelector()
    fam, addr = (socket.AF_INET6, "::") if a.tcp6 else (socket.AF_INET, "0.0.0.0")
    kinds = {}
    held = []
    for p in ports(a.tcp) + [x for x in (a.ssh, a.http, a.hostile, a.silent_tcp) if x]:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, p))
        s.listen(4096)
        s.setblocking(False)
        kinds[s.fileno()] = {a.ssh: "ssh", a.http: "http", a.hostile: "hostile", a.silent_tcp: "silent"}.get(p, "tcp")
        sel.register(s, selectors.EVENT_READ, ("listen", s))
    for p in ports(a.udp_echo) + ports(a.udp_silent):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", p))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("echo" if p in ports(a.udp_echo) else "silent", s))
    with open(a.ready + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(a.ready + ".tmp", a.ready)
    while True:
        for key, _ in sel.select():
            what, s = key.data
            if what == "listen":
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                kind = kinds[s.fileno()]
                if kind in BANNERS:
                    try:
                        c.send(BANNERS[kind])
                    except OSError:
                        pass
                    c.close()
                elif kind == "silent":
                    held.append(c)
                elif kind == "http":
                    threading.Thread(target=serve_http, args=(c,), daemon=True).start()
                else:
                    c.close()
            elif what == "echo":
                try:
                    data, peer = s.recvfrom(65535)
                    s.sendto(b"echo:" + data[:64], peer)
                except OSError:
                    pass
            else:
                try:
                    s.recvfrom(65535)
                except OSError:
                    pass


if __name__ == "__main__":
    main()
