#!/usr/bin/env python3
"""The CLI takes what people type: bare ports and names, help CMD, name/proto, :PORT, lists,
"did you mean", --brief, tables for ranges, --json always an array; nmap ranks in info; search
that ranks what people mean. On the real IANA CSV (and nmap-services when installed)."""
import re
import shutil
import subprocess
from pstest import check, finish, iana_csv, run, run_json, skip

path = iana_csv()
if not path:
    skip("the IANA CSV from ../shared/data/iana is absent (PORTSCOPE_TEST_IANA_DIR unset)")
R = ("--registry", path)


def one_line_error(rc, err, *needles):
    lines = err.strip().splitlines()
    return rc == 2 and len(lines) == 1 and lines[0].startswith("portscope: ") and all(n in lines[0] for n in needles)


def ports_of(arr):
    return [o["port"] for o in arr]


# A bare port or service name means info.
for bare in ("22", "ssh"):
    rc, out, err = run(bare, *R)
    rc2, out2, _ = run("info", bare, *R)
    check(rc == 0 and out == out2 and "Port 22" in out, f"'portscope {bare}' is 'portscope info {bare}': rc={rc} {err!r}")
check(ports_of(run_json("22", "--json", *R)) == [22], "'portscope 22 --json' takes options after the port")

# help CMD is CMD --help; an unknown one is one line.
for sub in ("info", "search", "list", "registry"):  # in-process: a helper's own --help is its test's
    rc, out, err = run("help", sub)
    rc2, out2, _ = run(sub, "--help")
    check(rc == 0 and out == out2 and "Usage: portscope " + sub in out, f"help {sub} is {sub} --help")
rc, out, err = run("help", "serch")
check(one_line_error(rc, err, "'serch'", "did you mean 'search'"), f"help serch: {err!r}")

# The forms of an operand.
check(ports_of(run_json("info", "--json", "ssh/tcp", *R)) == [22], "info ssh/tcp")
o = run_json("info", "--json-object", "ssh/tcp", *R)
check(o["port"] == 22, "info ssh/tcp --json-object")
rc, out, err = run("info", "ssh/tcp", *R)
status = out.split("Status\n", 1)[-1].split("\n\n", 1)[0]
check(rc == 0 and status.startswith("  tcp ") and "udp" not in status, f"info ssh/tcp shows tcp only: {status!r}")
check(ports_of(run_json("info", "--json", ":22", *R)) == [22], "info :22")
check(ports_of(run_json("info", "--json", "22,80", *R)) == [22, 80], "info 22,80")
check(ports_of(run_json("info", "--json", "22, 80", "443", *R)) == [22, 80, 443], "info '22, 80' 443")
rc, out, err = run("info", "22,abc", *R)
check(one_line_error(rc, err, "'22,abc'") and out == "", f"info 22,abc: {err!r}")
rc, out, err = run("info", "ssh/xyz", *R)
check(one_line_error(rc, err, "'ssh/xyz'") and out == "", f"info ssh/xyz: {err!r}")

# --json is always an array; --json-object is one object for exactly one port.
a = run_json("info", "--json", "625", *R)
check(isinstance(a, list) and len(a) == 1 and a[0]["port"] == 625, "info --json of one port is an array of one")
check(isinstance(run_json("info", "--json", "22", "625", *R), list), "info --json of two is an array")
o = run_json("info", "--json-object", "625", *R)
check(isinstance(o, dict) and o == a[0], "--json-object is the array's only element")
rc, out, err = run("info", "--json-object", "22", "80", *R)
check(one_line_error(rc, err, "--json-object", "exactly one") and out == "", f"--json-object with two: {err!r}")

# Did you mean: commands, options, service names; one line each, naming portscope.
for args, needles in [(["serch", "ssh"], ["'serch'", "did you mean 'search'"]),
                      (["lsit"], ["'lsit'", "did you mean 'list'"]),
                      (["shh"], ["'shh'", "did you mean 'ssh'"]),
                      (["info", "shh"], ["'shh'", "did you mean 'ssh'"]),
                      (["info", "--jsn", "22"], ["'--jsn'", "did you mean '--json'"]),
                      (["search", "--limt", "5", "ssh"], ["'--limt'", "did you mean '--limit'"]),
                      (["list", "--stauts", "reserved"], ["'--stauts'", "did you mean '--status'"])]:
    rc, out, err = run(*args, *R)
    check(one_line_error(rc, err, *needles) and out == "", f"{args}: one line with a suggestion: {err!r}")
rc, out, err = run("dict", *R)  # a service name one letter from "diff" is the service
check(rc == 0 and out.startswith("Port 2628"), f"'portscope dict' is info dict: rc={rc} {err!r}")
rc, out, err = run("zzzzqqqq", *R)
check(one_line_error(rc, err, "'zzzzqqqq'") and "did you mean" not in err, f"nothing close: no suggestion: {err!r}")

# --brief: a few lines per port; a range is a table.
rc, out, err = run("info", "--brief", "22", "80", *R)
blocks = out.strip().split("\n\n")
check(rc == 0 and len(blocks) == 2 and all(len(b.splitlines()) <= 6 for b in blocks), f"--brief: a few lines per port: {out!r}")
check(blocks[0].startswith("22  ssh") and "tcp assigned" in blocks[0], "--brief names ssh and its status")
rc, out, err = run("info", "20-25", *R)
lines = out.strip().splitlines()
check(rc == 0 and lines[0].startswith("PORT") and len(lines) == 1 + 6 + 1, f"info 20-25 is a table: {out!r}")
check(any(line.split()[:2] == ["22", "assigned"] and "ssh" in line for line in lines), "the table's row for 22")

rc, out, err = run("info", "x11", *R)
lines = out.strip().splitlines()
check(rc == 0 and lines[0].startswith("PORT") and len(lines) == 1 + 64 + 1 and lines[1].startswith("6000 "),
      f"info x11 (6000-6063) is a table of 64 lines: {len(lines)}")
rc, out, err = run("info", "6000-6003", *R)
cells = [l[54:77] for l in out.splitlines()[1:5]]
check(rc == 0 and any(c.endswith("\u2026 ") for c in cells) and all(c.endswith(" ") for c in cells),
      f"info 6000-6003: a name cut to its column ends with an ellipsis: {cells}")

# nmap's rank in info (needs nmap-services).
o = run_json("info", "--json-object", "625", *R)
if o["registry"]["observed_source"]:
    tcp = [x for x in o["observed"] if x["protocol"] == "tcp"]
    check(tcp and tcp[0]["rank"] == 150 and tcp[0]["in_top_1000"] is True, f"625/tcp rank 150: {tcp}")
    o250 = run_json("info", "--json-object", "250", *R)
    t250 = [x for x in o250["observed"] if x["protocol"] == "tcp"]
    check(t250 and t250[0]["rank"] > 1000 and t250[0]["in_top_1000"] is False, f"250/tcp outside the top 1,000: {t250}")
    rc, out, err = run("info", "625", *R)
    check("in nmap's default scan (top 1,000 TCP ports): yes, rank 150" in out, "info 625 says rank 150")
    # Asked about many ports, ranks come from a table made once: the same ranks.
    many = run_json("info", "--json", "200-700", *R)
    ranks = {(x["port"], y["protocol"]): y["rank"] for x in many for y in x["observed"]}
    check(ranks.get((625, "tcp")) == 150 and ranks.get((250, "tcp")) == t250[0]["rank"],
          f"info 200-700: the table's ranks are the scan's (625: {ranks.get((625, 'tcp'))}, 250: {ranks.get((250, 'tcp'))})")
    rc, out, err = run("info", "250", *R)
    check(re.search(r"in nmap's default scan \(top 1,000 TCP ports\): no \(rank 1,\d\d\d\)", out), "info 250: no (rank 1,2xx)")
    # nmap's own rule (services.cc): the lines of a protocol sorted by frequency with a stable sort,
    # so equal frequencies keep the file's order, which is port order. 250 and 3025 share their
    # frequencies with 22 and 25 other ports; a text sort ("sort -r") would give 1,294 and 1,317.
    nmap_file = o["registry"]["observed_source"]
    tcp_lines, seen = [], set()
    for line in open(nmap_file, encoding="utf-8", errors="replace"):
        f = line.split()
        if line.startswith("#") or len(f) < 3 or not f[1].endswith("/tcp") or f[1] in seen:
            continue
        seen.add(f[1])
        tcp_lines.append((int(f[1].split("/")[0]), float(f[2]) if f[2].startswith("0.") else 0.0))
    oracle = {p: i + 1 for i, (p, _) in enumerate(sorted(tcp_lines, key=lambda t: -t[1]))}  # sorted() is stable
    got = {}
    for p in (625, 250, 3025):
        got[p] = [x["rank"] for x in run_json("info", "--json-object", str(p), *R)["observed"] if x["protocol"] == "tcp"][0]
    check(got == {p: oracle[p] for p in got}, f"ranks follow nmap's order (ties in file order): {got}")
    if nmap_file == "/usr/share/nmap/nmap-services" and [oracle[p] for p in (625, 250, 3025)] == [150, 1283, 1319]:
        check(got == {625: 150, 250: 1283, 3025: 1319}, f"625, 250, 3025 are ranks 150, 1,283, 1,319: {got}")
    else:
        print(f"note: {nmap_file} is not nmap 7.93's: figures {got} checked against its own order only")
    # nmap's default scan, asked of nmap itself (a connect scan of 127.0.0.1 only): the ports it
    # scans are exactly those portscope ranks 1 to 1,000.
    nmap = shutil.which("nmap")
    if nmap:
        p = subprocess.run([nmap, "-v", "-oG", "-", "--top-ports", "1000", "-sT", "-Pn", "-n", "127.0.0.1"],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"Ports scanned: TCP\(1000;([0-9,-]+)\)", p.stdout)
        scanned = set()
        for part in (m.group(1).split(",") if m else []):
            a, _, b = part.partition("-")
            scanned.update(range(int(a), int(b or a) + 1))
        top = {q for q, rk in oracle.items() if rk <= 1000}
        arr = run_json("info", "--json", ",".join(map(str, sorted(scanned))), *R) if scanned else []
        mine = [min([x["rank"] for x in a["observed"] if x["protocol"] == "tcp"] or [0]) for a in arr]
        check(len(scanned) == 1000 and scanned == top and sorted(mine) == list(range(1, 1001)),
              f"nmap --top-ports 1000 scans the ports portscope ranks 1-1,000 ({len(scanned)} scanned, "
              f"{len(scanned - top)} not in portscope's top 1,000)")
    else:
        print("note: nmap is not installed: its --top-ports selection not compared")
    o80 = run_json("info", "--json-object", "80", *R)
    check([x["rank"] for x in o80["observed"] if x["protocol"] == "tcp"] == [1], "80/tcp is rank 1")
    rc, out, err = run("info", "--brief", "625", *R)
    check("yes, rank 150" in out, "--brief gives the rank")
else:
    print("note: nmap-services not installed: ranks not checked")
s = o["summary"]
check(s["status"]["tcp"] == "assigned" and s["status"]["sctp"] == "unassigned" and s["primary_name"] == "dec-dlm",
      f"summary: {s}")
# Mainstream uses before malware history, whatever the file's order.
import os, tempfile
kf = os.path.join(tempfile.mkdtemp(prefix="portscope-forms-"), "k.txt")
with open(kf, "w") as f:
    f.write("entry: old-worm\nname: Old worm\nkind: malware\nports: 7777/tcp\nsummary: A worm.\nsource: a test\n\n"
            "entry: good-app\nname: Good application\nkind: application\nports: 7777/tcp\nsummary: An application.\nsource: a test\n")
o = run_json("info", "--json-object", "7777", *R, "--knowledge", kf)
check([e["id"] for e in o["unofficial"]] == ["good-app", "old-worm"], f"7777: application first: {o['unofficial']}")
check([e["name"] for e in o["unofficial"]] == ["Good application", "Old worm"], f"7777: entries by name: {o['unofficial']}")
check(o["summary"]["top_occupant"] == "good-app" and o["summary"]["top_occupant_name"] == "Good application",
      f"the top occupant is the application: {o['summary']}")
rc, out, err = run("info", "--brief", "7777", *R, "--knowledge", kf)
check("known    Good application [application]" in out, f"--brief names the application: {out!r}")

# Search ranks what people mean: common words put their ports on the first page.
def search(*args):
    return run_json("search", "--json", *args, *R)


def first_ports(q, n=10):
    out = set()
    for x in search("--limit", str(n), q)["results"]:
        if x["type"] == "registry" and x["row"]["port"] is not None:
            out.add(x["row"]["port"])
    return out


for q, want in [("mail", {25, 465, 587, 110, 143, 993, 995}), ("smb", {445, 139}), ("rdp", {3389}),
                ("dns", {53}), ("ntp", {123}), ("ldap", {389, 636}), ("vnc", {5900}), ("web", {80, 443}),
                ("  MAIL  ", {25, 587})]:
    got = first_ports(q)
    check(want <= got, f"search {q!r}: {sorted(want - got)} missing from the first 10: {sorted(got)}")
# tcp/udp duplicates are one result, with both protocols.
res = search("--limit", "0", "smtp")["results"]
smtp = [x for x in res if x["type"] == "registry" and x["row"]["name"] == "smtp" and x["row"]["port"] == 25]
check(len(smtp) == 1 and smtp[0]["protocols"] == ["tcp", "udp"], f"smtp 25 is one result for tcp and udp: {smtp}")
keys = [(x["row"]["name"], x["row"]["first"], x["row"]["last"]) for x in res if x["type"] == "registry" and x["row"]["name"]]
check(len(keys) == len(set(keys)), "no service appears twice on one port")
# One type per field: a row's port is a number (null for a range, whose bounds are first and
# last), and an absent value is null, never "".
rows = [x["row"] for x in search("--limit", "0", "x11")["results"] if x["type"] == "registry"]
x11 = [r for r in rows if r["name"] == "x11"]
check(x11 and all(r["port"] is None and (r["first"], r["last"]) == (6000, 6063) for r in x11), f"x11's range row: {x11}")


def empties(v):
    if isinstance(v, dict):
        return sum(empties(x) for x in v.values())
    if isinstance(v, list):
        return sum(empties(x) for x in v)
    return v == ""


arr = run_json("info", "--json", "625", "22", "6000", "1", *R)
check(empties(arr) == 0, "info --json has no empty strings: absent values are null")
rows = [r for o in arr for p in o["protocols"].values() for r in p["services"] + p["records"]]
check(rows and all(type(r["port"]) in (int, type(None)) and type(r["first"]) is int for r in rows), "rows' ports are numbers")
# Numbers, PORT/PROTO, ranges, spaces.
r = search("3025")["results"]
check(r and r[0]["type"] == "registry" and r[0]["row"]["name"] == "arepa-raft", f"3025 finds arepa-raft first: {r[:1]}")
r = search("22/tcp")["results"]
check(r and r[0]["row"]["name"] == "ssh" and r[0]["protocols"] == ["tcp"], f"22/tcp finds ssh on tcp: {r[:1]}")
r = search("--limit", "0", "8080-8090")["results"]
ports = {x["row"]["port"] for x in r if x["type"] == "registry" and x["row"]["port"] is not None}
check(8080 in ports and 8090 in ports and all(8080 <= p <= 8090 for p in ports), f"8080-8090: {sorted(ports)}")
check(search("8080 - 8090")["total"] == search("8080-8090")["total"], "spaces inside a range are accepted")
rc, out, err = run("search", "22", "/tcp", *R)
check(rc == 0 and out.startswith("ssh ") and "22/tcp " in out.splitlines()[0], f"'search 22 /tcp': {out[:60]!r}")
# Popularity within a score: nmap's most often open name-prefix match first.
# ms-sql-s (1433) comes first in the file, ms-wbt-server (3389) is open far more often.
r = [x["row"]["name"] for x in search("--limit", "0", "ms-")["results"] if x["type"] == "registry"]
if o["registry"]["observed_source"]:
    check("ms-wbt-server" in r and "ms-sql-s" in r and r.index("ms-wbt-server") < r.index("ms-sql-s"),
          f"'ms-': the more often open first: {r[:5]}")
# Paging: --offset continues where --limit stopped, in the CLI and the JSON.
full = search("--limit", "0", "mail")
page2 = search("--limit", "5", "--offset", "5", "mail")
check(page2["total"] == full["total"] and page2["offset"] == 5 and page2["limit"] == 5 and
      page2["results"] == full["results"][5:10], "--offset 5 --limit 5 is the second page of five")
check(search("--offset", "100000", "mail")["results"] == [], "an offset past the end is an empty page")
rc, out, err = run("search", "--limit", "3", "mail", *R)
check(rc == 0 and "--offset 3" in out, f"the text output says how to get the next page: {out!r}")
rc, out, err = run("search", "--offset", "100000", "mail", *R)
check(rc == 0 and f"{full['total']} matches, none past --offset 100000" in out and "--offset 0" in out,
      f"the text output of a page past the end says how many there are and where they begin: {out!r}")
rc, out, err = run("search", "--offset", "x", "mail", *R)
check(one_line_error(rc, err, "--offset", "'x'"), f"--offset x: {err!r}")

finish()
