#!/usr/bin/env bash
# portscope watch benchmark, on the scan test bed (tests/scan/testbed.py: scanner 198.18.0.1,
# target 198.18.0.2 with 200 open ports). Usage: bench/watch.sh [BUILD_DIR]  (BENCH_FLOODS=3)
#
# 1. Flood: `portscope scan --engine syn -p -` from the scanner namespace, BENCH_FLOODS times in
#    a row, while `portscope watch --netns TARGET` runs. Printed side by side: each flood's
#    duration, the probes the target answered with a RST (its /proc/net/snmp OutRsts: every SYN
#    to a closed port), what watch saw (the final scan summary's probes), what its kernel side
#    counted and lost (Prometheus textfile), watch's CPU time and peak RSS, and how long it took
#    to stop after SIGINT.
# 2. Normal traffic: wrk against nginx in the target namespace, without and with watch.
# Nothing here fails on timing; every command is bounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-${PORTSCOPE_BUILD:-$here/../build}}" && pwd)
[ -x "$build/portscope-watch" ] || { echo "bench/watch.sh: build first ($build/portscope-watch missing)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench/watch.sh: needs root (namespaces, BPF)"; exit 0; }
export PORTSCOPE_BUILD=$build PORTSCOPE_SCAN_BIN=$build/portscope-scan BENCH_HERE=$here
exec python3 - <<'EOF'
import json, os, re, signal, subprocess, sys, tempfile, time

here = os.environ["BENCH_HERE"]
build = os.environ["PORTSCOPE_BUILD"]
sys.path.insert(0, os.path.join(here, "..", "tests", "scan"))
import testbed  # noqa: E402

WATCH = os.path.join(build, "portscope-watch")
SCAN = os.path.join(build, "portscope-scan")
FLOODS = int(os.environ.get("BENCH_FLOODS", "3"))
tag = f"w{os.getpid()}"
work = tempfile.mkdtemp(prefix="ps-watch-bench-")


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def out_rsts(ns):
    lines = sh("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").stdout.splitlines()
    tcp = [l.split() for l in lines if l.startswith("Tcp:")]
    return int(tcp[1][tcp[0].index("OutRsts")])


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def hwm_kb(pid):
    m = re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{pid}/status").read())
    return int(m.group(1)) if m else 0


def start_watch(ns, *extra):
    ev = open(os.path.join(work, "events.jsonl"), "w")
    p = subprocess.Popen([WATCH, "--jsonl", "--netns", ns, "--metrics", os.path.join(work, "watch.prom"), *extra],
                         stdout=ev, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if os.path.getsize(ev.name) > 0:
            break
        time.sleep(0.05)
    return p, ev


def stop_watch(p):
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    return time.monotonic() - t0


def metric(name):
    for line in open(os.path.join(work, "watch.prom")):
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return -1


bed = testbed.TestBed(tag=tag)
try:
    bed.up()
    S, T = bed.s, bed.t
    print(f"flood: {FLOODS} x portscope scan --engine syn -p - 198.18.0.2 (scanner -> target namespace)")
    w, ev = start_watch(T)
    r0 = out_rsts(T)
    durations = []
    for i in range(FLOODS):
        t0 = time.monotonic()
        sh("ip", "netns", "exec", S, SCAN, "scan", "--engine", "syn", "-p", "-", "--max-retries", "0",
           "--no-service", "--json", "198.18.0.2", timeout=600)
        durations.append(time.monotonic() - t0)
    time.sleep(1.0)
    rsts = out_rsts(T) - r0
    cpu, hwm = cpu_s(w.pid), hwm_kb(w.pid)
    stop_s = stop_watch(w)
    ev.close()
    events = [json.loads(l) for l in open(ev.name)]
    finals = [e for e in events if e["event"] == "scan" and e.get("final") and e["source"] == "198.18.0.1"]
    scans = [e for e in events if e["event"] == "scan" and not e.get("final") and e["source"] == "198.18.0.1"]
    seen_by_watch = finals[0]["probes"] if finals else 0
    seen, lost = metric("portscope_watch_kernel_packets_total"), metric("portscope_watch_kernel_lost_total")
    dropped = [e for e in events if e["event"] == "dropped"]
    print(f"  flood durations (s)             {' '.join(f'{d:.2f}' for d in durations)}  (total {sum(durations):.2f})")
    print(f"  target RSTs (SYNs to closed)    {rsts}")
    print(f"  kernel side: accepted / lost    {seen} / {lost}")
    print(f"  watch: probes in the summary    {seen_by_watch}  (+ lost {max(lost, 0)}; the rest, {seen - seen_by_watch - max(lost, 0)},"
          f" went to the ignored chatty ports: 10 x {FLOODS})")
    print(f"  scan events / dropped events    {len(scans)} ({', '.join(e['rule'] for e in scans)}) / {len(dropped)}")
    print(f"  watch CPU time                  {cpu:.2f} s for {sum(durations):.2f} s of flood")
    print(f"  watch peak RSS                  {hwm / 1024:.1f} MB")
    print(f"  stop after SIGINT               {stop_s * 1000:.0f} ms")

    # the same flood once more, watched through the AF_PACKET fallback
    w, ev = start_watch(T, "--method", "packet")
    r0 = out_rsts(T)
    t0 = time.monotonic()
    sh("ip", "netns", "exec", S, SCAN, "scan", "--engine", "syn", "-p", "-", "--max-retries", "0",
       "--no-service", "--json", "198.18.0.2", timeout=600)
    dur = time.monotonic() - t0
    time.sleep(1.0)
    rsts = out_rsts(T) - r0
    cpu, hwm = cpu_s(w.pid), hwm_kb(w.pid)
    stop_watch(w)
    ev.close()
    events = [json.loads(l) for l in open(ev.name)]
    finals = [e for e in events if e["event"] == "scan" and e.get("final") and e["source"] == "198.18.0.1"]
    print(f"flood through --method packet: 1 x the same scan ({dur:.2f} s)")
    got = finals[0]['probes'] if finals else 0
    print(f"  target RSTs / watch probes      {rsts} / {got}"
          f"  (+ {metric('portscope_watch_kernel_packets_total') - got} to ignored ports;"
          f" packets lost in the socket buffer, probes or answers: {metric('portscope_watch_kernel_lost_total')})")
    print(f"  watch CPU time / peak RSS       {cpu:.2f} s / {hwm / 1024:.1f} MB")

    # normal traffic: wrk against nginx in the target namespace, without and with watch
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; server {{ listen 198.18.0.2:8088; location / {{ return 200 "ok\\n"; }} }} }}
""")
    if sh("sh", "-c", "command -v nginx && command -v wrk").returncode == 0:
        ng = subprocess.Popen(["ip", "netns", "exec", T, "nginx", "-c", conf], stderr=subprocess.DEVNULL)
        time.sleep(0.5)

        def wrk():
            o = sh("ip", "netns", "exec", S, "wrk", "-t1", "-c32", "-d5s", "http://198.18.0.2:8088/", timeout=60).stdout
            m = re.search(r"Requests/sec:\s+([\d.]+)", o)
            return float(m.group(1)) if m else 0.0

        base = [wrk(), wrk()]
        w, ev = start_watch(T)
        c0 = cpu_s(w.pid)
        with_w = [wrk(), wrk()]
        c1 = cpu_s(w.pid)
        stop_watch(w)
        ev.close()
        print("normal traffic: wrk -t1 -c32 -d5s against nginx in the target namespace (2 runs each)")
        print(f"  without watch  req/s           {' '.join(f'{x:.0f}' for x in base)}")
        print(f"  with watch     req/s           {' '.join(f'{x:.0f}' for x in with_w)}  (watch CPU {c1 - c0:.2f} s in 10 s)")
        ng.terminate()
        ng.wait()
    else:
        print("normal traffic: skipped (nginx or wrk missing: scripts/deps.sh bench)")
finally:
    bed.down()
    subprocess.run(["rm", "-rf", work])
EOF
