#!/usr/bin/env python3
"""The built-in knowledge covers real servers, asked through the real product (`info --json`).

1. For each of the 100 TCP and 100 UDP ports that nmap finds open most often (frequency column
   of nmap-services), portscope says what really runs there: a knowledge entry on that port, or
   a registered service on it whose "servers" list (from a service: record) is not empty.
2. The default ports of common Debian daemons are known with the daemon's process name.
3. Every service: record names a service that exists in the IANA registry.
Needs nmap-services (Debian nmap-common) and the IANA CSV; says "skipped" without them."""
import csv
import os
from pstest import SRC, check, finish, iana_csv, run_json, skip

NMAP = "/usr/share/nmap/nmap-services"
TOP = 100
# An entry on a range of thousands of ports (Kubernetes NodePorts, RTP media) says nothing
# specific about one port in it, so it does not count as knowing that port; ranges up to a
# thousand ports (bindresvport's 512-1023, the bottom of Linux's ephemeral range) do.
WIDEST_RANGE = 1000

path = iana_csv("2026-02")
if not path:
    skip("IANA CSV service-names-port-numbers.2026-02.csv not found (PORTSCOPE_TEST_IANA_DIR)")
if not os.path.exists(NMAP):
    skip(f"{NMAP} not found (Debian package nmap-common)")


def top_ports(proto):
    rows = []
    with open(NMAP, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or "/" not in fields[1]:
                continue
            port, pr = fields[1].split("/", 1)
            if pr == proto:
                rows.append((-float(fields[2]), int(port), fields[0]))
    rows.sort()
    return [(port, name) for _, port, name in rows[:TOP]]


def knowledge_records():
    """The service: records of the knowledge file as (name, line), and every process name it
    lists (process: and servers: values, continuation lines joined) as (name, line)."""
    services, procs = [], []
    key, start = None, 0
    with open(os.path.join(SRC, "data", "knowledge.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line[:1] in (" ", "\t") and key in ("process", "servers"):
                procs += [(p, start) for p in line.split()]
                continue
            key, _, value = line.partition(": ")
            start = n
            if key == "service":
                services.append((value.strip(), n))
            elif key in ("process", "servers"):
                procs += [(p, n) for p in value.split()]
    return services, procs


def item_covers(item, port, proto):
    ports, _, pr = item.partition("/")
    lo, _, hi = ports.partition("-")
    lo, hi = int(lo), int(hi or lo)
    return pr == proto and lo <= port <= hi and hi - lo <= WIDEST_RANGE


def infos(ports):
    """{port: info object} for ports, asked in batches (info takes several ports at once)."""
    ports = sorted(set(ports))
    out = {}
    for i in range(0, len(ports), 50):
        batch = ports[i:i + 50]
        o = run_json("info", "--json", "--registry", path, *map(str, batch))
        for x in o if isinstance(o, list) else [o]:
            out[x["port"]] = x
    return out


def what_runs(info, proto):
    """The program names and entry names portscope gives for a port and protocol."""
    port = info["port"]
    entries = [e for e in info["unofficial"] if any(item_covers(i, port, proto) for i in e["ports"])]
    services = [s for s in info["protocols"][proto]["services"] if s["servers"]]
    procs = {p for e in entries for p in e["processes"]} | {p for s in services for p in s["servers"]}
    return entries, services, procs


def lowest_ports():
    """The lowest port of each use-record in file order, as (port, line); and whether a
    use-record comes after the first service record."""
    out, in_services, misplaced, ports, start = [], False, [], None, 0
    with open(os.path.join(SRC, "data", "knowledge.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if line.startswith("entry: "):
            start = n
            misplaced += [n] if in_services else []
        elif line.startswith("service: "):
            in_services = True
        elif line.startswith("ports: "):
            ports = line[len("ports: "):]
            k = n
            while k < len(lines) and lines[k][:1] in (" ", "\t"):
                ports += " " + lines[k].strip()
                k += 1
            out.append((min(int(i.strip().split("/")[0].split("-")[0]) for i in ports.split(",")), start))
    return out, misplaced


# 3. Service names exist in the registry; records are in the order the format asks.
order, misplaced = lowest_ports()
check(not misplaced, f"use-records after the service records at lines {misplaced}")
for (a, _), (b, line) in zip(order, order[1:]):
    check(a <= b, f"knowledge.txt:{line}: use-record on port {b} comes after one on port {a}")
iana_names = set()
with open(path, encoding="utf-8", newline="") as f:
    for row in csv.DictReader(f):
        if row["Service Name"].strip():
            iana_names.add(row["Service Name"].strip().lower())
records, processes = knowledge_records()
# The kernel keeps 15 bytes of a command name. A longer name (an executable's full name, matched
# against argv[0] or the executable) must come with its truncated form, which comm shows.
for proc, line in processes:
    if len(proc.encode()) > 15:
        check((proc[:15], line) in processes,
              f"knowledge.txt:{line}: {proc!r} is longer than comm allows and {proc[:15]!r} is not listed with it")
check(len(processes) > 100, f"knowledge file names processes ({len(processes)})")
check(len(records) >= 20, f"knowledge file has service: records ({len(records)})")
for name, line in records:
    check(name in iana_names, f"knowledge.txt:{line}: service {name!r} is not in the IANA registry")
dups = {n for n, _ in records if sum(1 for m, _ in records if m == n) > 1}
check(not dups, f"each service has one service: record (twice: {sorted(dups)})")

# 1. The ports nmap finds open most often.
tops = {p: top_ports(p) for p in ("tcp", "udp")}
info = infos([port for p in tops for port, _ in tops[p]] + [22, 53, 5432, 40000])
for proto, ports in tops.items():
    uncovered = []
    for port, nmap_name in ports:
        entries, services, _ = what_runs(info[port], proto)
        if not entries and not services:
            names = [s["name"] for s in info[port]["protocols"][proto]["services"]] or ["no registered service"]
            uncovered.append(f"{port}/{proto} (nmap: {nmap_name}; IANA: {', '.join(names)})")
    print(f"{proto}: {len(ports) - len(uncovered)} of the {len(ports)} ports nmap finds open most often are covered")
    for u in uncovered:
        print(f"  uncovered: {u}")
    check(not uncovered, f"every top-{TOP} {proto} port is covered ({len(uncovered)} are not)")

# "servers" in each service object: what serves a registered service, and [] when unknown.
ssh = [s for s in info[22]["protocols"]["tcp"]["services"] if s["name"] == "ssh"]
check(ssh and "sshd" in ssh[0]["servers"] and "dropbear" in ssh[0]["servers"], "info 22: ssh's servers include sshd")
dom = [s for s in info[53]["protocols"]["udp"]["services"] if s["name"] == "domain"]
check(dom and {"unbound", "named", "dnsmasq"} <= set(dom[0]["servers"]), "info 53: domain's servers")
pg = [s for s in info[5432]["protocols"]["tcp"]["services"] if s["name"] == "postgresql"]
check(pg and "postgres" in pg[0]["servers"], "info 5432: postgresql's servers include postgres")
every = [s for port in info for p in ("tcp", "udp") for s in info[port]["protocols"][p]["services"]]
check(all(isinstance(s.get("servers"), list) for s in every), "every service object has a servers list")
check(any(s["servers"] == [] for s in every), "a service the knowledge file does not know has servers []")

# 2. Common Debian daemons on their default ports, by the name /proc/PID/comm shows.
DAEMONS = [
    ("sshd", "22/tcp"), ("vsftpd", "21/tcp"), ("proftpd", "21/tcp"), ("exim4", "25/tcp"), ("master", "25/tcp"),
    ("master", "587/tcp"), ("dovecot", "110/tcp"), ("dovecot", "143/tcp"), ("dovecot", "993/tcp"),
    ("dovecot", "995/tcp"), ("dovecot", "4190/tcp"), ("opendkim", "8891/tcp"), ("named", "53/udp"),
    ("named", "953/tcp"), ("unbound", "53/udp"), ("unbound", "8953/tcp"), ("dnsmasq", "53/udp"),
    ("dnsmasq", "67/udp"), ("nginx", "80/tcp"), ("apache2", "443/tcp"), ("lighttpd", "80/tcp"),
    ("chronyd", "123/udp"), ("chronyd", "323/udp"), ("ntpd", "123/udp"), ("rpcbind", "111/tcp"),
    ("rpcbind", "111/udp"), ("rpc.statd", "662/tcp"), ("snmpd", "161/udp"), ("snmpd", "199/tcp"),
    ("smbd", "445/tcp"), ("smbd", "139/tcp"), ("nmbd", "137/udp"), ("nmbd", "138/udp"), ("slapd", "389/tcp"),
    ("slapd", "636/tcp"), ("rsyslogd", "514/udp"), ("cupsd", "631/tcp"), ("avahi-daemon", "5353/udp"),
    ("openvpn", "1194/udp"), ("squid", "3128/tcp"), ("squid", "3130/udp"), ("mariadbd", "3306/tcp"),
    ("mysqld", "3306/tcp"), ("postgres", "5432/tcp"), ("redis-server", "6379/tcp"),
    ("memcached", "11211/tcp"), ("mongod", "27017/tcp"), ("influxd", "8086/tcp"), ("java", "9042/tcp"),
    ("java", "9200/tcp"), ("beam.smp", "5984/tcp"), ("clickhouse-serv", "9000/tcp"),
    ("mosquitto", "1883/tcp"), ("beam.smp", "5672/tcp"), ("beam.smp", "15672/tcp"), ("epmd", "4369/tcp"),
    ("beam.smp", "25672/tcp"), ("java", "9092/tcp"), ("nats-server", "4222/tcp"),
    ("zabbix_agentd", "10050/tcp"), ("zabbix_server", "10051/tcp"), ("nrpe", "5666/tcp"),
    ("munin-node", "4949/tcp"), ("collectd", "25826/udp"), ("telegraf", "8125/udp"), ("netdata", "19999/tcp"),
    ("grafana", "3000/tcp"), ("prometheus", "9090/tcp"), ("prometheus-node", "9100/tcp"),
    ("node_exporter", "9100/tcp"), ("alertmanager", "9093/tcp"), ("varnishd", "6081/tcp"),
    ("varnishd", "6082/tcp"), ("haproxy", "8404/tcp"), ("dockerd", "2375/tcp"), ("dockerd", "2376/tcp"),
    ("containerd", "10010/tcp"), ("kubelet", "10250/tcp"), ("etcd", "2379/tcp"), ("etcd", "2380/tcp"),
    ("tor", "9050/tcp"), ("tor", "9051/tcp"), ("minidlnad", "8200/tcp"), ("transmission-da", "9091/tcp"),
    ("syncthing", "22000/tcp"), ("syncthing", "21027/udp"), ("cockpit-ws", "9090/tcp"),
    ("miniserv.pl", "10000/tcp"), ("Xorg", "6000/tcp"), ("java", "8080/tcp"), ("lighttpd", "8080/tcp"),
    ("nginx", "8080/tcp"), ("apache2", "8080/tcp"), ("python3", "8000/tcp"), ("caddy", "2019/tcp"),
    ("nfsd", "2049/tcp"), ("xinetd", "7/tcp"), ("inetd", "13/tcp"), ("identd", "113/tcp"),
    ("oidentd", "113/tcp"), ("in.rlogind", "513/tcp"), ("in.rshd", "514/tcp"), ("rsyslogd", "514/tcp"),
    ("vsftpd", "990/tcp"), ("in.fingerd", "79/tcp"), ("tac_plus", "49/tcp"), ("xdm", "177/udp"),
    ("in.ntalkd", "518/udp"), ("slpd", "427/udp"), ("hfaxd", "444/tcp"), ("ldpd", "646/tcp"),
    ("ptp4l", "319/udp"), ("spamd", "783/tcp"), ("asterisk", "2000/tcp"), ("freeradius", "1645/udp"),
    ("rpc.mountd", "20048/tcp"), ("rpc.mountd", "892/tcp"), ("pcsd", "2224/tcp"), ("corosync", "5405/udp"),
    ("monit", "2812/tcp"), ("gpsd", "2947/tcp"), ("apt-cacher-ng", "3142/tcp"), ("apcupsd", "3551/tcp"),
    ("gearmand", "4730/tcp"), ("icinga2", "5665/tcp"), ("check_mk_agent", "6556/tcp"), ("mpd", "6600/tcp"),
    ("proxysql", "6032/tcp"), ("icecast2", "8000/tcp"), ("kea-ctrl-agent", "8000/tcp"),
    ("tinyproxy", "8888/tcp"), ("approx", "9999/tcp"), ("pgpool", "9999/tcp"), ("postgrey", "10023/tcp"),
    ("rspamd", "11333/tcp"), ("beanstalkd", "11300/tcp"), ("libvirtd", "16509/tcp"), ("glusterd", "24007/tcp"),
    ("prometheus-push", "9091/tcp"), ("prometheus-aler", "9093/tcp"), ("prometheus-mysq", "9104/tcp"),
    ("prometheus-blac", "9115/tcp"), ("prometheus-snmp", "9116/tcp"), ("prometheus-apac", "9117/tcp"),
    ("prometheus-bind", "9119/tcp"), ("prometheus-redi", "9121/tcp"), ("prometheus-post", "9187/tcp"),
    ("bacula-fd", "9102/tcp"), ("amandad", "10080/tcp"), ("jetty", "8080/tcp"), ("caddy", "8080/tcp"),
]
info.update(infos([int(item.split("/")[0]) for _, item in DAEMONS if int(item.split("/")[0]) not in info]))
for proc, item in DAEMONS:
    port, proto = item.split("/")
    _, _, procs = what_runs(info[int(port)], proto)
    check(proc in procs, f"{proc} is a known program on {item} (known there: {sorted(procs)})")
print(f"checked {len(DAEMONS)} daemon/port pairs")
finish()
