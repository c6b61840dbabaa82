#!/usr/bin/env python3
"""The CLI on the project's own fixtures: bad input, bad files, the cache, escaping, search,
list filters, services-file sources. Needs no outside data."""
import json
import os
import shutil
import subprocess
import time
from pstest import ENV, FIXTURES, check, finish, run, run_json

mini = os.path.join(FIXTURES, "mini.csv")


def one_line_error(rc, err, *needles):
    lines = err.strip().splitlines()
    return rc == 2 and len(lines) == 1 and lines[0].startswith("portscope: ") and all(n in lines[0] for n in needles)


# Bad port arguments: exit 2, one line naming the input and what is wrong.
for arg, why in [("65536", "out of range"), ("-1", "not negative"), ("abc", "nor a service name"),
                 ("22/xyz", "unknown protocol"), ("1-0", "backwards"), ("", "not a port"), ("99999999999", "range"),
                 ("22/", "unknown protocol"), ("1-", "not a port")]:
    rc, out, err = run("info", arg, "--registry", mini)
    check(one_line_error(rc, err, f"'{arg}'", why), f"info {arg!r}: rc={rc} err={err!r}")
    check(out == "", f"info {arg!r} prints nothing on stdout")

# PORT/PROTO is the whole answer: the other protocols' status, nmap lines and knowledge entries are
# left out (the built-in knowledge has RPC services on 512-1023/udp), in text, --brief and JSON.
o = run_json("info", "--json-object", "1023/udp", "--registry", mini)
check(o.get("protocol") == "udp" and list(o["protocols"]) == ["udp"] and all(x["protocol"] == "udp" for x in o["observed"])
      and any(u["id"] == "bindresvport-rpc" for u in o["unofficial"]), f"info 1023/udp --json-object: udp only: {list(o)}")
o = run_json("info", "--json-object", "1023/tcp", "--registry", mini)
check(list(o["protocols"]) == ["tcp"] and not any(u["id"] == "bindresvport-rpc" for u in o["unofficial"])
      and not any(x["protocol"] == "udp" for x in o["observed"]), "info 1023/tcp: no udp entry nor observation")
o = run_json("info", "--json-object", "1023", "--registry", mini)
check(len(o["protocols"]) == 4 and "protocol" not in o and any(u["id"] == "bindresvport-rpc" for u in o["unofficial"]),
      "info 1023: all four protocols and the udp entry")
rc, out, err = run("info", "1023/tcp", "--registry", mini)
check(rc == 0 and "RPC services on random privileged ports" not in out and "\n  udp " not in out,
      f"info 1023/tcp in text: nothing of udp ({err})")
rc, out, err = run("info", "--brief", "591/tcp", "--registry", mini)
check(rc == 0 and "RPC services" not in out, f"info --brief 591/tcp: no udp-only knowledge entry: {out!r}")
rc, out, err = run("info", "--brief", "591/udp", "--registry", mini)
check(rc == 0 and "RPC services" in out, f"info --brief 591/udp names it: {out!r}")

# Bad registry files: exit 2, file and line named.
for name, needles in [("empty.csv", ["empty"]), ("header-only.csv", ["no rows"]),
                      ("truncated.csv", [":3:", "never closed"]), ("eleven.csv", [":3", "11 columns"]),
                      ("binary.csv", ["binary.csv"]), ("badport.csv", [":2", "port"]),
                      ("badproto.csv", [":2", "protocol"]), ("badutf8.csv", [":2", "UTF-8"]),
                      ("stray-quote.csv", [":2:3", "quote"])]:
    f = os.path.join(FIXTURES, name)
    rc, out, err = run("info", "22", "--registry", f)
    check(one_line_error(rc, err, name, *needles), f"bad registry {name}: rc={rc} err={err!r}")
    rc, out, err = run("registry", "--registry", f, "--json")
    check(rc == 2 and out == "", f"registry --json on {name} fails cleanly")
rc, out, err = run("info", "22", "--registry", "/nonexistent/file.csv")
check(one_line_error(rc, err, "/nonexistent/file.csv", "No such file"), f"missing registry: {err!r}")
rc, out, err = run("info", "22", "--registry", "/")
check(one_line_error(rc, err, "not a regular file"), f"directory as registry: {err!r}")

# No registry anywhere: a clear hint (unless the system has Wireshark's services file).
if not os.path.exists("/usr/share/wireshark/services"):
    rc, out, err = run("info", "22")
    check(one_line_error(rc, err, "portscope update"), f"no registry: {err!r}")

# The mini fixture, every feature of the format.
o = run_json("info", "--json-object", "625", "--registry", mini)
tcp = o["protocols"]["tcp"]
check(tcp["status"] == "assigned", "625/tcp assigned")
check([s["name"] for s in tcp["services"]] == ["dec-dlm", "dec_dlm"], "both names on 625/tcp")
check(tcp["services"][0]["description"].startswith("DEC DLM\nIANA assigned") and '"dec_dlm"' in
      tcp["services"][0]["description"], "multi-line description with doubled quotes kept")
check(tcp["services"][1]["alias_of"] == "dec-dlm" and tcp["services"][0]["alias_of"] is None, "alias resolved")
check(o["protocols"]["udp"]["status"] == "unassigned", "625/udp unassigned in the fixture")
check(o["range"] == "system" and "IETF Review" in o["procedure"], "range and procedure")
o = run_json("info", "--json-object", "5", "--registry", mini)
check(all(o["protocols"][p]["status"] == "unassigned" for p in ("tcp", "udp", "sctp", "dccp")),
      "range row 4-6 with empty protocol: unassigned on all four")
o = run_json("info", "--json-object", "2", "--registry", mini)
check(o["protocols"]["tcp"]["status"] == "reserved" and "De-assigned" in o["protocols"]["tcp"]["records"][0]["notes"],
      "2/tcp reserved with its note")
o = run_json("info", "--json-object", "24", "--registry", mini)
check(o["protocols"]["tcp"]["status"] == "assigned" and o["protocols"]["tcp"]["private_use"], "any private: assigned, private use")
o = run_json("info", "--json-object", "100", "--registry", mini)
check("Known Unauthorized Use on 100" in o["protocols"]["udp"]["notes"], "unauthorized use note kept")
o = run_json("info", "--json-object", "6030", "--registry", mini)
check(o["protocols"]["tcp"]["services"][0]["name"] == "x11", "range 6000-6063 covers 6030")
o = run_json("info", "--json-object", "3025", "--registry", mini)
s = o["protocols"]["sctp"]["services"][0]
check(s["registered"] == "2026-01-05" and s["service_code"] == "SC1" and s["reference"] == "[RFC0000]", "all columns kept")
check(o["registry"]["date"] == "2026-02-25", "newest date across registration and modification")
o = run_json("info", "--json-object", "3026", "--registry", mini)
check(o["protocols"]["dccp"]["services"][0]["name"] == "caféd", "UTF-8 names")
arr = run_json("info", "--json", "22", "625", "--registry", mini)
check(isinstance(arr, list) and [x["port"] for x in arr] == [22, 625], "several ports print an array")
# A service name registered without a port number: its rows, not an error.
rc, out, err = run("info", "argus", "--registry", mini)
check(rc == 0 and "argus" in out and "a name without a port number" in out and "ARGUS Protocol" in out
      and "(no port)" in out, f"info argus: the name-only service's page: {rc} {err!r} {out[:200]!r}")
o = run_json("info", "--json", "argus", "22", "--registry", mini)
check(len(o) == 2 and o[1].get("service") == "argus" and o[1].get("port") is None
      and [x["description"] for x in o[1]["rows"]] == ["ARGUS Protocol"], f"info --json argus 22: {o[1:]}")
o = run_json("info", "--json-object", "argus", "--registry", mini)
check(o.get("service") == "argus" and o["registry"]["kind"] == "iana-csv", "--json-object argus: one object")
rc, out, err = run("info", "--brief", "argus", "--registry", mini)
check(rc == 0 and "ARGUS Protocol" in out and "without a port" in out, f"info --brief argus: {out!r}")
rc, out, err = run("info", "argus/tcp", "--registry", mini)
check(one_line_error(rc, err, "'argus/tcp'", "not registered for that protocol"), f"argus/tcp: {err!r}")

# Escaping: the description has BEL and ESC; neither reaches the terminal.
rc, out, err = run("info", "3025", "--registry", mini)
check(rc == 0 and "\x1b" not in out and "\x07" not in out and "\\x1b[31m" in out, "control characters escaped")
rc, out, err = run("search", "bell", "--registry", mini)
check(rc == 0 and "\x1b" not in out and "evil" in out, "search output escaped")

# Search.
o = run_json("search", "--json", "dec", "--registry", mini)
check(o["total"] >= 2 and o["results"][0]["row"]["name"] == "dec-dlm", "search ranks name matches first")
o = run_json("search", "--json", "x window", "--registry", mini)
check(o["results"][0]["row"]["name"] == "x11" and o["results"][0]["matched"] == "description", "search descriptions")
o = run_json("search", "--json", "portscope", "--registry", mini)
check(any(r["type"] == "knowledge" for r in o["results"]), "search finds knowledge entries")
rc, out, err = run("search", "zzzz-nothing-like-it", "--registry", mini)
check(rc == 0 and "No match" in out, "a search without results")
rc, out, err = run("search", "--registry", mini)
check(rc == 2 and "what should I look for" in err, "search without text")
rc, out, err = run("search", "--limit", "x", "dec", "--registry", mini)
check(one_line_error(rc, err, "--limit 'x'"), f"bad --limit: {err!r}")

# List filters.
o = run_json("list", "--json", "--status", "reserved", "--registry", mini)
check(sorted((p["port"], p["protocol"]) for p in o["ports"]) == [(0, "tcp"), (0, "udp"), (2, "tcp")], "list reserved")
o = run_json("list", "--json", "--compact", "--port", "6000-6100", "--proto", "tcp", "--registry", mini)
check(o["ports"][0] == {"first": 6000, "last": 6063, "protocol": "tcp", "status": "assigned", "range": "user",
                        "services": ["x11"]}, f"compact list merges a range: {o['ports'][:1]}")
rc, out, err = run("list", "--status", "lost", "--registry", mini)
check(one_line_error(rc, err, "--status 'lost'"), "bad --status")
rc, out, err = run("list", "--proto", "icmp", "--registry", mini)
check(one_line_error(rc, err, "--proto 'icmp'"), "bad --proto")
rc, out, err = run("list", "--port", "1-0", "--registry", mini)
check(one_line_error(rc, err, "--port '1-0'", "backwards"), "bad --port")
rc, out, err = run("list", "--status", "unassigned", "--range", "system", "--proto", "tcp", "--registry", mini)
lines = [l for l in out.splitlines() if not l.startswith("#")]
check(out.startswith("# registry: ") and "mini.csv" in out.splitlines()[0], "list names its source")
check(rc == 0 and len(lines) == 1024 - 5 and lines[0].startswith("3/tcp"), f"unassigned system tcp ports: {len(lines)}")

# A services(5) source says it knows assignments only.
svc = os.path.join(FIXTURES, "services.txt")
o = run_json("info", "--json-object", "23", "--registry", svc)
check(o["registry"]["assignments_only"] and o["protocols"]["tcp"]["status"] == "reserved-or-unassigned",
      "services file: reserved-or-unassigned")
o = run_json("info", "--json-object", "22", "--registry", svc)
check(o["protocols"]["udp"]["services"][0]["name"] == "ssh", "services file: ssh on 22/udp")
rc, out, err = run("registry", "--registry", svc)
check("assignments only" in out, "registry says assignments only")
# Reserved and unassigned ports are none of a services file's: the empty list says why.
for st in ("reserved", "unassigned"):
    rc, out, err = run("list", "--status", st, "--proto", "tcp", "--range", "system", "--registry", svc)
    check(rc == 0 and "/tcp" not in out and "assignments only" in err and "reserved-or-unassigned" in err
          and err.count("\n") == 1, f"services file, list --status {st}: empty, and says why: {err!r}")
rc, out, err = run("list", "--status", "assigned", "--status", "reserved", "--proto", "tcp", "--range", "system",
                   "--registry", svc)
check(rc == 0 and "22/tcp" in out and err == "", f"services file, list --status assigned and reserved: no note: {err!r}")
rc, out, err = run("list", "--status", "reserved-or-unassigned", "--proto", "tcp", "--range", "system", "--registry", svc)
check(rc == 0 and "23/tcp" in out and err == "", f"services file, list --status reserved-or-unassigned: {err!r}")

# The cache: written on the first run, read on the second, rebuilt when the source changes,
# and a damaged cache never breaks a run.
tmpcsv = os.path.join(ENV["HOME"], "reg.csv")
shutil.copy(mini, tmpcsv)
a = run_json("registry", "--json", "--registry", tmpcsv)
b = run_json("registry", "--json", "--registry", tmpcsv)
check(not a["registry"]["from_cache"] and b["registry"]["from_cache"], "second run reads the cache")
with open(tmpcsv, "a", newline="") as f:
    f.write("newsvc,7777,tcp,New,,,,2027-01-01,,,,\r\n")
c = run_json("registry", "--json", "--registry", tmpcsv)
check(not c["registry"]["from_cache"] and c["rows"] == a["rows"] + 1 and c["registry"]["date"] == "2027-01-01",
      "a changed source rebuilds the cache")
cache = c["registry"]["cache"]
data = bytearray(open(cache, "rb").read())
for off in range(8, len(data), 97):
    data[off] ^= 0xFF
open(cache, "wb").write(bytes(data[: len(data) // 2]))
rc, out, err = run("info", "--json-object", "7777", "--registry", tmpcsv)
check(rc == 0 and json.loads(out)["protocols"]["tcp"]["services"][0]["name"] == "newsvc", "damaged cache is rebuilt")
open(cache, "wb").write(b"")
rc, out, err = run("info", "--json-object", "7777", "--registry", tmpcsv, "--no-cache")
check(rc == 0, "--no-cache works")

# Knowledge file errors name file and line.
kf = os.path.join(ENV["HOME"], "k.txt")
open(kf, "w").write("entry: x\nname: X\nkind: nonsense\nports: 1/tcp\nsummary: s\nsource: t\n")
rc, out, err = run("info", "22", "--registry", mini, "--knowledge", kf)
check(one_line_error(rc, err, "k.txt:3", "unknown kind"), f"bad knowledge kind: {err!r}")
open(kf, "w").write("entry: x\nname: X\nkind: malware\nports: 1\nsummary: s\nsource: t\n")
rc, out, err = run("info", "22", "--registry", mini, "--knowledge", kf)
check(one_line_error(rc, err, "k.txt:4", "no protocol"), f"knowledge port without protocol: {err!r}")

# Each service object lists the programs the knowledge file says serve it; [] when it knows none.
open(kf, "w").write("service: tcpmux\nservers: muxd inetd\nsource: RFC 1078\n")
served = run_json("info", "--json-object", "1", "--registry", mini, "--knowledge", kf)["protocols"]["tcp"]["services"]
check([(x["name"], x["servers"]) for x in served] == [("tcpmux", ["muxd", "inetd"])], f"servers of tcpmux: {served}")
open(kf, "w").write("service: ssh\nservers: sshd\nsource: RFC 4253\n")
served = run_json("info", "--json-object", "1", "--registry", mini, "--knowledge", kf)["protocols"]["tcp"]["services"]
check([x["servers"] for x in served] == [[]], f"a service the knowledge file does not know has no servers: {served}")

# With no registry named and none stored, the system's Wireshark services file is the source.
ws = "/usr/share/wireshark/services"
if os.path.exists(ws):
    o = run_json("info", "--json-object", "22")
    check(o["registry"]["source"] == ws and o["registry"]["assignments_only"] and
          o["protocols"]["tcp"]["services"][0]["name"] == "ssh", "default source: Wireshark's services file")
    rc, out, err = run("info", "250")
    check(rc == 0 and "reserved and unassigned ports cannot be told apart" in out, "info says what the source lacks")

# Review findings, each a regression test.
HEADER = open(mini, newline="").readline()
def fixture(name, body, mode="w"):
    path = os.path.join(ENV["HOME"], name)
    with open(path, mode, newline="" if mode == "w" else None) as f:
        f.write(body)
    return path
# A registry whose file name is not UTF-8: no crash, and the JSON still names its source.
latin = os.path.join(ENV["HOME"].encode(), b"bad\xff.csv")
shutil.copy(mini, latin)
rc, out, err = run("info", "625", "--registry", os.fsdecode(latin))
check(rc == 0 and "bad\\xff.csv" in out, f"non-UTF-8 registry name shown as \\xNN on a terminal, no crash: rc={rc}")
o = run_json("info", "--json-object", "625", "--registry", os.fsdecode(latin))
check(o["registry"]["source"].endswith("bad\ufffd.csv"), "non-UTF-8 source kept in JSON (U+FFFD)")
# A date column holding escape sequences is not a date.
f = fixture("date.csv", HEADER + "evil,7777,tcp,Evil,,,9\x1b]0;PWN\x07,,,,,\r\n")
for args in (["info", "7777"], ["registry"], ["list", "--port", "7777"], ["search", "evil"]):
    rc, out, err = run(*args, "--registry", f)
    check(rc == 0 and "\x1b" not in out and "\x07" not in out, f"{args[0]}: no raw escape from a date column")
check(run_json("registry", "--json", "--registry", f)["registry"]["date"] is None, "a non-date is not the newest date")
# Invalid UTF-8 inside a multi-line quoted field: the error names the field's first line.
f = fixture("mlutf.csv", (HEADER + 'a,1,tcp,"first line\nsecond \xff line",,,,,,,,\r\n').encode("latin-1"), "wb")
rc, out, err = run("info", "1", "--registry", f, "--no-cache")
check(one_line_error(rc, err, "mlutf.csv:2:9", "invalid UTF-8"), f"UTF-8 error position: {err!r}")
# Wide ranges in a small file must not make a huge index.
f = fixture("big.csv", HEADER + "".join(f"s{i},0-65535,,x,,,,,,,,\r\n" for i in range(200)))
rc, out, err = run("info", "5", "--registry", f)
check(one_line_error(rc, err, "big.csv", "not the IANA registry"), f"amplifying ranges refused: {err!r}")
# An option value that starts with "-" and a digit is a value, not a negative port.
f = fixture("-1.csv", open(mini).read())
rc, out, err = run("info", "625", "--registry", f)
check(rc == 0 and "dec-dlm" in out, f"--registry -1.csv: {err!r}")
# A services file's one line for several protocols shows every protocol's row.
rc, out, err = run("info", "22", "--registry", svc)
check(rc == 0 and "ssh 22/tcp" in out and "ssh 22/udp" in out, "services rows per protocol all shown")
# A damaged cache with misaligned sections is rebuilt, not read.
tmp2 = os.path.join(ENV["HOME"], "reg2.csv")
shutil.copy(mini, tmp2)
c = run_json("registry", "--json", "--registry", tmp2)
import struct
data = bytearray(open(c["registry"]["cache"], "rb").read())
data[120:124] = struct.pack("<I", struct.unpack("<I", data[120:124])[0] + 1)  # off_rows, off by one
open(c["registry"]["cache"], "wb").write(bytes(data))
d = run_json("registry", "--json", "--registry", tmp2)
check(not d["registry"]["from_cache"], "a cache with a misaligned section is not used")
# A wide info range streams: 0-65535 as JSON is an array of 65536 objects.
rc, out, err = run("info", "--json", "0-65535", "--registry", mini, timeout=300)
check(rc == 0 and out.count('\n{"port":') == 65536, "info 0-65535 --json streams every port")

# Help teaches, unknown commands fail.
rc, out, err = run("--help")
check(rc == 0 and "Examples" in out and "info" in out, "--help")
for sub in ("info", "search", "list", "registry", "audit", "listening", "scan", "serve", "update", "diff", "watch"):
    rc, out, err = run(sub, "--help")
    check(rc == 0 and "Example" in out, f"{sub} --help teaches with examples")
rc, out, err = run("frobnicate")
check(one_line_error(rc, err, "'frobnicate'"), "unknown command")
rc, out, err = run("info", "--bogus", "22", "--registry", mini)
check(rc == 2, "unknown option")
# Every command, the helpers' included, reports a bad option in one escaped line that names the
# command, never the executable that runs it (getopt's own message said "portscope-scan: ...").
for cmd in ("info", "search", "list", "registry", "audit", "listening", "scan", "serve", "update"):
    rc, out, err = run(cmd, "--bogus\x1b[2J")
    check(one_line_error(rc, err, f"{cmd}: unknown option '--bogus\\x1b[2J'") and "portscope-" not in err,
          f"{cmd}: an unknown option is one line naming {cmd}: {err!r}")
    opt = "--url" if cmd == "update" else "--registry"
    rc, out, err = run(cmd, opt)
    check(one_line_error(rc, err, f"{cmd}: option '{opt}' needs a value") and "portscope-" not in err,
          f"{cmd}: a missing value is one line naming {cmd}: {err!r}")
    if cmd != "serve":  # serve has no --json
        # An unknown short option inside a cluster, after a long option: the short one is named.
        rc, out, err = run(cmd, "--json", "-Z4")
        check(one_line_error(rc, err, f"{cmd}: unknown option '-Z'"), f"{cmd}: --json -Z4 names -Z: {err!r}")

# Without nmap-services nothing is said of nmap's default scan (not "no (not listed)").
for args in (["--brief", "22"], ["22"]):
    rc, out, err = run("info", *args, "--registry", mini, env={"PORTSCOPE_NMAP_SERVICES": "/nonexistent"})
    check(rc == 0 and "default scan" not in out and "nmap-services not installed" in out,
          f"info {' '.join(args)} without nmap-services claims nothing of nmap's scan: {out[-300:]!r}")

# ":22" names a port for listening as it does for info (host:port).
rc, out, err = run("listening", ":1", "--registry", mini)
check(rc in (0, 1) and "not a port" not in err, f"listening :1 is port 1 ({rc}, {err.strip()!r})")

# "reserved-or-unassigned" on a source that tells them apart: both.
from pstest import iana_csv  # noqa: E402
csv_path = iana_csv()
if csv_path:
    count = lambda *st: len(run_json("list", "--json", "--registry", csv_path, "--range", "system", "--proto", "tcp",
                                     *[a for s_ in st for a in ("--status", s_)])["ports"])
    both, res, una = count("reserved-or-unassigned"), count("reserved"), count("unassigned")
    check(both == res + una and res > 0 and una > 0,
          f"list --status reserved-or-unassigned on the IANA CSV: {both} = {res} reserved + {una} unassigned")

# Unauthorized use, as IANA reports it, is searchable: by its words, and on an unassigned port.
if csv_path:
    j = run_json("search", "--json", "--registry", csv_path, "unauthorized")
    check(j["total"] > 50 and all(x["matched"] == "Unauthorized Use Reported" for x in j["results"] if x["type"] == "registry"),
          f"search unauthorized finds the reports: {j['total']}")
    j = run_json("search", "--json", "--registry", csv_path, "1491")
    check(any(x["type"] == "registry" and "1491" in (x["row"]["unauthorized_use"] or "") for x in j["results"]),
          f"search 1491 finds its unassigned row with a report: {j['results'][:1]}")

# A number option's error says the numbers it takes (--keep 0 and --keep -1 said "0-1000" and two things).
for opt, val, want in (("--keep", "0", "from 1 to 1000"), ("--keep", "-1", "from 1 to 1000"),
                       ("--timeout", "0", "from 1 to 3600"), ("--limit", "x", "from 0 to 1000000000")):
    rc, out, err = run("update", opt, val, "--check", "--from", "/nonexistent")
    check(one_line_error(rc, err, f"update: {opt} '{val}': expected a number {want}"), f"update {opt} {val}: {err!r}")

# Digits and letters as other scripts and input methods type them: Arabic-Indic, Persian, fullwidth.
if csv_path:
    for q in ("\u0662\u0662", "\u06f2\u06f2", "\uff12\uff12"):
        j = run_json("search", "--json", "--registry", csv_path, q)
        check(any(x["type"] == "registry" and x["row"]["port"] == 22 for x in j["results"]), f"search {q!r} is search 22")
    j = run_json("search", "--json", "--registry", csv_path, "\uff33\uff33\uff28")
    check(any(x["type"] == "registry" and x["row"]["name"] == "ssh" for x in j["results"]), "search 'ＳＳＨ' finds ssh")

# IANA's columns in another order: --registry names the way to read it (update installs it).
import csv as _csv  # noqa: E402
import io  # noqa: E402
rows = list(_csv.reader(open(os.path.join(FIXTURES, "mini.csv"), newline="")))
buf = io.StringIO()
wr = _csv.writer(buf, lineterminator="\n")
for row in rows:
    wr.writerow([row[1], row[0]] + row[2:])
reordered = fixture("reordered.csv", buf.getvalue())
rc, out, err = run("info", "--registry", reordered, "22")
check(one_line_error(rc, err, "reordered.csv:1: header column 1 is \"Port Number\"", "portscope update --from FILE"),
      f"--registry with IANA's columns reordered says update installs it: {err!r}")

# An install under another prefix (or staged under a DESTDIR): bin/portscope finds its helpers in
# ../libexec/portscope.
import tempfile  # noqa: E402
from pstest import BIN  # noqa: E402
pre = tempfile.mkdtemp(prefix="portscope-prefix-")
os.makedirs(os.path.join(pre, "bin"))
os.makedirs(os.path.join(pre, "libexec", "portscope"))
shutil.copy2(BIN, os.path.join(pre, "bin", "portscope"))
shutil.copy2(os.path.join(os.path.dirname(BIN), "portscope-update"), os.path.join(pre, "libexec", "portscope"))
p = subprocess.run([os.path.join(pre, "bin", "portscope"), "diff", "--help"], capture_output=True, text=True, env=ENV)
check(p.returncode == 0 and "diff" in p.stdout, f"bin/portscope runs ../libexec/portscope/portscope-update: {p.returncode} {p.stderr!r}")
shutil.rmtree(pre)

# `meson install` (make install) installs the systemd units under the prefix, naming that
# prefix's executables: every program a unit runs is one the same install put there.
import re  # noqa: E402
from pstest import SRC  # noqa: E402
build_dir = os.path.dirname(BIN)
stage = tempfile.mkdtemp(prefix="portscope-stage-")
opts = json.loads(subprocess.run(["meson", "introspect", build_dir, "--buildoptions"], capture_output=True,
                                 text=True, check=True).stdout)
opt = {o["name"]: o["value"] for o in opts}
p = subprocess.run(["meson", "install", "-C", build_dir, "--no-rebuild", "--quiet", "--destdir", stage],
                   capture_output=True, text=True)
prefix = opt["prefix"]
if not opt.get("systemd_units", True):
    print("skipped: this build was configured with -Dsystemd_units=false")
else:
    root = stage + prefix
    units = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(os.path.join(root, "lib", "systemd"))
                   for f in fs)
    want = sorted([f"lib/systemd/system/portscope-{u}" for u in ("audit.service", "audit.timer", "serve.service",
                                                                   "update.service", "update.timer", "watch.service")]
                  + ["lib/systemd/user/portscope-update.service", "lib/systemd/user/portscope-update.timer"])
    check(p.returncode == 0 and units == want, f"meson install puts every unit under {prefix}/lib/systemd: {units} {p.stderr!r}")
    execs = set()
    for u in units:
        for line in open(os.path.join(root, u)):
            if re.match(r"^Exec[A-Za-z]*=", line):
                execs.add(line.split("=", 1)[1].lstrip("+-@!:").split()[0])
    ours = sorted(e for e in execs if "portscope" in e)
    check(len(ours) >= 2 and all(e.startswith(prefix + "/") and os.access(stage + e, os.X_OK) for e in ours),
          f"the units run {prefix}'s portscope and metrics script, both installed: {ours}")
    metrics = os.path.join(stage + prefix, "libexec", "portscope", "portscope-registry-metrics")
    text = open(metrics).read() if os.path.exists(metrics) else ""
    check(f"$({prefix}/bin/portscope registry --json)" in text,
          f"the metrics script runs {prefix}'s portscope, not the one PATH finds first")
knowledge = os.path.join(stage + prefix, "share", "portscope", "knowledge.txt")
check(p.returncode == 0 and os.path.isfile(knowledge)
      and open(knowledge, "rb").read() == open(os.path.join(SRC, "data", "knowledge.txt"), "rb").read(),
      f"meson install puts the knowledge file in {prefix}/share/portscope")
shutil.rmtree(stage)

# A search meant as a port that is none says why.
rc, out, err = run("search", "99999")
check(rc in (0, 1) and "Not a port: port out of range (0-65535)." in out, f"search 99999: {out!r}")
rc, out, err = run("search", "90-80")
check("Not a port: range is backwards" in out, f"search 90-80: {out!r}")

# The shell completions offer every option each command's --help lists (they had drifted: serve
# completed 3 of its 16 options).
import re  # noqa: E402
from pstest import SRC  # noqa: E402
comp = os.path.join(SRC, "completion")
bash = open(os.path.join(comp, "portscope.bash")).read()
zsh = open(os.path.join(comp, "_portscope")).read()
fish = open(os.path.join(comp, "portscope.fish")).read()
bash_opts = {}
for names, opts in re.findall(r'^\s+([a-z|]+)\) opts="([^"]*)"', bash, flags=re.M):
    for n in names.split("|"):
        bash_opts[n] = set(opts.split())
fish_opts = set(re.findall(r"-l ([a-z][a-z0-9-]*)", fish))
for line in re.findall(r"^for o in ([a-z0-9 -]+)$", fish, flags=re.M):
    fish_opts |= set(line.split())
for cmd in ("info", "search", "list", "update", "diff", "audit", "listening", "serve", "watch"):
    rc, out, err = run(cmd, "--help")
    listed = set(re.findall(r"^  (?:-[a-zA-Z]+, )?(--[a-z][a-z0-9-]*)", out, flags=re.M)) - {"--help"}
    check(listed and listed <= bash_opts.get(cmd, set()),
          f"bash completes every option of {cmd} --help (missing: {sorted(listed - bash_opts.get(cmd, set()))})")
    check(all(f"'{o}" in zsh for o in listed), f"zsh completes every option of {cmd} --help "
          f"(missing: {sorted(o for o in listed if repr(o)[:-1] not in zsh)})")
    check(all(o[2:] in fish_opts for o in listed),
          f"fish completes every option of {cmd} --help (missing: {sorted(o for o in listed if o[2:] not in fish_opts)})")
finish()
