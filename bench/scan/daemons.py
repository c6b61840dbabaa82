#!/usr/bin/env python3
"""Service identification side by side: `portscope scan -sV` and `nmap -sV` against stock Debian
daemons (those installed here; none is installed by this script) in the namespace test bed.

  bench/scan-daemons.sh [BUILD_DIR]      (PORTSCOPE_SCAN_BIN, or BUILD_DIR/portscope-scan)

Each daemon runs in the target namespace (198.18.0.2) from a throw-away configuration, in a
mount namespace of its own with a private /run (so that nothing of this machine's /run is
touched), in the foreground, and is killed by PID at the end. Prints, per port, what each tool
named (service, product, version) and the totals, then the UDP scan times.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "scan"))
import testbed  # noqa: E402

T = "198.18.0.2"


def daemons(d, cert, key):
    """(name, tcp ports, udp ports, argv, files to write {path: text}, setup shell) of each daemon
    whose program is installed."""
    w = lambda name, text: (os.path.join(d, name), text)
    out = []
    out.append(("sshd", [22], [], ["/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-h", f"{d}/hostkey",
                                   "-o", f"ListenAddress={T}", "-o", "PidFile=none"], {},
                f"ssh-keygen -q -t ed25519 -N '' -f {d}/hostkey; mkdir -p /run/sshd"))
    out.append(("nginx", [80, 443], [], ["/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-g", "daemon off;"],
                dict([w("nginx.conf", f"""pid {d}/nginx.pid; error_log stderr; events {{}}
http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
uwsgi_temp_path {d}; scgi_temp_path {d};
server {{ listen {T}:80; root /usr/share/nginx/html; }}
server {{ listen {T}:443 ssl; ssl_certificate {cert}; ssl_certificate_key {key}; root /usr/share/nginx/html; }} }}
""")]), ""))
    out.append(("redis", [6379], [], ["/usr/bin/redis-server", "--port", "6379", "--bind", T, "--daemonize", "no",
                                      "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", d], {}, ""))
    out.append(("dnsmasq", [53], [53], ["/usr/sbin/dnsmasq", "-k", "--conf-file=/dev/null", f"--listen-address={T}",
                                        "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=", "-u", "root"],
                {}, ""))
    out.append(("smbd", [139, 445], [], ["/usr/sbin/smbd", "--foreground", "--no-process-group", "-s", f"{d}/smb.conf",
                                         "--debug-stdout"],
                dict([w("smb.conf", f"""[global]
interfaces = {T}
bind interfaces only = yes
lock directory = {d}/smb
state directory = {d}/smb
cache directory = {d}/smb
private dir = {d}/smb
pid directory = {d}/smb
ncalrpc dir = {d}/smb/ncalrpc
log file = {d}/smb/log
disable spoolss = yes
load printers = no
""")]), f"mkdir -p {d}/smb/ncalrpc"))
    out.append(("squid", [3128], [], ["/usr/sbin/squid", "-N", "-f", f"{d}/squid.conf"],
                dict([w("squid.conf", f"""http_port {T}:3128
pid_filename {d}/squid.pid
cache_log {d}/squid-cache.log
access_log none
cache deny all
coredump_dir {d}
http_access deny all
""")]), f"chmod 777 {d}"))
    out.append(("memcached", [11211], [], ["/usr/bin/memcached", "-u", "root", "-l", T, "-p", "11211", "-U", "0"],
                {}, ""))
    out.append(("vsftpd", [21], [], ["/usr/sbin/vsftpd", f"{d}/vsftpd.conf"],
                dict([w("vsftpd.conf", f"""listen=YES
listen_address={T}
background=NO
anonymous_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
""")]), "mkdir -p /run/vsftpd/empty"))
    out.append(("exim4", [25], [], ["/usr/sbin/exim4", "-bdf", "-oX", f"<; {T}.25", "-oP", f"{d}/exim.pid"], {},
                ""))
    out.append(("dovecot", [110, 143, 993, 995], [], ["/usr/sbin/dovecot", "-F", "-c", f"{d}/dovecot.conf"],
                dict([w("dovecot.conf", f"""protocols = imap pop3
listen = {T}
base_dir = {d}/dovecot
state_dir = {d}/dovecot-state
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
log_path = {d}/dovecot.log
passdb {{
  driver = static
  args = password=none
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}}
""")]), f"mkdir -p {d}/dovecot {d}/dovecot-state"))
    out.append(("lighttpd", [8080], [], ["/usr/sbin/lighttpd", "-D", "-f", f"{d}/lighttpd.conf"],
                dict([w("lighttpd.conf", f"""server.document-root = "/var/www"
server.port = 8080
server.bind = "{T}"
server.errorlog = "{d}/lighttpd.log"
""")]), ""))
    out.append(("haproxy", [8000], [], ["/usr/sbin/haproxy", "-db", "-f", f"{d}/haproxy.cfg"],
                dict([w("haproxy.cfg", f"""defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend web
  bind {T}:8000
""")]), ""))
    out.append(("rsync", [873], [], ["/usr/bin/rsync", "--daemon", "--no-detach", f"--address={T}", "--port=873",
                                     f"--config={d}/rsyncd.conf"],
                dict([w("rsyncd.conf", f"pid file = {d}/rsyncd.pid\n[pub]\npath = /var/empty\n")]), ""))
    out.append(("postgres", [5432], [], ["/usr/sbin/runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/postgres",
                                         "-D", f"{d}/pg", "-c", f"listen_addresses={T}", "-c",
                                         f"unix_socket_directories={d}/pgsock"], {},
                f"mkdir -p {d}/pg {d}/pgsock && chown postgres {d}/pg {d}/pgsock && "
                f"runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D {d}/pg >/dev/null"))
    out.append(("snmpd", [], [161], ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", f"{d}/snmpd.conf", f"udp:{T}:161"],
                dict([w("snmpd.conf", "rocommunity public\n")]), ""))
    out.append(("rpcbind", [111], [111], ["/usr/sbin/rpcbind", "-f", "-w"], {}, ""))
    return [x for x in out if os.path.exists(x[3][0]) and (x[0] != "postgres" or os.path.exists(x[3][3]))]


def start(tb, d, name, argv, files, setup, pids):
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    os.chmod(d, 0o755)
    log = open(os.path.join(d, f"{name}.log"), "w")
    # A private /run: daemons write pid files and sockets there; the machine's stays untouched.
    script = "mount -t tmpfs tmpfs /run && " + (setup + " && " if setup else "") + 'exec "$@"'
    p = subprocess.Popen(["ip", "netns", "exec", tb.t, "unshare", "-m", "--propagation", "private", "sh", "-c",
                          script, "sh", *argv], stdout=log, stderr=subprocess.STDOUT)
    pids.append(p)


def nmap_services(xml_path):
    out = {}
    for port in ET.parse(xml_path).getroot().iter("port"):
        st = port.find("state")
        svc = port.find("service")
        if st is None or st.get("state") != "open":
            continue
        key = (int(port.get("portid")), port.get("protocol"))
        # method "table" (a guess from nmap-services) or a fingerprint (probed, nothing matched): not named
        name = (svc.get("name") if svc is not None and svc.get("method") == "probed" and not svc.get("servicefp")
                else None)
        if name and svc.get("tunnel") == "ssl":
            name = "ssl/" + name
        out[key] = (name, svc.get("product", "") if svc is not None else "", svc.get("version", "")
                    if svc is not None else "")
    return out


def ps_services(text):
    out = {}
    for h in json.loads(text)["hosts"]:
        for p in h["ports"]:
            if p["state"] != "open":
                continue
            s = p.get("service") or {}
            out[(p["port"], p["protocol"])] = (s.get("name"), s.get("product", ""), s.get("version", ""))
    return out


def main():
    reason = testbed.can_run()
    if reason:
        print(f"skipped: {reason}")
        return 77
    binary = os.environ.get("PORTSCOPE_SCAN_BIN")
    if not binary or not shutil.which("nmap"):
        print("bench/scan/daemons.py: needs PORTSCOPE_SCAN_BIN and nmap")
        return 2
    d = tempfile.mkdtemp(prefix="ps-daemons-")
    os.chmod(d, 0o755)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=portscope-bench"], check=True, capture_output=True)
    os.chmod(key, 0o644)
    pids = []
    try:
        with testbed.TestBed(tcp_ports=[], ssh=0, http=0, tag=f"dmn{os.getpid()}") as tb:
            ds = daemons(d, cert, key)
            only = os.environ.get("DAEMONS")  # e.g. DAEMONS=haproxy,dovecot
            if only:
                ds = [x for x in ds if x[0] in only.split(",")]
            for name, tcp, udp, argv, files, setup in ds:
                start(tb, d, name, argv, files, setup, pids)
            time.sleep(4)
            tcp = sorted({p for x in ds for p in x[1]})
            udp = sorted({p for x in ds for p in x[2]})
            plist = ",".join(map(str, tcp))
            ulist = ",".join(map(str, udp))
            print(f"daemons: {' '.join(x[0] for x in ds)}\nTCP {plist}\nUDP {ulist}")
            rows = {}
            for proto, ports, extra in (("tcp", plist, ["-sT"]), ("udp", ulist, ["-sU"])):
                if not ports:
                    continue
                t0 = time.time()
                x = os.path.join(d, f"nmap-{proto}.xml")
                tb.ns(tb.s, "nmap", "-Pn", "-n", *extra, "-sV", "-p", ports, "-oX", x, T)
                tn = time.time() - t0
                t0 = time.time()
                p = tb.scan([T], [*extra, "-sV", "-p", ports, "--json"])
                tp = time.time() - t0
                print(f"{proto}: nmap -sV {tn:.1f} s, portscope -sV {tp:.1f} s")
                n, s = nmap_services(x), ps_services(p.stdout)
                if os.environ.get("VERBOSE"):
                    print(p.stdout.decode())
                    print(open(x).read())
                for k in sorted(set(n) | set(s)):
                    rows[k] = (n.get(k), s.get(k))
            print(f"\n{'port':>10}  {'nmap':<44} {'portscope':<44}")
            named = [0, 0]
            for (port, proto), (n, s) in sorted(rows.items()):
                fmt = lambda v: "-" if not v or not v[0] else " ".join(x for x in v if x)[:43]
                print(f"{port:>6}/{proto:<3}  {fmt(n):<44} {fmt(s):<44}")
                named[0] += bool(n and n[0] and n[0] != "tcpwrapped")
                named[1] += bool(s and s[0])
            print(f"\nnamed: nmap {named[0]}, portscope {named[1]} of {len(rows)} open ports")
            # UDP scan time alone (no identification), the same ports.
            if not ulist:
                return 0
            for tool, cmd in (("nmap -sU", ["nmap", "-Pn", "-n", "-sU", "-p", ulist, T]),):
                t0 = time.time()
                tb.ns(tb.s, *cmd)
                print(f"{tool} -p {ulist}: {time.time() - t0:.2f} s")
            t0 = time.time()
            p = tb.scan([T], ["-sU", "--no-service", "-p", ulist, "--json"])
            sc = json.loads(p.stdout)["scan"]
            print(f"portscope -sU --no-service -p {ulist}: {time.time() - t0:.2f} s ({sc['sent']} sent, "
                  f"{sc['passes']} passes)")
            check = tb.leaked()
            print(f"packets that left the namespaces: {check}")
    finally:
        for p in pids:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            p.wait()
        if not os.environ.get("KEEP"):
            shutil.rmtree(d, ignore_errors=True)
        else:
            print(f"kept {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
