#!/usr/bin/env python3
"""Servers for the scan test bed, run inside the target namespace.

  listener.py --tcp PORTS --udp-echo PORTS --udp-silent PORTS --ssh PORT --http PORT --ready FILE

TCP ports accept and close; the --ssh port sends an SSH banner, the --http port answers HTTP
requests; UDP echo ports answer every datagram, silent ones never do. Writes FILE when listening.

For service identification: --scripted PORT:KIND (repeatable) serves one of SCRIPTS (an optional
banner, then an answer to one request only; anything else is closed without a word), --tls PORT
serves HTTP inside TLS (--tls-cert, --tls-key), --dns PORT answers DNS version.bind (CHAOS TXT)
queries over UDP as dnsmasq does.
"""
import argparse
import os
import selectors
import socket
import ssl
import struct
import threading
import time


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


# KIND: (banner, request prefix, answer). Probes named in tests/scan/test_scan.py's probe file.
SCRIPTS = {
    "third": (b"", b"ALPHA", b"ALPHA-OK 1.0\r\n"),      # only the 3rd probe by rarity
    "fallback": (b"", b"EPS", b"ALPHA-OK 2.0\r\n"),     # answers Epsilon in Alpha's words
    "soft": (b"SOFT hello\r\n", b"OMEGA", b"SOFT v2.5\r\n"),  # a soft banner, then a version
    "rare": (b"", b"DELTA", b"DELTA-OK\r\n"),           # only a probe of rarity 9
    # nginx behind Varnish: the Server header is the backend's, X-Varnish and Via name the cache
    "varnish": (b"", b"GET ", b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nX-Varnish: 32770\r\n"
                b"Via: 1.1 varnish (Varnish/7.1)\r\nContent-Length: 0\r\n\r\n"),
}


def serve_scripted(c, kind):
    c.setblocking(True)
    c.settimeout(10)
    if kind in ("pieces", "drip"):
        # A greeting cut mid-line: the rest a second later, or a byte every 150 ms.
        greeting = b"220 mx.example ESMTP Postfix\r\n"
        try:
            if kind == "pieces":
                c.sendall(greeting[:10])
                time.sleep(1.0)
                c.sendall(greeting[10:])
            else:
                for i in range(len(greeting)):
                    c.sendall(greeting[i:i + 1])
                    time.sleep(0.15)
            c.recv(4096)
        except OSError:
            pass
        c.close()
        return
    banner, want, answer = SCRIPTS[kind]
    try:
        if banner:
            c.sendall(banner)
        data = c.recv(4096)
        if data.startswith(want):
            c.sendall(answer)
    except OSError:
        pass
    c.close()


def serve_tls(c, ctx):
    c.setblocking(True)
    c.settimeout(10)
    try:
        t = ctx.wrap_socket(c, server_side=True)
    except (OSError, ssl.SSLError):
        c.close()
        return
    serve_http(t)


def stun_answer(q):
    """A Binding success answer to a STUN Binding Request, with coturn's SOFTWARE attribute."""
    if len(q) < 20 or q[0:2] != b"\x00\x01" or q[4:8] != b"\x21\x12\xa4\x42":
        return None
    sw = b"Coturn-4.6.1 'Gorst'"
    attrs = b"\x80\x22" + len(sw).to_bytes(2, "big") + sw + b"\0" * (-len(sw) % 4)
    return b"\x01\x01" + len(attrs).to_bytes(2, "big") + q[4:20] + attrs


def rpc_answer(q):
    """The portmapper's PROG_MISMATCH (versions 2-4) to a call of a version it does not serve."""
    if len(q) < 24 or q[4:8] != b"\0\0\0\0":
        return None
    return q[:4] + bytes.fromhex("00000001" "00000000" "00000000" "00000000" "00000002" "00000002" "00000004")


def dns_answer(q):
    """A dnsmasq-like answer: version.bind (CHAOS TXT) says "dnsmasq-2.89", anything else that looks
    like a query is refused (rcode 5)."""
    if len(q) < 12:
        return None
    qname = b"\x07version\x04bind\x00"
    question = qname + b"\x00\x10\x00\x03"
    if q[12:12 + len(question)] != question:
        return q[:2] + b"\x81\x85" + q[4:6] + b"\x00\x00\x00\x00\x00\x00" + q[12:]
    txt = b"dnsmasq-2.89"
    header = q[:2] + b"\x85\x80" + struct.pack(">HHHH", 1, 1, 0, 0)
    answer = b"\xc0\x0c\x00\x10\x00\x03" + struct.pack(">IH", 0, len(txt) + 1) + bytes([len(txt)]) + txt
    return header + question + answer


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
    ap.add_argument("--scripted", action="append", default=[], help="PORT:KIND, KIND one of SCRIPTS")
    ap.add_argument("--tls", type=int, default=0, help="HTTP inside TLS")
    ap.add_argument("--tls-cert", default="")
    ap.add_argument("--tls-key", default="")
    ap.add_argument("--dns", type=int, default=0, help="UDP: answers version.bind like dnsmasq")
    ap.add_argument("--stun", type=int, default=0, help="UDP: answers a STUN Binding Request like coturn")
    ap.add_argument("--rpc", type=int, default=0, help="UDP: answers an RPC call like rpcbind (PROG_MISMATCH 2-4)")
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    sel = selectors.DefaultSelector()
    fam, addr = (socket.AF_INET6, "::") if a.tcp6 else (socket.AF_INET, "0.0.0.0")
    kinds = {}
    held = []
    scripted = {int(x.split(":")[0]): x.split(":")[1] for x in a.scripted}
    tls_ctx = None
    if a.tls:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(a.tls_cert, a.tls_key)
    for p in ports(a.tcp) + [x for x in (a.ssh, a.http, a.hostile, a.silent_tcp, a.tls) if x] + list(scripted):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, p))
        s.listen(4096)
        s.setblocking(False)
        kinds[s.fileno()] = {a.ssh: "ssh", a.http: "http", a.hostile: "hostile", a.silent_tcp: "silent",
                             a.tls: "tls", **{k: "script:" + v for k, v in scripted.items()}}.get(p, "tcp")
        sel.register(s, selectors.EVENT_READ, ("listen", s))
    for p in ports(a.udp_echo) + ports(a.udp_silent) + ([a.dns] if a.dns else []) + ([a.stun] if a.stun else []) + ([a.rpc] if a.rpc else []):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", p))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ,
                     ("dns" if p == a.dns else "stun" if p == a.stun else "rpc" if p == a.rpc else
                      "echo" if p in ports(a.udp_echo) else "silent", s))
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
                elif kind == "tls":
                    threading.Thread(target=serve_tls, args=(c, tls_ctx), daemon=True).start()
                elif kind.startswith("script:"):
                    threading.Thread(target=serve_scripted, args=(c, kind[7:]), daemon=True).start()
                else:
                    c.close()
            elif what == "dns":
                try:
                    data, peer = s.recvfrom(65535)
                    ans = dns_answer(data)
                    if ans:
                        s.sendto(ans, peer)
                except OSError:
                    pass
            elif what in ("stun", "rpc"):
                try:
                    data, peer = s.recvfrom(65535)
                    ans = stun_answer(data) if what == "stun" else rpc_answer(data)
                    if ans:
                        s.sendto(ans, peer)
                except OSError:
                    pass
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
